'use client';

import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { CancelOrderDocument, MyOrdersDocument, type MyOrdersQuery } from '@/gql/graphql';
import { RequireSession } from '@/components/require-session';
import { ErrorAlert, Loading, Notice } from '@/components/status';
import { request } from '@/lib/api';
import { formatDateTime, formatMoney } from '@/lib/format';
import { keys } from '@/lib/queries';

type Order = NonNullable<MyOrdersQuery['me']>['orders']['edges'][number]['node'];

export function OrdersView() {
  return (
    <>
      <h1 className="mb-4 text-2xl font-bold">My orders</h1>
      <RequireSession next="/orders/" what="see your orders">
        {(session) => <Orders key={session.user.id} />}
      </RequireSession>
    </>
  );
}

function Orders() {
  const query = useInfiniteQuery({
    queryKey: keys.myOrders,
    queryFn: ({ pageParam, signal }) => request(MyOrdersDocument, { first: 10, after: pageParam }, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => (last.me?.orders.pageInfo.hasNextPage ? (last.me.orders.pageInfo.endCursor ?? null) : null),
    staleTime: 0,
  });
  if (query.isPending) return <Loading label="Loading your orders…" />;
  if (!query.data) return <ErrorAlert error={query.error} onRetry={() => void query.refetch()} />;
  const orders = query.data.pages.flatMap((p) => p.me?.orders.edges.map((e) => e.node) ?? []);
  if (orders.length === 0) {
    return (
      <p>
        You have no orders yet. <Link href="/" className="text-indigo-800 underline">Browse the catalogue</Link>
      </p>
    );
  }
  return (
    <>
      <ul className="flex flex-col gap-4" data-testid="orders">
        {orders.map((order) => (
          <li key={order.id}>
            <OrderCard order={order} />
          </li>
        ))}
      </ul>
      <div className="mt-6 flex flex-col items-center">
        {query.isFetchNextPageError ? <ErrorAlert error={query.error} onRetry={() => void query.fetchNextPage()} /> : null}
        {query.hasNextPage ? (
          <button type="button" className="btn btn-secondary" disabled={query.isFetchingNextPage} onClick={() => void query.fetchNextPage()}>
            {query.isFetchingNextPage ? 'Loading more…' : 'Load older orders'}
          </button>
        ) : null}
      </div>
    </>
  );
}

function OrderCard({ order }: { order: Order }) {
  const queryClient = useQueryClient();
  const [cancelled, setCancelled] = useState(false);
  const cancel = useMutation({
    mutationFn: () => request(CancelOrderDocument, { id: order.id }),
    onSuccess: () => setCancelled(true),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: keys.myOrders });
      void queryClient.invalidateQueries({ queryKey: keys.products });
    },
  });
  const headingId = `order-${order.id}`;
  const placed = order.status === 'PLACED';
  return (
    <article aria-labelledby={headingId} className="card" data-testid="order" data-order-id={order.id} data-status={order.status}>
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id={headingId} className="text-base font-semibold">
          Order <span className="font-mono text-sm">{order.id.slice(-12)}</span>
        </h2>
        <span
          className={`rounded-full px-2 py-0.5 text-xs font-semibold ${placed ? 'bg-green-100 text-green-900' : 'bg-slate-200 text-slate-800'}`}
          data-testid="order-status"
        >
          {placed ? 'Placed' : 'Cancelled'}
        </span>
      </div>
      <p className="text-sm text-slate-700">
        <time dateTime={order.createdAt}>{formatDateTime(order.createdAt)}</time>
      </p>
      <table className="mt-3 w-full text-left text-sm">
        <caption className="sr-only">Lines of order {order.id}</caption>
        <thead>
          <tr className="border-b border-slate-200">
            <th scope="col" className="py-1">Product</th>
            <th scope="col" className="py-1 text-right">Qty</th>
            <th scope="col" className="hidden py-1 text-right sm:table-cell">Unit price</th>
            <th scope="col" className="py-1 text-right">Subtotal</th>
          </tr>
        </thead>
        <tbody>
          {order.lines.map((line) => (
            <tr key={line.product.id} className="border-b border-slate-100">
              <td className="py-1">
                <Link href={`/product/?id=${encodeURIComponent(line.product.id)}`} className="text-indigo-800 underline-offset-4 hover:underline">
                  {line.product.name}
                </Link>
              </td>
              <td className="py-1 text-right">{line.quantity}</td>
              <td className="hidden py-1 text-right sm:table-cell">{formatMoney(line.unitPriceCents)}</td>
              <td className="py-1 text-right">{formatMoney(line.subtotalCents)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" colSpan={2} className="pt-2">Total</th>
            <td className="hidden sm:table-cell" />
            <td className="pt-2 text-right font-bold" data-testid="order-total">
              {formatMoney(order.totalCents)}
            </td>
          </tr>
        </tfoot>
      </table>
      {cancel.isError ? <ErrorAlert error={cancel.error} /> : null}
      {cancelled && !placed ? <Notice tone="success">Order cancelled; its items are back in stock.</Notice> : null}
      {placed ? (
        <div className="mt-3">
          <button type="button" className="btn btn-danger" disabled={cancel.isPending} aria-busy={cancel.isPending} onClick={() => cancel.mutate()}>
            {cancel.isPending ? 'Cancelling…' : 'Cancel order'}
            <span className="sr-only"> {order.id}</span>
          </button>
        </div>
      ) : null}
    </article>
  );
}
