// The signed-in session: the bearer token from `signUp`/`logIn`, kept in
// localStorage and sent as `Authorization: Bearer <token>`. A session is over
// at `expiresAt` (or the token's own `exp`, whichever is first), when the
// router refuses the token (401), or on log-out.

import { createStore, type KeyValueStorage } from './storage';

export const SESSION_KEY = 'tessera.session.v1';
/** Treat a token as expired this long before it is, so a request in flight
 *  does not race the deadline. */
export const EXPIRY_SKEW_MS = 30_000;

export interface SessionUser {
  id: string;
  name: string;
  email: string | null;
}

export interface Session {
  token: string;
  /** RFC 3339. */
  expiresAt: string;
  user: SessionUser;
}

/** The `exp` claim of a JWT, in ms since the epoch, or null when there is none
 *  (the token is opaque to the client otherwise: the router verifies it). */
export function tokenExpiry(token: string): number | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
    const json = JSON.parse(atob(padded)) as { exp?: unknown };
    return typeof json.exp === 'number' && Number.isFinite(json.exp) ? json.exp * 1000 : null;
  } catch {
    return null;
  }
}

/** When the session ends, in ms since the epoch. */
export function sessionDeadline(session: Session): number {
  const declared = Date.parse(session.expiresAt);
  const claimed = tokenExpiry(session.token);
  const candidates = [declared, claimed ?? Number.NaN].filter((t) => Number.isFinite(t));
  return candidates.length === 0 ? 0 : Math.min(...candidates);
}

export function isExpired(session: Session, now = Date.now()): boolean {
  return sessionDeadline(session) - EXPIRY_SKEW_MS <= now;
}

function isSession(value: unknown): value is Session {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const user = v.user as Record<string, unknown> | undefined;
  return (
    typeof v.token === 'string' &&
    v.token !== '' &&
    typeof v.expiresAt === 'string' &&
    typeof user === 'object' &&
    user !== null &&
    typeof user.id === 'string' &&
    typeof user.name === 'string' &&
    (user.email === null || typeof user.email === 'string')
  );
}

/** The stored session, or null when there is none, it is unreadable or it has expired. */
export function parseSession(raw: string | null, now = Date.now()): Session | null {
  if (!raw) return null;
  try {
    const value: unknown = JSON.parse(raw);
    if (!isSession(value) || isExpired(value, now)) return null;
    return { token: value.token, expiresAt: value.expiresAt, user: { id: value.user.id, name: value.user.name, email: value.user.email } };
  } catch {
    return null;
  }
}

export function serializeSession(session: Session | null): string | null {
  return session ? JSON.stringify(session) : null;
}

/** The `Authorization` header for a session, if it is still valid. */
export function authorizationHeader(session: Session | null, now = Date.now()): string | null {
  return session && !isExpired(session, now) ? `Bearer ${session.token}` : null;
}

export function createSessionStore(storage?: () => KeyValueStorage | null) {
  const store = createStore<Session | null>({
    key: SESSION_KEY,
    // The expiry is checked again on every read: an expired session reads null.
    parse: (raw) => parseSession(raw),
    serialize: serializeSession,
    storage,
  });
  return {
    ...store,
    get(): Session | null {
      // No write here (this runs while React renders): the session provider
      // clears an expired session on a timer.
      const session = store.get();
      return session && isExpired(session) ? null : session;
    },
  };
}

export const sessionStore = createSessionStore();

/** Why the last session ended, for the log-in page to say. */
export type SignOutReason = 'expired' | 'rejected' | 'signed-out';
