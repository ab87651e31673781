'use client';

import Link from 'next/link';
import type { ReactNode } from 'react';
import type { Session } from '@/lib/auth';
import { useSession, useSessionEndReason } from '@/lib/api';
import { useIsClient } from '@/lib/use-client';
import { Loading, Notice } from './status';

/** Renders `children` with the session, or asks the shopper to log in (and
 *  come back to `next`). */
export function RequireSession({ next, what, children }: { next: string; what: string; children: (session: Session) => ReactNode }) {
  const ready = useIsClient();
  const session = useSession();
  const reason = useSessionEndReason();
  if (!ready) return <Loading />;
  if (session) return <>{children(session)}</>;
  const to = encodeURIComponent(next);
  return (
    <Notice tone={reason === 'expired' || reason === 'rejected' ? 'warning' : 'info'}>
      <p>
        {reason === 'expired' || reason === 'rejected' ? 'Your session has expired. ' : ''}
        Please log in to {what}.
      </p>
      <p className="mt-2 flex gap-3">
        <Link href={`/login/?next=${to}`} className="btn btn-primary">
          Log in
        </Link>
        <Link href={`/signup/?next=${to}`} className="btn btn-secondary">
          Sign up
        </Link>
      </p>
    </Notice>
  );
}
