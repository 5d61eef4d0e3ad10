// GraphQL-over-HTTP conformance audit of the siso /graphql endpoint, with the audits of the
// `graphql-http` package (https://github.com/graphql/graphql-http).
//
//   npm ci
//   GRAPHQL_URL=http://127.0.0.1:18099/graphql node audit.mjs
//
// Optional: AUDIT_HEADER='x-siso-operator: op.roma1' adds that header to every request the
// audit sends (the audit's documents, `{ __typename }` and `__type(name: ...)`, need no actor:
// anonymous requests are enough).
//
// Prints every result; exits 1 when a MUST or SHOULD audit does not pass (a failing MAY audit,
// reported as a notice, is informational), 2 when the audit itself could not run.

import { serverAudits } from 'graphql-http';

const url = process.env.GRAPHQL_URL;
if (!url) {
  console.error('set GRAPHQL_URL to the endpoint, e.g. http://127.0.0.1:18099/graphql');
  process.exit(2);
}

/** The extra header of AUDIT_HEADER (`name: value`), or null. */
function extraHeader() {
  const raw = process.env.AUDIT_HEADER;
  if (!raw) return null;
  const at = raw.indexOf(':');
  if (at <= 0) {
    console.error(`AUDIT_HEADER must be "name: value", got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return [raw.slice(0, at).trim(), raw.slice(at + 1).trim()];
}

const header = extraHeader();

/** `fetch`, adding the extra header (when there is one) without touching the audit's own. */
async function fetchFn(input, init = {}) {
  if (!header) return fetch(input, init);
  const headers = new Headers(init.headers);
  if (!headers.has(header[0])) headers.set(header[0], header[1]);
  return fetch(input, { ...init, headers });
}

/** The level of an audit: the first word of its name (MUST, SHOULD, MAY). */
const level = (name) => name.split(' ', 1)[0];

/** What a failing audit received: status, content type and the start of the body. */
async function describe(res) {
  if (!res) return '(no response)';
  let body = '';
  try {
    body = await res.clone().text();
  } catch (err) {
    body = `(body unreadable: ${err})`;
  }
  if (body.length > 300) body = `${body.slice(0, 300)}…`;
  return `HTTP ${res.status} content-type=${res.headers.get('content-type')} body=${body.replace(/\s+/g, ' ')}`;
}

const audits = serverAudits({ url, fetchFn });
const results = [];
for (const a of audits) {
  try {
    results.push(await a.fn());
  } catch (err) {
    // graphql-http throws only on fatal problems (the server unreachable, say).
    results.push({ id: a.id, name: a.name, status: 'fatal', reason: String(err?.cause ?? err) });
  }
}

let failed = 0;
const counts = {};
for (const r of results) {
  counts[r.status] = (counts[r.status] ?? 0) + 1;
  const blocking = r.status !== 'ok' && (level(r.name) === 'MUST' || level(r.name) === 'SHOULD' || r.status === 'fatal');
  if (blocking) failed += 1;
  const mark = r.status === 'ok' ? 'ok    ' : blocking ? 'FAIL  ' : 'info  ';
  console.log(`${mark}${r.status.padEnd(6)} ${r.id} ${r.name}`);
  if (r.status !== 'ok') {
    console.log(`        reason: ${r.reason}`);
    if (r.response) console.log(`        got:    ${await describe(r.response)}`);
  }
}

console.log(
  `\n${results.length} audits: ${Object.entries(counts)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ')}; ${failed} MUST/SHOULD failure(s)`,
);
process.exit(failed > 0 ? 1 : 0);
