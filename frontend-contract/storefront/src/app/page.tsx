import { Suspense } from 'react';
import { Loading } from '@/components/status';
import { Catalogue } from './catalogue';

export default function CataloguePage() {
  return (
    <Suspense fallback={<Loading label="Loading the catalogue…" />}>
      <Catalogue />
    </Suspense>
  );
}
