// Money and dates as the storefront shows them. Prices travel as integer
// cents (`priceCents`, `totalCents`, ...); the store sells in one currency.

export const STORE_CURRENCY = 'USD';
export const STORE_LOCALE = 'en-US';

const moneyFormats = new Map<string, Intl.NumberFormat>();

export function formatMoney(cents: number, currency = STORE_CURRENCY, locale = STORE_LOCALE): string {
  if (!Number.isFinite(cents)) return '—';
  const key = `${locale}|${currency}`;
  let format = moneyFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: 'currency', currency });
    moneyFormats.set(key, format);
  }
  // Integer cents → units without float drift in the division's display.
  return format.format(Math.round(cents) / 100);
}

/** Parses what a shopper types into a price box ("12", "12.5", "$1,299.99")
 *  into cents; null when empty or not a non-negative amount. */
export function parseMoneyInput(text: string): number | null {
  const cleaned = text.trim().replace(/[$,\s]/g, '');
  if (cleaned === '') return null;
  if (!/^\d+(\.\d{0,2})?$/.test(cleaned)) return null;
  const [units = '0', fraction = ''] = cleaned.split('.');
  const cents = Number(units) * 100 + Number(fraction.padEnd(2, '0'));
  return Number.isSafeInteger(cents) && cents <= 2_147_483_647 ? cents : null;
}

/** Cents as the plain number a price input shows ("12.50"). */
export function centsToInput(cents: number | null | undefined): string {
  if (cents === null || cents === undefined) return '';
  return (cents / 100).toFixed(2);
}

/** An RFC 3339 timestamp (the `DateTime` scalar) as a date and time. */
export function formatDateTime(iso: string, locale = STORE_LOCALE, timeZone?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, {
    dateStyle: 'medium',
    timeStyle: 'short',
    ...(timeZone ? { timeZone } : {}),
  }).format(date);
}

export function formatWeight(grams: number): string {
  if (grams >= 1000) return `${(grams / 1000).toFixed(grams % 1000 === 0 ? 0 : 1)} kg`;
  return `${grams} g`;
}

/** "1 item" / "3 items". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
