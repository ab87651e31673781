'use client';

import Link from 'next/link';
import { Loading } from '@/components/status';
import { cartCount, cartSubtotalCents, MAX_QUANTITY, removeFromCart, setQuantity } from '@/lib/cart';
import { updateCart, useCart } from '@/lib/cart-hooks';
import { formatMoney, plural } from '@/lib/format';
import { useIsClient } from '@/lib/use-client';

export function CartView() {
  const cart = useCart();
  const ready = useIsClient();
  if (!ready) return <Loading label="Loading your cart…" />;
  return (
    <>
      <h1 className="mb-4 text-2xl font-bold">Your cart</h1>
      {cart.lines.length === 0 ? (
        <p>
          Your cart is empty. <Link href="/" className="text-indigo-800 underline">Browse the catalogue</Link>
        </p>
      ) : (
        <>
          <ul className="flex flex-col gap-3" data-testid="cart-lines">
            {cart.lines.map((line) => {
              const inputId = `qty-${line.productId}`;
              return (
                <li key={line.productId} className="card flex flex-wrap items-center gap-4" data-testid="cart-line">
                  <div className="min-w-40 flex-1">
                    <Link href={`/product/?id=${encodeURIComponent(line.productId)}`} className="font-semibold text-indigo-800 underline-offset-4 hover:underline">
                      {line.name}
                    </Link>
                    <p className="text-sm text-slate-700">{formatMoney(line.priceCents)} each</p>
                  </div>
                  <div className="w-28">
                    <label htmlFor={inputId} className="mb-1 block text-sm font-medium">
                      Quantity<span className="sr-only"> of {line.name}</span>
                    </label>
                    <input
                      id={inputId}
                      type="number"
                      inputMode="numeric"
                      min={1}
                      max={MAX_QUANTITY}
                      className="input"
                      value={line.quantity}
                      onChange={(e) => {
                        const n = Math.trunc(Number(e.target.value));
                        if (Number.isFinite(n) && n >= 1) updateCart((c) => setQuantity(c, line.productId, n));
                      }}
                    />
                  </div>
                  <p className="w-24 text-right font-semibold" aria-label={`Subtotal for ${line.name}`}>
                    {formatMoney(line.priceCents * line.quantity)}
                  </p>
                  <button type="button" className="btn btn-secondary" onClick={() => updateCart((c) => removeFromCart(c, line.productId))}>
                    Remove<span className="sr-only"> {line.name}</span>
                  </button>
                </li>
              );
            })}
          </ul>
          <div className="card mt-6 flex flex-wrap items-center justify-between gap-4">
            <p>
              {plural(cartCount(cart), 'item')}, subtotal{' '}
              <strong data-testid="cart-subtotal">{formatMoney(cartSubtotalCents(cart))}</strong>
            </p>
            <div className="flex gap-2">
              <button type="button" className="btn btn-secondary" onClick={() => updateCart(() => ({ lines: [] }))}>
                Empty cart
              </button>
              <Link href="/checkout/" className="btn btn-primary">
                Checkout
              </Link>
            </div>
          </div>
        </>
      )}
    </>
  );
}
