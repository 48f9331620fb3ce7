// Runs the GraphQL over HTTP audits of the npm graphql-http package
// (serverAudits) against a running server and prints one line of JSON per
// audit: {"id","name","status","reason"} with status ok, notice (a failed
// MAY), warn (a failed SHOULD) or error (a failed MUST). Exits 0 once every
// audit ran, whatever the results (the caller judges them); 1 when an audit
// threw, 2 on timeout.
//
// The endpoint wants a bearer token on every request, so a custom fetchFn
// adds it to each audit request (unless the audit set one itself).
//
// usage: node graphql-http-audit.mjs <http-url> <token>
import { serverAudits } from 'graphql-http';

const [url, token] = process.argv.slice(2);
if (!url || !token) {
  console.error('usage: node graphql-http-audit.mjs <http-url> <token>');
  process.exit(64);
}

const timer = setTimeout(() => { console.error('timed out'); process.exit(2); }, 60000);

function fetchFn(input, init = {}) {
  const headers = new Headers(init.headers);
  if (!headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
}

try {
  for (const audit of serverAudits({ url, fetchFn })) {
    const result = await audit.fn();
    const line = { id: result.id, name: result.name, status: result.status };
    if (result.status !== 'ok') line.reason = result.reason;
    console.log(JSON.stringify(line));
  }
} catch (err) {
  console.error('audit threw', err && err.stack ? err.stack : err);
  process.exit(1);
}
clearTimeout(timer);
