import type { NextConfig } from 'next';

// A static export served by the Tessera router under /store/ (`tessera dev`):
// no server features (no route handlers, no dynamic segments; pages read
// query strings such as /store/product/?id=...).
const nextConfig: NextConfig = {
  output: 'export',
  basePath: '/store',
  trailingSlash: true,
  images: { unoptimized: true },
  reactStrictMode: true,
  poweredByHeader: false,
};

export default nextConfig;
