'use client';

import { useMutation, useQueries, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useMemo, useRef, useEffect } from 'react';
import { PlaceOrderDocument, type PlaceOrderMutation } from '@/gql/graphql';
import { RequireSession } from '@/components/require-session';
import { ErrorAlert, Loading, Notice } from '@/components/status';
import { request } from '@/lib/api';
import { cartSubtotalCents, toPlaceOrderInput, type Cart } from '@/lib/cart';
import { updateCart, useCart } from '@/lib/cart-hooks';
import { formatMoney } from '@/lib/format';
import { fetchProduct, keys } from '@/lib/queries';
import { useIsClient } from '@/lib/use-client';

export function CheckoutView() {
  return (
    <>
      <h1 className="mb-4 text-2xl font-bold">Checkout</h1>
      <RequireSession next="/checkout/" what="place your order">
        {() => <Checkout />}
      </RequireSession>
    </>
  );
}

function Placed({ order }: { order: PlaceOrderMutation['placeOrder'] }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <section aria-labelledby="placed" className="card border-green-300" data-testid="order-placed">
      <h2 id="placed" ref={heading} tabIndex={-1} className="text-xl font-semibold text-green-900">
        Order placed
      </h2>
      <p className="mt-2">
        Order <code data-testid="order-id">{order.id}</code>, total <strong data-testid="order-total">{formatMoney(order.totalCents)}</strong>.
      </p>
      <ul className="mt-2 list-disc pl-6">
        {order.lines.map((l) => (
          <li key={l.product.id}>
            {l.quantity} × {l.product.name} ({formatMoney(l.subtotalCents)})
          </li>
        ))}
      </ul>
      <p className="mt-4 flex gap-3">
        <Link href="/orders/" className="btn btn-primary">
          See my orders
        </Link>
        <Link href="/" className="btn btn-secondary">
          Keep shopping
        </Link>
      </p>
    </section>
  );
}

function Checkout() {
  const cart = useCart();
  const ready = useIsClient();
  const queryClient = useQueryClient();
  const stock = useQueries({
    queries: cart.lines.map((line) => ({
      queryKey: keys.product(line.productId),
      queryFn: ({ signal }: { signal: AbortSignal }) => fetchProduct(line.productId, signal).then((r) => r.product),
      staleTime: 0,
    })),
  });
  const names = useMemo(() => new Map(cart.lines.map((l) => [l.productId, l.name])), [cart]);

  const place = useMutation({
    mutationFn: (ordered: Cart) => request(PlaceOrderDocument, { input: toPlaceOrderInput(ordered) }),
    onSuccess: () => {
      updateCart(() => ({ lines: [] }));
    },
    onSettled: () => {
      // Stock changed (or the shopper should see why it did not).
      void queryClient.invalidateQueries({ queryKey: keys.products });
      void queryClient.invalidateQueries({ queryKey: keys.myOrders });
    },
  });

  if (!ready) return <Loading />;
  if (place.isSuccess) return <Placed order={place.data.placeOrder} />;
  if (cart.lines.length === 0) {
    return (
      <p>
        Your cart is empty. <Link href="/" className="text-indigo-800 underline">Browse the catalogue</Link>
      </p>
    );
  }

  return (
    <>
      <section aria-labelledby="summary" className="card">
        <h2 id="summary" className="mb-3 text-lg font-semibold">
          Order summary
        </h2>
        <table className="w-full text-left text-sm">
          <caption className="sr-only">Items in this order</caption>
          <thead>
            <tr className="border-b border-slate-200">
              <th scope="col" className="py-2">Product</th>
              <th scope="col" className="py-2 text-right">Qty</th>
              <th scope="col" className="hidden py-2 text-right sm:table-cell">Available</th>
              <th scope="col" className="py-2 text-right">Subtotal</th>
            </tr>
          </thead>
          <tbody>
            {cart.lines.map((line, i) => {
              const current = stock[i];
              const available = current?.data?.stock;
              const short = available !== undefined && available < line.quantity;
              return (
                <tr key={line.productId} className="border-b border-slate-100 align-top">
                  <td className="py-2">
                    {line.name}
                    {short ? (
                      <p className="text-xs font-medium text-amber-900">Only {available} available</p>
                    ) : null}
                  </td>
                  <td className="py-2 text-right">{line.quantity}</td>
                  <td className="hidden py-2 text-right sm:table-cell">
                    {current?.isPending ? '…' : current?.isError ? 'unknown' : available}
                  </td>
                  <td className="py-2 text-right">{formatMoney(line.priceCents * line.quantity)}</td>
                </tr>
              );
            })}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row" colSpan={2} className="pt-3">Total</th>
              <td className="hidden sm:table-cell" />
              <td className="pt-3 text-right font-bold" data-testid="checkout-total">
                {formatMoney(cartSubtotalCents(cart))}
              </td>
            </tr>
          </tfoot>
        </table>
        <p className="mt-3 text-xs text-slate-700">Prices are confirmed when the order is placed; shipping is estimated per product.</p>
      </section>
      {place.isError ? <ErrorAlert error={place.error} names={names} /> : null}
      {stock.some((s) => s.isError) ? (
        <Notice tone="warning">The current stock of some items could not be checked; the order will still be checked when placed.</Notice>
      ) : null}
      <div className="mt-6 flex flex-wrap gap-3">
        <button
          type="button"
          className="btn btn-primary"
          disabled={place.isPending}
          aria-busy={place.isPending}
          onClick={() => place.mutate(cart)}
        >
          {place.isPending ? 'Placing your order…' : 'Place order'}
        </button>
        <Link href="/cart/" className="btn btn-secondary">
          Back to cart
        </Link>
      </div>
    </>
  );
}
