import { describe, expect, it } from 'vitest';
import { centsToInput, formatDateTime, formatMoney, formatWeight, parseMoneyInput, plural } from '@/lib/format';

describe('formatMoney', () => {
  it('formats integer cents as dollars', () => {
    expect(formatMoney(24900)).toBe('$249.00');
    expect(formatMoney(5)).toBe('$0.05');
    expect(formatMoney(0)).toBe('$0.00');
    expect(formatMoney(123456789)).toBe('$1,234,567.89');
  });
  it('handles negative and non-finite amounts', () => {
    expect(formatMoney(-150)).toBe('-$1.50');
    expect(formatMoney(Number.NaN)).toBe('—');
  });
  it('takes another currency and locale', () => {
    expect(formatMoney(1999, 'EUR', 'de-DE')).toBe('19,99\u00a0€');
  });
});

describe('parseMoneyInput', () => {
  it('reads what shoppers type', () => {
    expect(parseMoneyInput('12')).toBe(1200);
    expect(parseMoneyInput('12.5')).toBe(1250);
    expect(parseMoneyInput(' $1,299.99 ')).toBe(129999);
    expect(parseMoneyInput('0.07')).toBe(7);
    expect(parseMoneyInput('3.')).toBe(300);
  });
  it('refuses the rest', () => {
    expect(parseMoneyInput('')).toBeNull();
    expect(parseMoneyInput('   ')).toBeNull();
    expect(parseMoneyInput('-1')).toBeNull();
    expect(parseMoneyInput('1.234')).toBeNull();
    expect(parseMoneyInput('abc')).toBeNull();
    expect(parseMoneyInput('1e3')).toBeNull();
    expect(parseMoneyInput('99999999999')).toBeNull();
  });
  it('round-trips with centsToInput', () => {
    for (const cents of [0, 1, 99, 1250, 24900]) expect(parseMoneyInput(centsToInput(cents))).toBe(cents);
    expect(centsToInput(null)).toBe('');
    expect(centsToInput(undefined)).toBe('');
  });
});

describe('dates and the rest', () => {
  it('formats RFC 3339 timestamps in a given time zone', () => {
    expect(formatDateTime('2026-12-01T15:51:43+00:00', 'en-US', 'UTC')).toBe('Dec 1, 2026, 3:51 PM');
    expect(formatDateTime('2026-12-01T15:51:43+00:00', 'en-GB', 'Europe/London')).toBe('1 Dec 2026, 15:51');
  });
  it('leaves an unreadable date as it is', () => {
    expect(formatDateTime('not a date')).toBe('not a date');
  });
  it('formats weights and counts', () => {
    expect(formatWeight(850)).toBe('850 g');
    expect(formatWeight(2000)).toBe('2 kg');
    expect(formatWeight(2500)).toBe('2.5 kg');
    expect(plural(1, 'item')).toBe('1 item');
    expect(plural(3, 'item')).toBe('3 items');
  });
});
