#!/usr/bin/env bash
# Refreshes static/ from the pinned npm packages: GraphiQL's browser build
# and the React it runs on (GraphiQL 4 is the last with a browser build that
# needs no bundler; React 18 the last with one). Bump a version here, run
# `make graphiql-assets`, check /graphiql (go test -run TestBrowser ./server/)
# and commit static/.
set -euo pipefail
GRAPHIQL=4.1.2
REACT=18.3.1

cd "$(dirname "$0")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" >/dev/null)
for pkg in "graphiql-$GRAPHIQL" "react-$REACT" "react-dom-$REACT"; do
  mkdir "$tmp/$pkg"
  tar -xzf "$tmp/$pkg.tgz" -C "$tmp/$pkg"
done
cp "$tmp/graphiql-$GRAPHIQL/package/graphiql.min.js" "$tmp/graphiql-$GRAPHIQL/package/graphiql.min.css" static/
cp "$tmp/graphiql-$GRAPHIQL/package/LICENSE" static/LICENSE-graphiql.txt
cp "$tmp/react-$REACT/package/umd/react.production.min.js" "$tmp/react-dom-$REACT/package/umd/react-dom.production.min.js" static/
cp "$tmp/react-$REACT/package/LICENSE" static/LICENSE-react.txt
