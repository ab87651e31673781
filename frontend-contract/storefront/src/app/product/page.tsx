import type { Metadata } from 'next';
import { Suspense } from 'react';
import { Loading } from '@/components/status';
import { ProductView } from './product-view';

export const metadata: Metadata = { title: 'Product' };

export default function ProductPage() {
  return (
    <Suspense fallback={<Loading label="Loading the product…" />}>
      <ProductView />
    </Suspense>
  );
}
