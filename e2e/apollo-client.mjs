// An Apollo Client set up as a front end would: queries and mutations over
// HTTP with the bearer token in the Authorization header, subscriptions over
// graphql-ws (GraphQLWsLink) with the token in the connection_init payload,
// a split link choosing between the two, an InMemoryCache.
//
// Runs a query with variables, then subscribes to orderStatusChanged.
// Prints, for the Go test to read:
//   query <json>     the query's result data
//   connected        the websocket's connection_init was acknowledged
//   event <json>     a subscription result's data
//
// usage: node apollo-client.mjs <http-url> <ws-url> <token> <storeId> <events>
//   exits 0 after that many events, 1 on any error, 2 on timeout
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [httpUrl, wsUrl, token, storeId, count] = process.argv.slice(2);
if (!httpUrl || !wsUrl || !token || !storeId || !count) {
  console.error('usage: node apollo-client.mjs <http-url> <ws-url> <token> <storeId> <events>');
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
  on: { connected: () => console.log('connected') },
});
const wsLink = new GraphQLWsLink(wsClient);

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

try {
  const { data } = await client.query({
    query: ORDERS,
    variables: { storeId, first: 10, filter: { status: ['PENDING'] } },
  });
  console.log(`query ${JSON.stringify(data)}`);
} catch (err) {
  fail('query failed', err);
}

client.subscribe({ query: STATUS_CHANGED, variables: { storeId } }).subscribe({
  next: ({ data, error }) => {
    if (error) fail('subscription result error', error);
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
