import { describe, expect, it } from 'vitest';
import {
  authorizationHeader,
  createSessionStore,
  EXPIRY_SKEW_MS,
  isExpired,
  parseSession,
  serializeSession,
  SESSION_KEY,
  sessionDeadline,
  tokenExpiry,
  type Session,
} from '@/lib/auth';
import { memoryStorage } from '@/lib/storage';
import { safeNextPath } from '@/lib/next-path';

const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims: object) => `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}.signature`;

const NOW = Date.parse('2026-12-01T15:00:00Z');
const inAnHour = new Date(NOW + 3600_000).toISOString();

function session(overrides: Partial<Session> = {}): Session {
  return {
    token: jwt({ sub: 'u1', exp: (NOW + 3600_000) / 1000 }),
    expiresAt: inAnHour,
    user: { id: 'u1', name: 'Grace', email: 'grace@tessera.dev' },
    ...overrides,
  };
}

describe('tokens', () => {
  it('reads the exp claim of a JWT', () => {
    expect(tokenExpiry(jwt({ exp: 1796140303 }))).toBe(1796140303_000);
    expect(tokenExpiry(jwt({ sub: 'x' }))).toBeNull();
    expect(tokenExpiry('opaque-token')).toBeNull();
    expect(tokenExpiry('a.%%%.c')).toBeNull();
  });

  it('ends a session at the earlier of expiresAt and exp', () => {
    expect(sessionDeadline(session())).toBe(NOW + 3600_000);
    expect(sessionDeadline(session({ token: jwt({ exp: (NOW + 60_000) / 1000 }) }))).toBe(NOW + 60_000);
    expect(sessionDeadline(session({ token: 'opaque', expiresAt: 'garbage' }))).toBe(0);
  });

  it('treats a session as expired just before its deadline', () => {
    const s = session();
    expect(isExpired(s, NOW)).toBe(false);
    expect(isExpired(s, NOW + 3600_000 - EXPIRY_SKEW_MS - 1)).toBe(false);
    expect(isExpired(s, NOW + 3600_000 - EXPIRY_SKEW_MS)).toBe(true);
    expect(isExpired(s, NOW + 7200_000)).toBe(true);
  });

  it('sends Bearer tokens only while valid', () => {
    const s = session();
    expect(authorizationHeader(s, NOW)).toBe(`Bearer ${s.token}`);
    expect(authorizationHeader(s, NOW + 7200_000)).toBeNull();
    expect(authorizationHeader(null, NOW)).toBeNull();
  });
});

describe('stored sessions', () => {
  it('round-trips and drops expired or malformed ones', () => {
    const s = session();
    expect(parseSession(serializeSession(s), NOW)).toEqual(s);
    expect(parseSession(serializeSession(s), NOW + 7200_000)).toBeNull();
    expect(parseSession(null, NOW)).toBeNull();
    expect(parseSession('nope', NOW)).toBeNull();
    expect(parseSession(JSON.stringify({ ...s, token: '' }), NOW)).toBeNull();
    expect(parseSession(JSON.stringify({ ...s, user: { id: 'u1' } }), NOW)).toBeNull();
    expect(parseSession(JSON.stringify({ ...s, user: { ...s.user, email: null } }), NOW)?.user.email).toBeNull();
    expect(serializeSession(null)).toBeNull();
  });

  it('keeps the session in storage, and reads an expired one as none', () => {
    const storage = memoryStorage();
    const store = createSessionStore(() => storage);
    expect(store.get()).toBeNull();
    const live = session({ token: jwt({ exp: Date.now() / 1000 + 3600 }), expiresAt: new Date(Date.now() + 3600_000).toISOString() });
    store.set(live);
    expect(store.get()).toEqual(live);
    expect(JSON.parse(storage.getItem(SESSION_KEY) ?? 'null')).toEqual(live);
    store.set(null);
    expect(storage.getItem(SESSION_KEY)).toBeNull();

    const dead = session({ token: jwt({ exp: Date.now() / 1000 - 10 }), expiresAt: new Date(Date.now() - 10_000).toISOString() });
    storage.setItem(SESSION_KEY, JSON.stringify(dead));
    expect(createSessionStore(() => storage).get()).toBeNull();
  });
});

describe('safeNextPath', () => {
  it('only follows same-site paths', () => {
    expect(safeNextPath('/checkout/')).toBe('/checkout/');
    expect(safeNextPath('/orders/?x=1')).toBe('/orders/?x=1');
    expect(safeNextPath(null)).toBe('/');
    expect(safeNextPath('https://evil.example/')).toBe('/');
    expect(safeNextPath('//evil.example/')).toBe('/');
    expect(safeNextPath('/\\evil.example')).toBe('/');
    expect(safeNextPath('javascript:alert(1)')).toBe('/');
  });
});
