import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import { SiteHeader } from '@/components/site-header';
import { Providers } from './providers';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Tessera Store', template: '%s · Tessera Store' },
  description: 'The Tessera demo storefront',
};

export const viewport: Viewport = {
  width: 'device-width',
  initialScale: 1,
  themeColor: '#3730a3',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen flex flex-col">
        <a
          href="#main"
          className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:text-indigo-800"
        >
          Skip to content
        </a>
        <Providers>
          <SiteHeader />
          <main id="main" tabIndex={-1} className="mx-auto w-full max-w-5xl flex-1 px-4 py-6 focus:outline-none">
            {children}
          </main>
          <footer className="border-t border-slate-200 bg-white">
            <p className="mx-auto max-w-5xl px-4 py-4 text-sm text-slate-700">
              Tessera demo store: every request is a persisted GraphQL document sent to the Tessera router.
            </p>
          </footer>
        </Providers>
      </body>
    </html>
  );
}
