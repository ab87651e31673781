import type { Metadata } from 'next';
import { Suspense } from 'react';
import { AuthForm } from '@/components/auth-form';
import { Loading } from '@/components/status';

export const metadata: Metadata = { title: 'Sign up' };

export default function Page() {
  return (
    <Suspense fallback={<Loading />}>
      <AuthForm mode="signup" />
    </Suspense>
  );
}
