// A small GraphQL client for the console: queries and mutations over HTTP
// POST, subscriptions over one graphql-transport-ws websocket that
// reconnects by itself and resubscribes with fresh variables (so a live
// list resumes after its last cursor). Errors become sentences.

const SENTENCES = {
  UNAUTHENTICATED: 'Your sign-in is no longer valid. Sign in again.',
  FORBIDDEN: 'Your role may not do this.',
  NOT_FOUND: 'That was not found, or your sign-in does not cover it.',
  BAD_USER_INPUT: 'The service did not accept the input.',
  REQUIREMENTS_NOT_MET: 'Some requirements are not met yet.',
  DASHBOARD_READ_ONLY: 'The dashboard is read-only while the order integration is on: change the order in Lightspeed.',
  CONFLICT: 'That is not possible for this order now.',
  LIGHTSPEED_UNAVAILABLE: 'Lightspeed is not answering right now. Try again in a moment.',
  INTERNAL: 'Something went wrong on our side. Try again, or quote the request id to support.',
};

// GraphQLError is a refused operation, with a sentence for people.
class GraphQLError extends Error {
  constructor(errors, requestId) {
    const first = errors[0] || {};
    const code = first.extensions?.code || 'INTERNAL';
    super(sentence(first, code, requestId));
    this.code = code;
    this.errors = errors;
  }
}

// sentence is what to show for one GraphQL error: the service's own message
// when it is a sentence (they are written for people), else the code's.
function sentence(err, code, requestId) {
  let text = typeof err.message === 'string' && /^[A-Z].*[.!?)]$/s.test(err.message.trim()) ? err.message.trim() : SENTENCES[code] || SENTENCES.INTERNAL;
  if (code === 'INTERNAL' && requestId && !text.includes(requestId)) text += ` (request id ${requestId})`;
  return text;
}

// errorText is a sentence for anything thrown by the console.
export function errorText(e) {
  if (e instanceof GraphQLError) return e.message;
  if (e instanceof TypeError) return 'The service could not be reached. Check your connection and try again.';
  return e && e.message ? e.message : 'Something went wrong. Try again.';
}

export class Client {
  constructor(getToken, onUnauthenticated) {
    this.getToken = getToken;
    this.onUnauthenticated = onUnauthenticated;
    this.subs = new Map(); // id → {payload(), sink}
    this.nextId = 1;
    this.ws = null;
    this.acked = false;
    this.failures = 0;
    this.closed = false;
    this.onStatus = () => {};
    this.status = 'idle';
  }

  // request runs a query or mutation and returns its data, or throws a
  // GraphQLError with a sentence.
  async request(query, variables = {}) {
    const res = await fetch('query', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: `Bearer ${this.getToken()}` },
      body: JSON.stringify({ query, variables }),
    });
    const requestId = res.headers.get('X-Request-Id');
    let body;
    try {
      body = await res.json();
    } catch {
      throw new GraphQLError([{ extensions: { code: 'INTERNAL' } }], requestId);
    }
    if (body.errors && body.errors.length) {
      const err = new GraphQLError(body.errors, requestId);
      if (err.code === 'UNAUTHENTICATED') this.onUnauthenticated();
      err.data = body.data;
      throw err;
    }
    return body.data;
  }

  // subscribe starts a subscription; payload() gives {query, variables} each
  // time it is (re)sent; sink has next(data), error(GraphQLError) and
  // optionally resumed() after a reconnect. It returns a function that ends it.
  subscribe(payload, sink) {
    const id = String(this.nextId++);
    this.subs.set(id, { payload, sink });
    this.connect();
    if (this.acked) this.send({ id, type: 'subscribe', payload: payload() });
    return () => {
      if (this.subs.delete(id) && this.acked) this.send({ id, type: 'complete' });
    };
  }

  // close ends the websocket and every subscription for good (sign-out).
  close() {
    this.closed = true;
    this.subs.clear();
    if (this.ws) this.ws.close(1000, 'signed out');
  }

  setStatus(s) {
    this.status = s;
    this.onStatus(s);
  }

  send(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  connect() {
    if (this.ws || this.closed) return;
    const url = new URL('query', location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url, 'graphql-transport-ws');
    this.ws = ws;
    this.acked = false;
    this.setStatus('connecting');
    ws.onopen = () => this.send({ type: 'connection_init', payload: { Authorization: `Bearer ${this.getToken()}` } });
    ws.onmessage = (ev) => this.receive(JSON.parse(ev.data));
    ws.onclose = (ev) => {
      this.ws = null;
      this.acked = false;
      if (this.closed) return;
      if (ev.code === 4403) {
        this.setStatus('offline');
        this.onUnauthenticated();
        return;
      }
      this.setStatus('reconnecting');
      const wait = Math.min(10000, 250 * 2 ** this.failures++);
      setTimeout(() => { if (this.subs.size) this.connect(); else this.setStatus('idle'); }, wait);
    };
  }

  receive(msg) {
    switch (msg.type) {
      case 'connection_ack':
        this.acked = true;
        this.failures = 0;
        this.setStatus('live');
        for (const [id, s] of this.subs) {
          this.send({ id, type: 'subscribe', payload: s.payload() });
          if (s.sink.resumed) s.sink.resumed();
        }
        break;
      case 'ping':
        this.send({ type: 'pong' });
        break;
      case 'next': {
        const s = this.subs.get(msg.id);
        if (!s) break;
        if (msg.payload.errors && msg.payload.errors.length) s.sink.error(new GraphQLError(msg.payload.errors));
        else s.sink.next(msg.payload.data);
        break;
      }
      case 'error': {
        const s = this.subs.get(msg.id);
        if (s) {
          this.subs.delete(msg.id);
          s.sink.error(new GraphQLError(msg.payload));
        }
        break;
      }
      case 'complete': {
        const s = this.subs.get(msg.id);
        // The server ended it (a lagging subscriber is dropped): resubscribe
        // from the last cursor, unless the sink says not to.
        if (s && !(s.sink.complete && s.sink.complete() === false)) this.send({ id: msg.id, type: 'subscribe', payload: s.payload() });
        break;
      }
    }
  }
}
