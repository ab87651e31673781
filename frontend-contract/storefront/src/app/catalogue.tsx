'use client';

import { useInfiniteQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import { useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { ErrorAlert, Loading, StockBadge } from '@/components/status';
import { centsToInput, formatMoney, parseMoneyInput, plural } from '@/lib/format';
import { fetchProductPage, filterFromParams, filterToParams, keys } from '@/lib/queries';

export function Catalogue() {
  const params = useSearchParams();
  const router = useRouter();
  const filter = useMemo(() => filterFromParams(new URLSearchParams(params.toString())), [params]);
  const ids = useId();

  const [q, setQ] = useState(filter.nameContains ?? '');
  const [inStock, setInStock] = useState(Boolean(filter.inStock));
  const [min, setMin] = useState(centsToInput(filter.minPriceCents));
  const [max, setMax] = useState(centsToInput(filter.maxPriceCents));
  const [formError, setFormError] = useState<string | null>(null);
  // Back/forward changes the URL: the form follows.
  useEffect(() => {
    setQ(filter.nameContains ?? '');
    setInStock(Boolean(filter.inStock));
    setMin(centsToInput(filter.minPriceCents));
    setMax(centsToInput(filter.maxPriceCents));
  }, [filter]);

  const query = useInfiniteQuery({
    queryKey: keys.productList(filter),
    queryFn: ({ pageParam, signal }) => fetchProductPage(filter, pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => (last.products.pageInfo.hasNextPage ? (last.products.pageInfo.endCursor ?? null) : null),
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const minCents = parseMoneyInput(min);
    const maxCents = parseMoneyInput(max);
    if ((min.trim() !== '' && minCents === null) || (max.trim() !== '' && maxCents === null)) {
      setFormError('Prices must be amounts like 12 or 12.50.');
      return;
    }
    if (minCents !== null && maxCents !== null && minCents > maxCents) {
      setFormError('The minimum price is above the maximum price.');
      return;
    }
    setFormError(null);
    const next = filterToParams({
      nameContains: q.trim() || undefined,
      inStock: inStock || undefined,
      minPriceCents: minCents ?? undefined,
      maxPriceCents: maxCents ?? undefined,
    }).toString();
    router.replace(next ? `/?${next}` : '/', { scroll: false });
  };

  const products = query.data?.pages.flatMap((p) => p.products.edges.map((e) => e.node)) ?? [];
  const filtered = Object.keys(filter).length > 0;

  return (
    <>
      <h1 className="mb-4 text-2xl font-bold">Catalogue</h1>
      <form role="search" aria-label="Products" onSubmit={submit} className="card mb-6 grid gap-4 sm:grid-cols-6 sm:items-end" noValidate>
        <div className="sm:col-span-3">
          <label htmlFor={`${ids}-q`} className="mb-1 block text-sm font-medium">
            Search by name
          </label>
          <input id={`${ids}-q`} name="q" type="search" className="input" value={q} onChange={(e) => setQ(e.target.value)} placeholder="e.g. lamp" />
        </div>
        <div>
          <label htmlFor={`${ids}-min`} className="mb-1 block text-sm font-medium">
            Min price ($)
          </label>
          <input id={`${ids}-min`} name="min" inputMode="decimal" className="input" value={min} onChange={(e) => setMin(e.target.value)} />
        </div>
        <div>
          <label htmlFor={`${ids}-max`} className="mb-1 block text-sm font-medium">
            Max price ($)
          </label>
          <input id={`${ids}-max`} name="max" inputMode="decimal" className="input" value={max} onChange={(e) => setMax(e.target.value)} />
        </div>
        <div className="flex items-center gap-2 sm:pb-3">
          <input
            id={`${ids}-stock`}
            name="inStock"
            type="checkbox"
            className="h-5 w-5 accent-indigo-700"
            checked={inStock}
            onChange={(e) => setInStock(e.target.checked)}
          />
          <label htmlFor={`${ids}-stock`} className="text-sm font-medium">
            In stock only
          </label>
        </div>
        <div className="flex gap-2 sm:col-span-6">
          <button type="submit" className="btn btn-primary">
            Search
          </button>
          {filtered ? (
            <button type="button" className="btn btn-secondary" onClick={() => router.replace('/', { scroll: false })}>
              Clear filters
            </button>
          ) : null}
        </div>
        {formError ? (
          <p role="alert" className="text-sm text-red-800 sm:col-span-6">
            {formError}
          </p>
        ) : null}
      </form>

      <section aria-labelledby={`${ids}-results`}>
        <h2 id={`${ids}-results`} className="sr-only">
          Products
        </h2>
        {query.isPending ? (
          <Loading label="Loading products…" />
        ) : !query.data ? (
          <ErrorAlert error={query.error} onRetry={() => void query.refetch()} />
        ) : products.length === 0 ? (
          <p className="py-6 text-slate-700" role="status">
            No products match{filtered ? ' these filters' : ''}.
          </p>
        ) : (
          <>
            <p className="mb-3 text-sm text-slate-700" role="status" aria-live="polite" data-testid="result-count">
              Showing {plural(products.length, 'product')}
              {query.hasNextPage ? ' (more available)' : ''}
            </p>
            <ul className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-3" data-testid="product-list">
              {products.map((p) => (
                <li key={p.id} className="card flex flex-col gap-2">
                  <h3 className="text-base font-semibold">
                    <Link href={`/product/?id=${encodeURIComponent(p.id)}`} className="text-indigo-800 underline-offset-4 hover:underline">
                      {p.name}
                    </Link>
                  </h3>
                  <p className="text-xs text-slate-700">SKU {p.sku}</p>
                  <div className="mt-auto flex items-center justify-between">
                    <span className="font-semibold">{formatMoney(p.priceCents)}</span>
                    <StockBadge inStock={p.inStock} />
                  </div>
                </li>
              ))}
            </ul>
            <div className="mt-6 flex flex-col items-center gap-2">
              {query.isFetchNextPageError ? <ErrorAlert error={query.error} onRetry={() => void query.fetchNextPage()} /> : null}
              {query.hasNextPage ? (
                <button
                  type="button"
                  className="btn btn-secondary"
                  disabled={query.isFetchingNextPage}
                  onClick={() => void query.fetchNextPage()}
                >
                  {query.isFetchingNextPage ? 'Loading more…' : 'Load more products'}
                </button>
              ) : (
                <p className="text-sm text-slate-700">That is the whole catalogue{filtered ? ' for these filters' : ''}.</p>
              )}
            </div>
          </>
        )}
      </section>
    </>
  );
}
