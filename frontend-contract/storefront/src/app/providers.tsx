'use client';

import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useEffect, useState, type ReactNode } from 'react';
import { checkStoredSession, endSession, useSession } from '@/lib/api';
import { EXPIRY_SKEW_MS, sessionDeadline } from '@/lib/auth';
import { GraphQLRequestError } from '@/lib/graphql';

function makeQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        // GraphQL errors are answers; only a network failure is worth a retry.
        retry: (failures, error) => failures < 2 && error instanceof GraphQLRequestError && error.code === 'NETWORK_ERROR',
        refetchOnWindowFocus: true,
      },
      mutations: { retry: false },
    },
  });
}

/** Ends the session when its token expires (also while the page stays open). */
function SessionWatcher() {
  const session = useSession();
  useEffect(() => {
    checkStoredSession();
  }, []);
  useEffect(() => {
    if (!session) return;
    const wait = sessionDeadline(session) - EXPIRY_SKEW_MS - Date.now();
    // setTimeout holds at most ~24.8 days.
    const timer = setTimeout(() => endSession('expired'), Math.max(0, Math.min(wait, 2 ** 31 - 1)));
    return () => clearTimeout(timer);
  }, [session]);
  return null;
}

export function Providers({ children }: { children: ReactNode }) {
  const [client] = useState(makeQueryClient);
  return (
    <QueryClientProvider client={client}>
      <SessionWatcher />
      {children}
    </QueryClientProvider>
  );
}
