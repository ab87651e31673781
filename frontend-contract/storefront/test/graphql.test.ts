import { describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { buildRequestBody, describeError, documentHash, documentText, execute, GraphQLRequestError, type Document } from '@/lib/graphql';
import { ProductListDocument, PlaceOrderDocument } from '@/gql/graphql';

const HASH = 'sha256:' + 'a'.repeat(64);
/** A document as `npm run codegen` generates it for production: only its hash. */
const hashOnly = { __meta__: { hash: HASH } } as unknown as Document<{ ok: boolean }, { id: string }>;
/** A document as `npm run codegen:dev` generates it: a String with the text and the hash. */
class TextDocument extends String {
  __meta__ = { hash: HASH };
}
const withText = new TextDocument('query Q($id: ID!) { ok(id: $id) }') as unknown as Document<{ ok: boolean }, { id: string }>;

function fakeFetch(status: number, body: unknown, contentType = 'application/graphql-response+json') {
  return vi.fn(async (_url: string | URL | Request, _init?: RequestInit) =>
    new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': contentType } }),
  );
}

describe('request shape', () => {
  it('sends only the documentId when text is not allowed (production)', () => {
    expect(buildRequestBody(withText, { id: '1' }, false)).toEqual({ documentId: HASH, variables: { id: '1' } });
    expect(buildRequestBody(hashOnly, { id: '1' }, false)).toEqual({ documentId: HASH, variables: { id: '1' } });
  });

  it('sends the query text in development when the build kept it', () => {
    expect(buildRequestBody(withText, { id: '1' }, true)).toEqual({ query: 'query Q($id: ID!) { ok(id: $id) }', variables: { id: '1' } });
    // A hash-only build has no text to send, even in development.
    expect(buildRequestBody(hashOnly, { id: '1' }, true)).toEqual({ documentId: HASH, variables: { id: '1' } });
  });

  it('leaves out empty variables and refuses a document without either', () => {
    expect(buildRequestBody(hashOnly, undefined, false)).toEqual({ documentId: HASH });
    expect(() => buildRequestBody({} as Document<unknown, unknown>, undefined, false)).toThrow(/codegen/);
    expect(documentText(hashOnly)).toBeNull();
    expect(documentHash({ __meta__: { hash: '' } })).toBeNull();
  });

  it('POSTs JSON with the bearer token and GraphQL response types', async () => {
    const fetch = fakeFetch(200, { data: { ok: true } });
    const data = await execute(hashOnly, { id: '7' }, { endpoint: '/graphql', authorization: 'Bearer t0k', allowText: false, fetch });
    expect(data).toEqual({ ok: true });
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe('/graphql');
    expect(init?.method).toBe('POST');
    const headers = init?.headers as Record<string, string>;
    expect(headers['content-type']).toBe('application/json');
    expect(headers.accept).toMatch(/^application\/graphql-response\+json/);
    expect(headers.authorization).toBe('Bearer t0k');
    expect(JSON.parse(String(init?.body))).toEqual({ documentId: HASH, variables: { id: '7' } });
  });

  it('sends no Authorization header when signed out', async () => {
    const fetch = fakeFetch(200, { data: { ok: true } });
    await execute(hashOnly, { id: '7' }, { endpoint: '/graphql', authorization: null, allowText: false, fetch });
    expect((fetch.mock.calls[0]![1]?.headers as Record<string, string>).authorization).toBeUndefined();
  });
});

describe('error mapping', () => {
  const run = (fetch: ReturnType<typeof fakeFetch>) => execute(hashOnly, { id: '1' }, { endpoint: '/graphql', allowText: false, fetch });

  it('turns INSUFFICIENT_STOCK into a clear message naming the product', async () => {
    const error = await run(
      fakeFetch(200, {
        errors: [
          {
            message: 'not enough stock for product `p-lamp`: 1000 requested, 14 available',
            path: ['placeOrder'],
            extensions: { code: 'INSUFFICIENT_STOCK', serviceName: 'orders' },
          },
        ],
        data: null,
      }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphQLRequestError);
    const e = error as GraphQLRequestError;
    expect(e.code).toBe('INSUFFICIENT_STOCK');
    expect(e.status).toBe(200);
    const message = describeError(e, new Map([['p-lamp', 'Oak Lamp']]));
    expect(message).toMatch(/^Not enough stock/);
    expect(message).toContain('“Oak Lamp”: 1000 requested, 14 available');
    expect(message).toContain('Nothing was ordered');
  });

  it('maps a refused token (401) to an expired session', async () => {
    const e = (await run(fakeFetch(401, { errors: [{ message: 'invalid token: expired', extensions: { code: 'UNAUTHENTICATED' } }] })).catch(
      (x: unknown) => x,
    )) as GraphQLRequestError;
    expect(e.status).toBe(401);
    expect(e.isUnauthenticated).toBe(true);
    expect(describeError(e)).toMatch(/session has expired/);
  });

  it('maps HTTP failures without a GraphQL body', async () => {
    const e = (await run(fakeFetch(502, '<html>bad gateway</html>', 'text/html')).catch((x: unknown) => x)) as GraphQLRequestError;
    expect(e.code).toBe('HTTP_502');
    expect(describeError(e)).toMatch(/trouble/);
    const e2 = (await run(fakeFetch(200, { data: null })).catch((x: unknown) => x)) as GraphQLRequestError;
    expect(e2.code).toBe('BAD_RESPONSE');
  });

  it('maps network failures', async () => {
    const fetch = vi.fn(async () => {
      throw new TypeError('Failed to fetch');
    });
    const e = (await execute(hashOnly, undefined, { endpoint: '/graphql', allowText: false, fetch }).catch((x: unknown) => x)) as GraphQLRequestError;
    expect(e.code).toBe('NETWORK_ERROR');
    expect(describeError(e)).toMatch(/Cannot reach the store/);
  });

  it('explains an unknown persisted document', async () => {
    const e = (await run(
      fakeFetch(400, { errors: [{ message: 'this operation is not in the list', extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' } }] }),
    ).catch((x: unknown) => x)) as GraphQLRequestError;
    expect(describeError(e)).toMatch(/persisted documents/);
  });

  it('describes other known codes and foreign errors', () => {
    const err = (code: string, message = code) => new GraphQLRequestError(message, { code, status: 200, errors: [{ message, extensions: { code } }] });
    expect(describeError(err('INVALID_CREDENTIALS'))).toMatch(/do not match/);
    expect(describeError(err('EMAIL_TAKEN'))).toMatch(/already exists/);
    expect(describeError(err('RATE_LIMITED'))).toMatch(/Too many attempts/);
    expect(describeError(err('BAD_USER_INPUT', 'password too short'))).toBe('password too short');
    expect(describeError(new Error('boom'))).toBe('boom');
    expect(describeError('???')).toMatch(/Something went wrong/);
  });
});

describe('generated documents', () => {
  it('carry the sha256 of their manifest text, and the manifest has every operation', () => {
    const manifest = JSON.parse(readFileSync(new URL('../persisted-documents.json', import.meta.url), 'utf8')) as Record<string, string>;
    const names = Object.values(manifest).map((text) => /(?:^|\s)(?:query|mutation) (\w+)/.exec(text)?.[1]);
    expect(names).toEqual(
      expect.arrayContaining(['ProductList', 'ProductDetail', 'ProductDetailBySku', 'SignUp', 'LogIn', 'PlaceOrder', 'MyOrders', 'CancelOrder']),
    );
    for (const [hash, text] of Object.entries(manifest)) {
      expect(hash).toBe(`sha256:${createHash('sha256').update(text).digest('hex')}`);
    }
    for (const document of [ProductListDocument, PlaceOrderDocument]) {
      const hash = documentHash(document as unknown as Document<unknown, unknown>);
      expect(hash && manifest[hash]).toBeTruthy();
    }
  });
});
