'use client';

import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { endSession, useSession } from '@/lib/api';
import { cartCount } from '@/lib/cart';
import { useCart } from '@/lib/cart-hooks';
import { useQueryClient } from '@tanstack/react-query';

function NavLink({ href, children }: { href: string; children: React.ReactNode }) {
  const pathname = usePathname();
  const current = pathname === href || (href !== '/' && pathname.startsWith(href));
  return (
    <Link
      href={href}
      aria-current={current ? 'page' : undefined}
      className={`rounded px-2 py-2 text-sm font-medium hover:bg-indigo-50 hover:text-indigo-900 ${
        current ? 'text-indigo-800 underline underline-offset-4' : 'text-slate-800'
      }`}
    >
      {children}
    </Link>
  );
}

export function SiteHeader() {
  const session = useSession();
  const cart = useCart();
  const count = cartCount(cart);
  const router = useRouter();
  const queryClient = useQueryClient();
  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex max-w-5xl flex-wrap items-center justify-between gap-2 px-4 py-3">
        <Link href="/" className="text-lg font-bold tracking-tight text-indigo-900">
          Tessera Store
        </Link>
        <nav aria-label="Main" className="flex flex-wrap items-center gap-1">
          <NavLink href="/">Catalogue</NavLink>
          <NavLink href="/cart/">
            Cart<span className="sr-only">,</span>{' '}
            <span data-testid="cart-count" className="ml-1 rounded-full bg-indigo-700 px-2 py-0.5 text-xs font-semibold text-white">
              {count}
            </span>
            <span className="sr-only"> {count === 1 ? 'item' : 'items'}</span>
          </NavLink>
          {session ? (
            <>
              <NavLink href="/orders/">My orders</NavLink>
              <span className="hidden px-2 text-sm text-slate-700 sm:inline" data-testid="signed-in-as">
                {session.user.name}
              </span>
              <button
                type="button"
                className="rounded px-2 py-2 text-sm font-medium text-slate-800 hover:bg-indigo-50"
                onClick={() => {
                  endSession('signed-out');
                  queryClient.removeQueries({ queryKey: ['me'] });
                  router.push('/');
                }}
              >
                Log out
              </button>
            </>
          ) : (
            <>
              <NavLink href="/login/">Log in</NavLink>
              <NavLink href="/signup/">Sign up</NavLink>
            </>
          )}
        </nav>
      </div>
    </header>
  );
}
