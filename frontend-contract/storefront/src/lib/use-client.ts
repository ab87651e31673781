'use client';
import { useSyncExternalStore } from 'react';

const noop = () => () => {};

/** False while prerendering and hydrating, true after: pages that depend on
 *  localStorage (session, cart) wait for it instead of flashing. */
export function useIsClient(): boolean {
  return useSyncExternalStore(noop, () => true, () => false);
}
