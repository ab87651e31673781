// The cart: pure functions over an immutable value, kept in localStorage.
// Prices in the cart are what the shopper saw; the order's total comes from
// the orders subgraph at the prices when ordered.

import type { PlaceOrderInput } from '@/gql/graphql';
import { createStore, type KeyValueStorage } from './storage';

export const CART_KEY = 'tessera.cart.v1';
/** What `OrderLineInput.quantity` accepts: 1 to 1000. */
export const MAX_QUANTITY = 1000;

export interface CartLine {
  productId: string;
  sku: string;
  name: string;
  /** Unit price when added, in cents. */
  priceCents: number;
  quantity: number;
}

export interface Cart {
  lines: readonly CartLine[];
}

export const EMPTY_CART: Cart = Object.freeze({ lines: Object.freeze([]) as readonly CartLine[] });

export function clampQuantity(quantity: number): number {
  if (!Number.isFinite(quantity)) return 1;
  return Math.min(MAX_QUANTITY, Math.max(1, Math.trunc(quantity)));
}

/** Adds `quantity` of a product (merged with a line already there, up to the maximum). */
export function addToCart(cart: Cart, product: Omit<CartLine, 'quantity'>, quantity = 1): Cart {
  const existing = cart.lines.find((l) => l.productId === product.productId);
  if (existing) {
    return {
      lines: cart.lines.map((l) =>
        l.productId === product.productId
          ? { ...l, name: product.name, sku: product.sku, priceCents: product.priceCents, quantity: clampQuantity(l.quantity + quantity) }
          : l,
      ),
    };
  }
  return { lines: [...cart.lines, { ...product, quantity: clampQuantity(quantity) }] };
}

/** Sets a line's quantity; 0 or less removes it. */
export function setQuantity(cart: Cart, productId: string, quantity: number): Cart {
  if (!Number.isFinite(quantity) || quantity <= 0) return removeFromCart(cart, productId);
  return {
    lines: cart.lines.map((l) => (l.productId === productId ? { ...l, quantity: clampQuantity(quantity) } : l)),
  };
}

export function removeFromCart(cart: Cart, productId: string): Cart {
  return { lines: cart.lines.filter((l) => l.productId !== productId) };
}

export function cartCount(cart: Cart): number {
  return cart.lines.reduce((n, l) => n + l.quantity, 0);
}

export function cartSubtotalCents(cart: Cart): number {
  return cart.lines.reduce((sum, l) => sum + l.priceCents * l.quantity, 0);
}

export function toPlaceOrderInput(cart: Cart): PlaceOrderInput {
  return { lines: cart.lines.map((l) => ({ productId: l.productId, quantity: l.quantity })) };
}

function isLine(value: unknown): value is CartLine {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.productId === 'string' &&
    v.productId !== '' &&
    typeof v.sku === 'string' &&
    typeof v.name === 'string' &&
    typeof v.priceCents === 'number' &&
    Number.isInteger(v.priceCents) &&
    typeof v.quantity === 'number' &&
    Number.isFinite(v.quantity) &&
    v.quantity >= 1
  );
}

/** The cart stored as `raw`: anything unreadable is an empty cart, bad lines
 *  are dropped, duplicates merged and quantities clamped. */
export function parseCart(raw: string | null): Cart {
  if (!raw) return EMPTY_CART;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return EMPTY_CART;
  }
  const lines = (value as { lines?: unknown })?.lines;
  if (!Array.isArray(lines)) return EMPTY_CART;
  let cart: Cart = { lines: [] };
  for (const line of lines) {
    if (isLine(line)) {
      cart = addToCart(cart, { productId: line.productId, sku: line.sku, name: line.name, priceCents: line.priceCents }, line.quantity);
    }
  }
  return cart;
}

export function serializeCart(cart: Cart): string | null {
  return cart.lines.length === 0 ? null : JSON.stringify({ lines: cart.lines });
}

export function createCartStore(storage?: () => KeyValueStorage | null) {
  return createStore<Cart>({ key: CART_KEY, parse: parseCart, serialize: serializeCart, storage });
}

/** The browser's cart. */
export const cartStore = createCartStore();
