// The one way the storefront talks to the router: a generated, typed
// document plus its variables, POSTed to /graphql.
//
// Production builds (`next build`) are generated with
// `persistedDocuments.mode: replaceDocumentWithHash`: a document is only its
// hash, so the request is `{"documentId": "sha256:<hex>", "variables": ...}`
// and no query text is in the bundle at all. `npm run dev` generates the text
// too, and then sends `{"query": ..., "variables": ...}` (a dev router needs no
// manifest).

import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';

/** A generated document: the hash, and the text when the build kept it. */
export type Document<TResult, TVariables> = DocumentTypeDecoration<TResult, TVariables> & {
  __meta__?: Record<string, unknown> | undefined;
};

export interface GraphQLErrorEntry {
  message: string;
  path?: readonly (string | number)[];
  extensions?: { code?: string; [key: string]: unknown };
}

/** An operation that failed: by the HTTP layer (401, 5xx...), by the network,
 *  or by a GraphQL error in the response. `code` is the first error's
 *  `extensions.code` (or one of ours: NETWORK_ERROR, BAD_RESPONSE, HTTP_<status>). */
export class GraphQLRequestError extends Error {
  readonly code: string;
  readonly status: number | null;
  readonly errors: readonly GraphQLErrorEntry[];

  constructor(message: string, options: { code: string; status?: number | null; errors?: readonly GraphQLErrorEntry[] }) {
    super(message);
    this.name = 'GraphQLRequestError';
    this.code = options.code;
    this.status = options.status ?? null;
    this.errors = options.errors ?? [];
  }

  hasCode(code: string): boolean {
    return this.code === code || this.errors.some((e) => e.extensions?.code === code);
  }

  /** The router refused the caller's token (bad, expired or revoked). */
  get isUnauthenticated(): boolean {
    return this.status === 401 || this.hasCode('UNAUTHENTICATED') || this.hasCode('TOKEN_EXPIRED') || this.hasCode('INVALID_TOKEN');
  }
}

export interface RequestBody {
  query?: string;
  documentId?: string;
  variables?: Record<string, unknown>;
}

/** The document's text, when this build has it (`TypedDocumentString` is a String). */
export function documentText(document: unknown): string | null {
  if (typeof document === 'string') return document;
  if (document instanceof String) return document.toString();
  return null;
}

export function documentHash(document: { __meta__?: Record<string, unknown> | undefined }): string | null {
  const hash = document.__meta__?.hash;
  return typeof hash === 'string' && hash !== '' ? hash : null;
}

/** The POST body for `document`: its text when `allowText` and the build kept
 *  it, otherwise its persisted-document id. */
export function buildRequestBody<TResult, TVariables>(
  document: Document<TResult, TVariables>,
  variables: TVariables | undefined,
  allowText: boolean,
): RequestBody {
  const body: RequestBody = {};
  const text = allowText ? documentText(document) : null;
  if (text !== null) {
    body.query = text;
  } else {
    const hash = documentHash(document);
    if (!hash) throw new Error('this document has neither text nor a persisted-document hash; rerun `npm run codegen`');
    body.documentId = hash;
  }
  if (variables && Object.keys(variables as object).length > 0) body.variables = variables as Record<string, unknown>;
  return body;
}

export interface ExecuteOptions {
  endpoint: string;
  /** The full `Authorization` header value, if signed in. */
  authorization?: string | null;
  /** Whether the query text may be sent (never in production builds). */
  allowText: boolean;
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

function isErrorList(value: unknown): value is GraphQLErrorEntry[] {
  return Array.isArray(value) && value.every((e) => typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string');
}

/** Runs `document`; resolves with its data, or rejects with a GraphQLRequestError. */
export async function execute<TResult, TVariables>(
  document: Document<TResult, TVariables>,
  variables: TVariables | undefined,
  options: ExecuteOptions,
): Promise<TResult> {
  const body = buildRequestBody(document, variables, options.allowText);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json, application/json;q=0.9',
  };
  if (options.authorization) headers.authorization = options.authorization;
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(options.endpoint, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: options.signal,
      credentials: 'omit',
    });
  } catch (cause) {
    if ((cause as { name?: string })?.name === 'AbortError') throw cause;
    throw new GraphQLRequestError('Cannot reach the store. Check your connection and try again.', { code: 'NETWORK_ERROR' });
  }
  let json: unknown = null;
  try {
    json = await response.json();
  } catch {
    json = null;
  }
  const payload = (typeof json === 'object' && json !== null ? json : {}) as { data?: unknown; errors?: unknown };
  const errors = isErrorList(payload.errors) ? payload.errors : [];
  if (errors.length > 0) {
    const first = errors[0]!;
    throw new GraphQLRequestError(first.message, {
      code: first.extensions?.code ?? (response.ok ? 'GRAPHQL_ERROR' : `HTTP_${response.status}`),
      status: response.status,
      errors,
    });
  }
  if (!response.ok) {
    throw new GraphQLRequestError(`The store answered with HTTP ${response.status}.`, { code: `HTTP_${response.status}`, status: response.status });
  }
  if (typeof payload.data !== 'object' || payload.data === null) {
    throw new GraphQLRequestError('The store sent an unreadable answer.', { code: 'BAD_RESPONSE', status: response.status });
  }
  return payload.data as TResult;
}

/** What to tell the shopper about a failed request. `names` maps product ids to
 *  names (an INSUFFICIENT_STOCK message names the product by id). */
export function describeError(error: unknown, names: ReadonlyMap<string, string> = new Map()): string {
  if (!(error instanceof GraphQLRequestError)) {
    return error instanceof Error && error.message ? error.message : 'Something went wrong. Please try again.';
  }
  if (error.hasCode('INSUFFICIENT_STOCK')) {
    const entry = error.errors.find((e) => e.extensions?.code === 'INSUFFICIENT_STOCK');
    let detail = entry?.message ?? error.message;
    for (const [id, name] of names) detail = detail.split(`\`${id}\``).join(`“${name}”`).split(id).join(name);
    return `Not enough stock to place this order: ${detail}. Nothing was ordered; lower the quantity and try again.`;
  }
  if (error.isUnauthenticated) return 'Your session has expired or is no longer valid. Please log in again.';
  if (error.hasCode('INVALID_CREDENTIALS')) return 'That email and password do not match an account.';
  if (error.hasCode('EMAIL_TAKEN')) return 'An account with this email already exists. Log in instead?';
  if (error.hasCode('TOO_MANY_ATTEMPTS') || error.hasCode('RATE_LIMITED')) return 'Too many attempts. Please wait a minute and try again.';
  if (error.hasCode('INVALID_ORDER_STATE')) return `This order cannot be changed any more: ${error.message}`;
  if (error.hasCode('NOT_FOUND')) return 'Not found. It may have been removed.';
  if (error.hasCode('UNAUTHORIZED_FIELD_OR_TYPE')) return 'Please log in to see this.';
  if (['PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_IN_LIST', 'PERSISTED_QUERY_NOT_SUPPORTED'].some((c) => error.hasCode(c))) {
    return 'This version of the storefront is not known to the store’s API (its persisted documents are not loaded). Please reload the page.';
  }
  if (error.hasCode('NETWORK_ERROR')) return error.message;
  if (error.hasCode('BAD_USER_INPUT')) return error.message;
  if (error.status !== null && error.status >= 500) return 'The store is having trouble right now. Please try again in a moment.';
  return error.message || 'Something went wrong. Please try again.';
}
