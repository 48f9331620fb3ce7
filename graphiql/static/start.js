// Starts GraphiQL on this service's GraphQL endpoint. Its URLs are relative
// to this page, so the IDE works at whatever address and path prefix the
// service is reached at: queries and mutations go to `query` over HTTP,
// subscriptions to the same path over a websocket (ws: or wss: as the page).
// The headers editor's headers go with every HTTP request and, for
// subscriptions, in the websocket's connection_init payload, where the
// service reads the bearer token.
(function () {
  'use strict';
  var url = new URL('query', location.href);
  var subscriptionUrl = new URL(url);
  subscriptionUrl.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  var fetcher = GraphiQL.createFetcher({ url: url.href, subscriptionUrl: subscriptionUrl.href });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: 'headers',
      defaultHeaders: '{\n  "Authorization": "Bearer <token>"\n}',
      defaultQuery: [
        '# GraphiQL for the Leafly order service.',
        '# 1. Put a bearer token in Headers below (go run ./server token -role ADMIN).',
        '# 2. Re-fetch the schema (Shift-Ctrl-R) for the docs and completion.',
        '# Subscriptions run over a websocket with the same headers.',
        '',
        'query Store {',
        '  store(id: "<store id>") {',
        '    id',
        '    name',
        '  }',
        '}',
        '',
      ].join('\n'),
    }),
  );
})();
