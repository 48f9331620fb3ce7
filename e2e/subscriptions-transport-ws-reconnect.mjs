// Subscribes to orderStatusChanged (or orderUpdated) with the legacy npm
// subscriptions-transport-ws client (the "graphql-ws" subprotocol), the
// token in the connection_init payload, with reconnect: true so it reconnects
// and restarts its subscriptions by itself when the socket closes.
//
// Prints one line per thing that happens, for the Go test to read:
//   connected                    the server acknowledged connection_init
//   connection_error <json>      the server refused connection_init
//   closed <code> <reason>       the socket closed (read off the socket: the
//                                client itself does not expose it)
//   event <json>                 a subscription result
//   error <json>                 what the subscription's error callback got
//
// usage: node subscriptions-transport-ws-reconnect.mjs <ws-url> <token> <storeId> <events|reject> [orderUpdated]
//   <events>      exit 0 after that many events
//   reject        expect the server to refuse the token: exit 0 once the socket
//                 closed after a connection_error, 1 if it is acknowledged
//   orderUpdated  subscribe to orderUpdated instead, and resubscribe after the
//                 last cursor received: what happened meanwhile is replayed
import stws from 'subscriptions-transport-ws';
import WebSocket from 'ws';
import { subscription } from './subscriptions.mjs';

const { SubscriptionClient } = stws;
const [url, token, storeId, mode, field = 'orderStatusChanged'] = process.argv.slice(2);
const { query, variables, received } = subscription(field, storeId);
if (!url || !token || !storeId || !mode || !query) {
  console.error('usage: node subscriptions-transport-ws-reconnect.mjs <ws-url> <token> <storeId> <events|reject> [orderUpdated]');
  process.exit(64);
}
const reject = mode === 'reject';
let left = reject ? 0 : Number(mode);
let refused = false;

const timer = setTimeout(() => { console.error('timed out'); process.exit(2); }, 60000);
const finish = (code) => { clearTimeout(timer); client.close(); process.exit(code); };

// The ws WebSocket, reporting how each socket closed.
class ReportingWebSocket extends WebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener('close', (event) => {
      console.log(`closed ${event.code} ${event.reason}`);
      if (reject && refused) finish(0);
    });
  }
}

const client = new SubscriptionClient(url, {
  reconnect: !reject,
  connectionParams: { Authorization: `Bearer ${token}` },
  connectionCallback: (error) => {
    if (error) {
      refused = true;
      console.log(`connection_error ${JSON.stringify(error)}`);
    }
  },
}, ReportingWebSocket);

const onConnected = () => {
  console.log('connected');
  if (reject) { console.error('the server acknowledged a bad token'); finish(1); }
};
client.onConnected(onConnected);
client.onReconnected(onConnected);

client.request({ query, variables }).subscribe({
  next: (result) => {
    received(result.data);
    console.log(`event ${JSON.stringify(result)}`);
    if (!reject && --left === 0) finish(0);
  },
  error: (err) => { console.log(`error ${JSON.stringify(err)}`); finish(1); },
  complete: () => { console.error('completed early'); finish(1); },
});
