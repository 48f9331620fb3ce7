// The subscriptions the reconnecting e2e scripts open, and how they resume.

const documents = {
  orderStatusChanged: `subscription($s: ID!) {
  orderStatusChanged(storeId: $s) { previousStatus status source order { id leaflyOrderId } }
}`,
  orderUpdated: `subscription($s: ID!, $after: String) {
  orderUpdated(storeId: $s, after: $after) { cursor kind order { id status } }
}`,
};

// subscription returns the document of field (orderStatusChanged or
// orderUpdated; undefined for anything else) and its variables for storeId,
// and received, to call with each result's data.
export function subscription(field, storeId) {
  const query = documents[field];
  const variables = { s: storeId };
  const received = field === 'orderUpdated' ? resumable(variables) : () => {};
  return { query, variables, received };
}

// resumable gives variables an `after` that is the cursor of the last
// orderUpdated data passed to the function it returns, read whenever the
// variables are serialised. graphql-ws, subscriptions-transport-ws and
// Apollo's GraphQLWsLink send the same subscribe payload again when they
// reconnect: it then resumes after the last update received, and the server
// replays what happened meanwhile.
export function resumable(variables) {
  let after;
  Object.defineProperty(variables, 'after', { enumerable: true, get: () => after });
  return (data) => {
    if (data && data.orderUpdated) after = data.orderUpdated.cursor;
  };
}
