import { afterEach, describe, expect, it, vi } from 'vitest';
import { endSession, request, startSession } from '@/lib/api';
import { sessionStore, type Session } from '@/lib/auth';
import type { Document } from '@/lib/graphql';

const doc = { __meta__: { hash: 'sha256:' + 'b'.repeat(64) } } as unknown as Document<{ me: { id: string } | null }, Record<string, never>>;
const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const live = (): Session => ({
  token: `${b64url({ alg: 'HS256' })}.${b64url({ exp: Math.floor(Date.now() / 1000) + 3600 })}.sig`,
  expiresAt: new Date(Date.now() + 3600_000).toISOString(),
  user: { id: 'u1', name: 'Grace', email: null },
});
const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/graphql-response+json' } });

afterEach(() => {
  vi.unstubAllGlobals();
  endSession('signed-out');
});

describe('request (the storefront binding)', () => {
  it('posts to /graphql with the session token, by documentId only in production-shaped documents', async () => {
    const session = live();
    startSession(session);
    const fetch = vi.fn(async () => json(200, { data: { me: { id: 'u1' } } }));
    vi.stubGlobal('fetch', fetch);
    await expect(request(doc, {})).resolves.toEqual({ me: { id: 'u1' } });
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/graphql');
    expect((init.headers as Record<string, string>).authorization).toBe(`Bearer ${session.token}`);
    expect(JSON.parse(String(init.body))).toEqual({ documentId: doc.__meta__!.hash });
  });

  it('ends the session on a 401 and runs the request again without the token', async () => {
    startSession(live());
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(json(401, { errors: [{ message: 'invalid token: expired', extensions: { code: 'UNAUTHENTICATED' } }] }))
      .mockResolvedValueOnce(json(200, { data: { me: null } }));
    vi.stubGlobal('fetch', fetch);
    await expect(request(doc, {})).resolves.toEqual({ me: null });
    expect(sessionStore.get()).toBeNull();
    expect(fetch).toHaveBeenCalledTimes(2);
    const second = fetch.mock.calls[1]![1] as RequestInit;
    expect((second.headers as Record<string, string>).authorization).toBeUndefined();
  });

  it('does not retry a 401 it got without a token', async () => {
    const fetch = vi.fn(async () => json(401, { errors: [{ message: 'no', extensions: { code: 'UNAUTHENTICATED' } }] }));
    vi.stubGlobal('fetch', fetch);
    await expect(request(doc, {})).rejects.toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('sends no token once the session has expired', async () => {
    startSession({ ...live(), expiresAt: new Date(Date.now() - 1000).toISOString() });
    const fetch = vi.fn(async () => json(200, { data: { me: null } }));
    vi.stubGlobal('fetch', fetch);
    await request(doc, {});
    expect(((fetch.mock.calls[0] as unknown as [string, RequestInit])[1].headers as Record<string, string>).authorization).toBeUndefined();
  });
});
