#!/usr/bin/env node
// Serves the static export (out/) under /store/ and proxies everything else
// (/graphql, the playground at /) to a running router: the same origin layout
// as `tessera dev`, for trying a build without rebuilding the router.
//
//   npm run build && node e2e/serve.mjs [--port 4100] [--upstream http://127.0.0.1:4000]
//
// The router must trust this build's persisted-documents.json (documentId
// requests); `tessera dev` built from this tree does.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4100' },
    host: { type: 'string', default: '127.0.0.1' },
    upstream: { type: 'string', default: 'http://127.0.0.1:4000' },
    dir: { type: 'string', default: fileURLToPath(new URL('../out', import.meta.url)) },
  },
});
const upstream = new URL(values.upstream);
const root = normalize(values.dir);
const BASE = '/store';
const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

function sendFile(res, file, status = 200) {
  res.writeHead(status, {
    'content-type': types[extname(file)] ?? 'application/octet-stream',
    'cache-control': file.includes(`${sep}_next${sep}static${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  createReadStream(file).pipe(res);
}

function serveStatic(req, res, pathname) {
  if (pathname === BASE) {
    res.writeHead(308, { location: `${BASE}/` });
    return res.end();
  }
  let rel;
  try {
    rel = decodeURIComponent(pathname.slice(BASE.length + 1));
  } catch {
    res.writeHead(400);
    return res.end();
  }
  const file = normalize(join(root, rel));
  if (file !== root && !file.startsWith(root + sep)) {
    res.writeHead(403);
    return res.end();
  }
  const candidates = rel === '' || rel.endsWith('/') ? [join(file, 'index.html')] : [file, `${file}.html`, join(file, 'index.html')];
  for (const candidate of candidates) {
    if (existsSync(candidate) && statSync(candidate).isFile()) {
      // Directories are addressed with a trailing slash (trailingSlash: true).
      if (candidate.endsWith(`${sep}index.html`) && !rel.endsWith('/') && rel !== '' && !rel.endsWith('index.html')) {
        res.writeHead(308, { location: `${pathname}/` });
        return res.end();
      }
      return sendFile(res, candidate);
    }
  }
  const notFound = join(root, '404.html');
  if (existsSync(notFound)) return sendFile(res, notFound, 404);
  res.writeHead(404);
  res.end();
}

function proxy(req, res) {
  const forward = httpRequest(
    {
      protocol: upstream.protocol,
      hostname: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: upstream.host },
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  forward.on('error', (error) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`serve.mjs: the router at ${upstream} did not answer: ${error.message}\n`);
  });
  req.pipe(forward);
}

if (!existsSync(join(root, 'index.html'))) {
  console.error(`serve.mjs: no ${join(root, 'index.html')}; run npm run build first`);
  process.exit(1);
}
createServer((req, res) => {
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  if ((req.method === 'GET' || req.method === 'HEAD') && (pathname === BASE || pathname.startsWith(`${BASE}/`))) {
    return serveStatic(req, res, pathname);
  }
  return proxy(req, res);
}).listen(Number(values.port), values.host, () => {
  console.log(`serve.mjs: ${root} at http://${values.host}:${values.port}${BASE}/, everything else from ${upstream}`);
});
