'use client';
import { useSyncExternalStore } from 'react';
import { EMPTY_CART, cartStore, type Cart } from './cart';

export function useCart(): Cart {
  return useSyncExternalStore(cartStore.subscribe, cartStore.get, () => EMPTY_CART);
}

export function updateCart(change: (cart: Cart) => Cart): void {
  cartStore.set(change(cartStore.get()));
}
