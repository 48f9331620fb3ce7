// An Apollo Client set up as a front end would: queries and mutations over
// HTTP with the bearer token in the Authorization header, subscriptions over
// graphql-ws (GraphQLWsLink) with the token in the connection_init payload,
// a split link choosing between the two, an InMemoryCache.
//
// Runs a query with variables, then subscribes to orderStatusChanged, or to
// orderUpdated resuming after the last cursor received whenever the socket
// reconnects (retrying every 200 ms while the server is away).
// Prints, for the Go test to read:
//   query <json>             the query's result data
//   connected                the websocket's connection_init was acknowledged
//   closed <code> <reason>   the websocket closed
//   event <json>             a subscription result's data
//
// usage: node apollo-client.mjs <http-url> <ws-url> <token> <storeId> <events> [orderUpdated]
//   exits 0 after that many events, 1 on any error, 2 on timeout
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { resumable } from './subscriptions.mjs';

const [httpUrl, wsUrl, token, storeId, count, field = 'orderStatusChanged'] = process.argv.slice(2);
if (!httpUrl || !wsUrl || !token || !storeId || !count || !['orderStatusChanged', 'orderUpdated'].includes(field)) {
  console.error('usage: node apollo-client.mjs <http-url> <ws-url> <token> <storeId> <events> [orderUpdated]');
  process.exit(64);
}
let left = Number(count);

const timer = setTimeout(() => { console.error('timed out'); process.exit(2); }, 60000);
const fail = (what, err) => {
  console.error(what, err && err.stack ? err.stack : JSON.stringify(err));
  process.exit(1);
};

const httpLink = new HttpLink({ uri: httpUrl, headers: { Authorization: `Bearer ${token}` } });
const wsClient = createClient({
  url: wsUrl,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  retryAttempts: 150,
  retryWait: () => new Promise((resolve) => setTimeout(resolve, 200)),
  shouldRetry: () => true,
  on: {
    connected: () => console.log('connected'),
    closed: (event) => console.log(`closed ${event.code} ${event.reason}`),
  },
});

// graphql-ws sends an operation's subscribe payload again when it
// reconnects; this link makes orderUpdated's `after` in it the cursor of the
// last update received, so that the server replays what was missed.
let received = () => {};
const resumeLink = new ApolloLink((operation, forward) => {
  if (operation.operationName === 'OrderUpdated') {
    operation.variables = { ...operation.variables };
    received = resumable(operation.variables);
  }
  return forward(operation);
});
const wsLink = ApolloLink.from([resumeLink, new GraphQLWsLink(wsClient)]);

const link = ApolloLink.split(
  ({ query }) => {
    const definition = getMainDefinition(query);
    return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
  },
  wsLink,
  httpLink,
);

const client = new ApolloClient({ link, cache: new InMemoryCache() });

const ORDERS = gql`
  query StoreOrders($storeId: ID!, $first: Int, $filter: OrderFilter) {
    store(id: $storeId) { id name }
    orders(storeId: $storeId, first: $first, filter: $filter) {
      totalCount
      edges { node { id leaflyOrderId status totalCents lines { name quantity } } }
    }
  }
`;

const STATUS_CHANGED = gql`
  subscription OrderStatusChanged($storeId: ID!) {
    orderStatusChanged(storeId: $storeId) {
      previousStatus status source
      order { id leaflyOrderId status }
    }
  }
`;

const ORDER_UPDATED = gql`
  subscription OrderUpdated($storeId: ID!, $after: String) {
    orderUpdated(storeId: $storeId, after: $after) { cursor kind order { id status } }
  }
`;

try {
  const { data } = await client.query({
    query: ORDERS,
    variables: { storeId, first: 10, filter: { status: ['PENDING'] } },
  });
  console.log(`query ${JSON.stringify(data)}`);
} catch (err) {
  fail('query failed', err);
}

const subscription = field === 'orderUpdated' ? ORDER_UPDATED : STATUS_CHANGED;
client.subscribe({ query: subscription, variables: { storeId } }).subscribe({
  next: ({ data, error }) => {
    if (error) fail('subscription result error', error);
    received(data);
    console.log(`event ${JSON.stringify(data)}`);
    if (--left === 0) {
      clearTimeout(timer);
      wsClient.dispose();
      client.stop();
      process.exit(0);
    }
  },
  error: (err) => fail('subscription failed', err),
  complete: () => fail('subscription completed early'),
});
