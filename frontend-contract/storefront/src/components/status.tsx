'use client';

import type { ReactNode } from 'react';
import { describeError } from '@/lib/graphql';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div role="status" aria-live="polite" className="flex items-center gap-3 py-6 text-slate-700">
      <span aria-hidden="true" className="h-5 w-5 animate-spin rounded-full border-2 border-slate-300 border-t-indigo-700" />
      <span>{label}</span>
    </div>
  );
}

export function ErrorAlert({
  error,
  names,
  onRetry,
  children,
}: {
  error: unknown;
  names?: ReadonlyMap<string, string>;
  onRetry?: () => void;
  children?: ReactNode;
}) {
  return (
    <div role="alert" data-testid="error" className="my-4 rounded-md border border-red-300 bg-red-50 p-4 text-red-900">
      <p>{describeError(error, names)}</p>
      {children}
      {onRetry ? (
        <button type="button" className="btn btn-secondary mt-3" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function Notice({ children, tone = 'info' }: { children: ReactNode; tone?: 'info' | 'success' | 'warning' }) {
  const tones = {
    info: 'border-indigo-200 bg-indigo-50 text-indigo-950',
    success: 'border-green-300 bg-green-50 text-green-950',
    warning: 'border-amber-300 bg-amber-50 text-amber-950',
  } as const;
  return (
    <div role="status" className={`my-4 rounded-md border p-4 ${tones[tone]}`}>
      {children}
    </div>
  );
}

export function StockBadge({ inStock }: { inStock: boolean }) {
  return inStock ? (
    <span className="inline-block rounded-full bg-green-100 px-2 py-0.5 text-xs font-semibold text-green-900">In stock</span>
  ) : (
    <span className="inline-block rounded-full bg-slate-200 px-2 py-0.5 text-xs font-semibold text-slate-800">Out of stock</span>
  );
}
