// Subscribes to orderStatusChanged with the npm graphql-ws client, prints
// "subscribed" once the server acknowledged, then one line of JSON per event,
// and exits after the number of events asked for.
//
// usage: node graphql-ws-subscribe.mjs <ws-url> <token> <storeId> <events>
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, token, storeId, count] = process.argv.slice(2);
let left = Number(count || 1);

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  on: { connected: () => console.log('subscribed') },
  retryAttempts: 0,
});

const query = `subscription($s: ID!) {
  orderStatusChanged(storeId: $s) { previousStatus status source order { id } }
}`;

const timer = setTimeout(() => { console.error('timed out'); process.exit(2); }, 30000);

client.subscribe({ query, variables: { s: storeId } }, {
  next: (result) => {
    console.log(JSON.stringify(result));
    if (--left === 0) { clearTimeout(timer); client.dispose(); process.exit(0); }
  },
  error: (err) => { console.error('error', JSON.stringify(err, Object.getOwnPropertyNames(err))); process.exit(1); },
  complete: () => { console.error('completed early'); process.exit(1); },
});
