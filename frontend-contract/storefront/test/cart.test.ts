import { describe, expect, it } from 'vitest';
import {
  addToCart,
  CART_KEY,
  cartCount,
  cartSubtotalCents,
  createCartStore,
  EMPTY_CART,
  MAX_QUANTITY,
  parseCart,
  removeFromCart,
  serializeCart,
  setQuantity,
  toPlaceOrderInput,
  type Cart,
} from '@/lib/cart';
import { memoryStorage } from '@/lib/storage';

const lamp = { productId: 'p-lamp', sku: 'OAK-LAMP', name: 'Oak Lamp', priceCents: 5900 };
const desk = { productId: 'p-desk', sku: 'OAK-DESK', name: 'Oak Desk', priceCents: 24900 };

describe('cart logic', () => {
  it('adds, merges and counts lines', () => {
    let cart: Cart = EMPTY_CART;
    cart = addToCart(cart, lamp);
    cart = addToCart(cart, desk, 2);
    cart = addToCart(cart, lamp, 3);
    expect(cart.lines.map((l) => [l.productId, l.quantity])).toEqual([
      ['p-lamp', 4],
      ['p-desk', 2],
    ]);
    expect(cartCount(cart)).toBe(6);
    expect(cartSubtotalCents(cart)).toBe(4 * 5900 + 2 * 24900);
  });

  it('never mutates the cart it is given', () => {
    const before = addToCart(EMPTY_CART, lamp);
    const frozen = JSON.stringify(before);
    addToCart(before, lamp, 2);
    setQuantity(before, 'p-lamp', 9);
    removeFromCart(before, 'p-lamp');
    expect(JSON.stringify(before)).toBe(frozen);
    expect(EMPTY_CART.lines).toHaveLength(0);
  });

  it('keeps quantities between 1 and the API maximum', () => {
    let cart = addToCart(EMPTY_CART, lamp, MAX_QUANTITY + 50);
    expect(cart.lines[0]?.quantity).toBe(MAX_QUANTITY);
    cart = setQuantity(cart, 'p-lamp', 2.7);
    expect(cart.lines[0]?.quantity).toBe(2);
    expect(addToCart(EMPTY_CART, lamp, 0).lines[0]?.quantity).toBe(1);
    expect(setQuantity(cart, 'p-lamp', 0).lines).toHaveLength(0);
    expect(setQuantity(cart, 'p-lamp', Number.NaN).lines).toHaveLength(0);
  });

  it('updates the name and price of a line added again', () => {
    const cart = addToCart(addToCart(EMPTY_CART, lamp), { ...lamp, priceCents: 6100, name: 'Oak Lamp II' });
    expect(cart.lines).toEqual([{ ...lamp, priceCents: 6100, name: 'Oak Lamp II', quantity: 2 }]);
  });

  it('removes lines and builds the order input', () => {
    const cart = removeFromCart(addToCart(addToCart(EMPTY_CART, lamp, 2), desk), 'p-desk');
    expect(toPlaceOrderInput(cart)).toEqual({ lines: [{ productId: 'p-lamp', quantity: 2 }] });
  });
});

describe('cart storage', () => {
  it('round-trips through JSON, empty carts as nothing', () => {
    const cart = addToCart(addToCart(EMPTY_CART, lamp, 2), desk);
    expect(parseCart(serializeCart(cart))).toEqual(cart);
    expect(serializeCart(EMPTY_CART)).toBeNull();
  });

  it('reads damaged or foreign data as safely as it can', () => {
    expect(parseCart(null)).toBe(EMPTY_CART);
    expect(parseCart('{nope')).toBe(EMPTY_CART);
    expect(parseCart('[]')).toBe(EMPTY_CART);
    expect(parseCart('{"lines": 3}')).toBe(EMPTY_CART);
    const raw = JSON.stringify({
      lines: [
        { ...lamp, quantity: 2 },
        { ...lamp, quantity: 5000 },
        { productId: '', sku: 'x', name: 'x', priceCents: 1, quantity: 1 },
        { ...desk, quantity: 0 },
        { ...desk, priceCents: 1.5, quantity: 1 },
        'junk',
      ],
    });
    expect(parseCart(raw)).toEqual({ lines: [{ ...lamp, quantity: MAX_QUANTITY }] });
  });

  it('keeps the cart in storage and tells subscribers', () => {
    const storage = memoryStorage();
    const store = createCartStore(() => storage);
    let calls = 0;
    const unsubscribe = store.subscribe(() => calls++);
    expect(store.get()).toBe(EMPTY_CART);
    store.set(addToCart(store.get(), lamp, 2));
    expect(calls).toBe(1);
    expect(JSON.parse(storage.getItem(CART_KEY) ?? 'null')).toEqual({ lines: [{ ...lamp, quantity: 2 }] });
    // A stable snapshot (useSyncExternalStore needs one) until it changes.
    expect(store.get()).toBe(store.get());
    // Another store on the same storage (another tab) sees it.
    expect(createCartStore(() => storage).get().lines).toHaveLength(1);
    store.set(EMPTY_CART);
    expect(storage.getItem(CART_KEY)).toBeNull();
    unsubscribe();
    store.set(addToCart(EMPTY_CART, desk));
    expect(calls).toBe(2);
  });

  it('works without storage (prerendering)', () => {
    const store = createCartStore(() => null);
    store.set(addToCart(EMPTY_CART, lamp));
    expect(store.get().lines).toHaveLength(1);
  });
});
