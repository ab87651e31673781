'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { useEffect, useId, useState } from 'react';
import { ProductDetailBySkuDocument } from '@/gql/graphql';
import { ErrorAlert, Loading, Notice, StockBadge } from '@/components/status';
import { request } from '@/lib/api';
import { addToCart, MAX_QUANTITY } from '@/lib/cart';
import { updateCart, useCart } from '@/lib/cart-hooks';
import { formatMoney, formatWeight } from '@/lib/format';
import { fetchProduct, keys } from '@/lib/queries';

/** How often the page asks for the stock again while it is open. */
const STOCK_REFRESH_MS = 5_000;

export function ProductView() {
  const params = useSearchParams();
  const id = params.get('id');
  const sku = params.get('sku');
  const ids = useId();
  const cart = useCart();
  const [quantity, setQuantity] = useState(1);
  const [added, setAdded] = useState<number | null>(null);

  const query = useQuery({
    queryKey: id ? keys.product(id) : ['products', 'sku', sku ?? ''],
    queryFn: async ({ signal }) =>
      id ? (await fetchProduct(id, signal)).product : (await request(ProductDetailBySkuDocument, { sku: sku ?? '' }, signal)).productBySku,
    enabled: Boolean(id || sku),
    refetchInterval: STOCK_REFRESH_MS,
    staleTime: 0,
  });
  const product = query.data;

  useEffect(() => {
    if (product) document.title = `${product.name} · Tessera Store`;
  }, [product]);

  if (!id && !sku) {
    return (
      <Notice tone="warning">
        No product chosen. <Link href="/" className="underline">Back to the catalogue</Link>
      </Notice>
    );
  }
  if (query.isPending) return <Loading label="Loading the product…" />;
  if (query.isError) return <ErrorAlert error={query.error} onRetry={() => void query.refetch()} />;
  if (!product) {
    return (
      <Notice tone="warning">
        This product is not in the catalogue. <Link href="/" className="underline">Back to the catalogue</Link>
      </Notice>
    );
  }

  const inCart = cart.lines.find((l) => l.productId === product.id)?.quantity ?? 0;
  const maxOrderable = Math.max(0, Math.min(MAX_QUANTITY, product.stock - inCart));
  const canAdd = product.inStock && maxOrderable > 0;

  return (
    <article aria-labelledby={`${ids}-title`} className="grid gap-6 md:grid-cols-3">
      <div className="md:col-span-2">
        <nav aria-label="Breadcrumb" className="mb-2 text-sm">
          <Link href="/" className="text-indigo-800 underline">
            Catalogue
          </Link>{' '}
          / <span aria-current="page">{product.name}</span>
        </nav>
        <h1 id={`${ids}-title`} className="text-2xl font-bold" data-testid="product-name">
          {product.name}
        </h1>
        <p className="mt-1 text-sm text-slate-700">SKU {product.sku}</p>
        <p className="mt-4 whitespace-pre-line">{product.description || 'No description.'}</p>
        <dl className="mt-6 grid grid-cols-2 gap-x-4 gap-y-2 text-sm sm:max-w-sm">
          <dt className="font-medium">Weight</dt>
          <dd>{formatWeight(product.weightGrams)}</dd>
          <dt className="font-medium">Shipping estimate</dt>
          <dd data-testid="shipping-estimate">{formatMoney(product.shippingEstimateCents)}</dd>
        </dl>
      </div>
      <aside aria-label="Buy" className="card h-fit">
        <p className="text-2xl font-bold" data-testid="product-price">
          {formatMoney(product.priceCents)}
        </p>
        <div className="mt-2 flex items-center gap-2" aria-live="polite">
          <StockBadge inStock={product.inStock} />
          <span className="text-sm">
            <span data-testid="stock">{product.stock}</span> available
          </span>
          {query.isFetching ? <span className="sr-only">Updating stock</span> : null}
        </div>
        {inCart > 0 ? (
          <p className="mt-2 text-sm text-slate-700">
            {inCart} already in your <Link href="/cart/" className="underline">cart</Link>.
          </p>
        ) : null}
        <form
          className="mt-4 flex flex-col gap-3"
          onSubmit={(e) => {
            e.preventDefault();
            const n = Math.min(quantity, maxOrderable);
            if (n < 1) return;
            updateCart((c) => addToCart(c, { productId: product.id, sku: product.sku, name: product.name, priceCents: product.priceCents }, n));
            setAdded(n);
            setQuantity(1);
          }}
        >
          <div>
            <label htmlFor={`${ids}-qty`} className="mb-1 block text-sm font-medium">
              Quantity
            </label>
            <input
              id={`${ids}-qty`}
              type="number"
              inputMode="numeric"
              min={1}
              max={Math.max(1, maxOrderable)}
              className="input"
              value={quantity}
              disabled={!canAdd}
              onChange={(e) => setQuantity(Math.max(1, Math.trunc(Number(e.target.value) || 1)))}
            />
          </div>
          <button type="submit" className="btn btn-primary" disabled={!canAdd}>
            {product.inStock ? 'Add to cart' : 'Out of stock'}
          </button>
          {added !== null ? (
            <p role="status" className="text-sm text-green-900" data-testid="added">
              Added {added} to your cart. <Link href="/cart/" className="underline">View cart</Link>
            </p>
          ) : null}
        </form>
      </aside>
    </article>
  );
}
