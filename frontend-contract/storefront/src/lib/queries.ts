'use client';
// Query keys and fetchers shared by pages (so a mutation can invalidate what
// it changed).

import { ProductDetailDocument, ProductListDocument, type ProductFilter } from '@/gql/graphql';
import { request } from './api';

export const PAGE_SIZE = 12;

export const keys = {
  products: ['products'] as const,
  productList: (filter: ProductFilter) => ['products', 'list', filter] as const,
  product: (id: string) => ['products', 'detail', id] as const,
  myOrders: ['me', 'orders'] as const,
};

export function fetchProductPage(filter: ProductFilter, after: string | null, signal?: AbortSignal) {
  return request(ProductListDocument, { first: PAGE_SIZE, after, filter }, signal);
}

export function fetchProduct(id: string, signal?: AbortSignal) {
  return request(ProductDetailDocument, { id }, signal);
}

/** The catalogue filter in a URL's query string (`q`, `inStock`, `min`, `max`; prices in cents). */
export function filterFromParams(params: URLSearchParams): ProductFilter {
  const filter: ProductFilter = {};
  const q = params.get('q')?.trim();
  if (q) filter.nameContains = q;
  if (params.get('inStock') === '1') filter.inStock = true;
  const cents = (name: string) => {
    const raw = params.get(name);
    if (raw === null || raw === '' || !/^\d+$/.test(raw)) return undefined;
    const n = Number(raw);
    return Number.isSafeInteger(n) && n <= 2_147_483_647 ? n : undefined;
  };
  const min = cents('min');
  const max = cents('max');
  if (min !== undefined) filter.minPriceCents = min;
  if (max !== undefined) filter.maxPriceCents = max;
  return filter;
}

export function filterToParams(filter: ProductFilter): URLSearchParams {
  const params = new URLSearchParams();
  if (filter.nameContains) params.set('q', filter.nameContains);
  if (filter.inStock) params.set('inStock', '1');
  if (filter.minPriceCents !== null && filter.minPriceCents !== undefined) params.set('min', String(filter.minPriceCents));
  if (filter.maxPriceCents !== null && filter.maxPriceCents !== undefined) params.set('max', String(filter.maxPriceCents));
  return params;
}
