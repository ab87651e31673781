'use client';
// The storefront's binding of the GraphQL client: endpoint, session and the
// production rule (hashes only).

import { useSyncExternalStore } from 'react';
import { authorizationHeader, SESSION_KEY, sessionStore, type Session, type SignOutReason } from './auth';
import { browserStorage } from './storage';
import { execute, GraphQLRequestError, type Document } from './graphql';

/** Same-origin `/graphql` (the router serves the store next to it); in
 *  `npm run dev` the dev router on :4000 (it allows CORS from any origin). */
export const GRAPHQL_URL =
  process.env.NEXT_PUBLIC_GRAPHQL_URL || (process.env.NODE_ENV === 'development' ? 'http://127.0.0.1:4000/graphql' : '/graphql');

/** Query text is sent only outside production builds. */
export const SEND_QUERY_TEXT = process.env.NODE_ENV !== 'production';

// Why the last session ended (shown by the log-in page and by pages that need one).
let endReason: SignOutReason | null = null;
const reasonListeners = new Set<() => void>();

export function endSession(reason: SignOutReason): void {
  sessionStore.set(null);
  endReason = reason;
  reasonListeners.forEach((l) => l());
}

export function startSession(session: Session): void {
  endReason = null;
  sessionStore.set(session);
  reasonListeners.forEach((l) => l());
}

/** A stored session that is present but no longer valid ends as `expired`. */
export function checkStoredSession(): void {
  const raw = browserStorage()?.getItem(SESSION_KEY) ?? null;
  if (raw !== null && sessionStore.get() === null) endSession('expired');
}

export function useSession(): Session | null {
  return useSyncExternalStore(sessionStore.subscribe, sessionStore.get, () => null);
}

export function useSessionEndReason(): SignOutReason | null {
  return useSyncExternalStore(
    (l) => {
      reasonListeners.add(l);
      return () => reasonListeners.delete(l);
    },
    () => endReason,
    () => null,
  );
}

/** Runs a generated document as the signed-in shopper (if any). A token the
 *  router refuses (401: expired, revoked, signed with a retired key) ends the
 *  session, and the request runs once more without it: the router refuses a
 *  bad token before anything runs, so nothing happened the first time, and
 *  public data (the catalogue, signing in again) still loads. */
export async function request<TResult, TVariables>(
  document: Document<TResult, TVariables>,
  variables?: TVariables,
  signal?: AbortSignal,
): Promise<TResult> {
  const session = sessionStore.get();
  const run = (authorization: string | null) =>
    execute(document, variables, { endpoint: GRAPHQL_URL, authorization, allowText: SEND_QUERY_TEXT, signal });
  const authorization = authorizationHeader(session);
  try {
    return await run(authorization);
  } catch (error) {
    if (authorization && error instanceof GraphQLRequestError && error.status === 401) {
      endSession('rejected');
      return run(null);
    }
    if (session && error instanceof GraphQLRequestError && error.isUnauthenticated) endSession('rejected');
    throw error;
  }
}
