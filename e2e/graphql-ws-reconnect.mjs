// Subscribes to orderStatusChanged (or orderUpdated) with the npm graphql-ws
// client (graphql-transport-ws subprotocol), the token in the connection_init
// payload, reconnecting and resubscribing by itself when the socket closes.
//
// Prints one line per thing that happens, for the Go test to read:
//   connected                    the server acknowledged connection_init
//   closed <code> <reason>       the socket closed
//   event <json>                 a subscription result
//   error <json>                 what the subscription's error callback got
//
// usage: node graphql-ws-reconnect.mjs <ws-url> <token> <storeId> <events|reject> [orderUpdated]
//   <events>      exit 0 after that many events; retry up to 150 times, 200 ms
//                 apart, whatever closed the socket or failed the connection
//   reject        expect the server to refuse the token: exit 0 once the
//                 subscription errors with the close event, 1 if it is acknowledged
//   orderUpdated  subscribe to orderUpdated instead, and resubscribe after the
//                 last cursor received: what happened meanwhile is replayed
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { subscription } from './subscriptions.mjs';

const [url, token, storeId, mode, field = 'orderStatusChanged'] = process.argv.slice(2);
const { query, variables, received } = subscription(field, storeId);
if (!url || !token || !storeId || !mode || !query) {
  console.error('usage: node graphql-ws-reconnect.mjs <ws-url> <token> <storeId> <events|reject> [orderUpdated]');
  process.exit(64);
}
const reject = mode === 'reject';
let left = reject ? 0 : Number(mode);

const timer = setTimeout(() => { console.error('timed out'); process.exit(2); }, 60000);
const finish = (code) => { clearTimeout(timer); client.dispose(); process.exit(code); };

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  retryAttempts: reject ? 0 : 150,
  retryWait: () => new Promise((resolve) => setTimeout(resolve, 200)),
  // By default only close events are retried: a refused connection while the
  // server restarts would end the subscription at the first attempt.
  shouldRetry: () => true,
  on: {
    connected: () => {
      console.log('connected');
      if (reject) { console.error('the server acknowledged a bad token'); finish(1); }
    },
    closed: (event) => console.log(`closed ${event.code} ${event.reason}`),
  },
});

client.subscribe({ query, variables }, {
  next: (result) => {
    received(result.data);
    console.log(`event ${JSON.stringify(result)}`);
    if (!reject && --left === 0) finish(0);
  },
  error: (err) => {
    const seen = err && typeof err.code === 'number'
      ? { code: err.code, reason: err.reason }
      : { message: String(err && err.message ? err.message : JSON.stringify(err)) };
    console.log(`error ${JSON.stringify(seen)}`);
    finish(reject ? 0 : 1);
  },
  complete: () => { console.error('completed early'); finish(1); },
});
