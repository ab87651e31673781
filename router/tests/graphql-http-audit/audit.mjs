// Runs the GraphQL-over-HTTP server audit of the `graphql-http` package (the
// version pinned in package.json) against a running GraphQL endpoint.
//
//   node audit.mjs http://127.0.0.1:4000/graphql
//
// Prints one line per audit (status, id, name, and the reason and response for
// anything not ok) and exits 1 when a MUST or SHOULD audit is not ok or an audit
// could not run at all (e.g. the server is unreachable), 2 on a usage error. MAY
// audits are reported but do not fail the run.
// Driven by router/tests/it/graphql_over_http.rs.

import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql url>');
  process.exit(2);
}

const level = (name) => name.split(' ', 1)[0];

async function describe(response) {
  if (!response) return '';
  const headers = [...response.headers].map(([k, v]) => `${k}: ${v}`).join('; ');
  let body = '';
  try {
    body = await response.text();
  } catch (error) {
    body = `<body unreadable: ${error}>`;
  }
  body = body.replace(/\s+/g, ' ').trim();
  if (body.length > 500) body = `${body.slice(0, 500)}…`;
  return `\n      HTTP ${response.status} [${headers}]\n      ${body}`;
}

async function main() {
  const audits = serverAudits({ url });
  let failed = 0;
  const counts = { ok: 0, notice: 0, warn: 0, error: 0, fatal: 0 };
  for (const { id, name, fn } of audits) {
    let result;
    try {
      result = await fn();
    } catch (error) {
      // graphql-http throws only on fatal problems (e.g. the server is unreachable)
      console.log(`fatal  ${id} ${name}\n      ${error?.stack ?? error}`);
      counts.fatal += 1;
      continue;
    }
    counts[result.status] = (counts[result.status] ?? 0) + 1;
    const gating = level(name) === 'MUST' || level(name) === 'SHOULD';
    if (result.status === 'ok') {
      console.log(`ok     ${id} ${name}`);
      continue;
    }
    if (gating) failed += 1;
    const detail = await describe(result.response);
    console.log(
      `${result.status.padEnd(6)} ${id} ${name}\n      reason: ${result.reason}${detail}`,
    );
  }
  console.log(
    `\n${audits.length} audits: ${counts.ok} ok, ${counts.notice} notice (MAY), ` +
      `${counts.warn} warn (SHOULD), ${counts.error} error (MUST), ` +
      `${counts.fatal} could not run`,
  );
  process.exit(failed === 0 && counts.fatal === 0 ? 0 : 1);
}

main().catch((error) => {
  console.error(error?.stack ?? error);
  process.exit(2);
});
