// The orders dashboard: a store's orders, live through orderUpdated (the
// recipe of README.md's "A live order list"), filtered, searched and paged,
// with the actions the dashboard allows and each order's detail.
import { errorText } from './gql.js';
import { h, replace, field, select, busy, money, when, later, words } from './dom.js';
import { READ_ONLY_SENTENCE } from './integration.js';

const PAGE = 20;
const ORDER = `id leaflyOrderId status fulfillmentMethod createdAt updatedAt totalCents actionable
  customer { firstName lastName email } posSync { state errorCode lastError }`;
const LIST = `query($s: ID!, $f: OrderFilter, $after: String) { orders(storeId: $s, filter: $f, first: ${PAGE}, after: $after) {
  updatesCursor totalCount edges { node { ${ORDER} } } pageInfo { hasNextPage endCursor } } }`;
const UPDATES = `subscription($s: ID!, $after: String) { orderUpdated(storeId: $s, after: $after) { cursor kind order { ${ORDER} } } }`;
const STATUSES = ['PENDING', 'CONFIRMED', 'READY', 'OUT_FOR_DELIVERY', 'ARRIVED_AT_CUSTOMER', 'PICKED_UP', 'CANCELED', 'EXPIRED'];
const FORWARD = {
  PICKUP: ['CONFIRMED', 'READY', 'PICKED_UP'],
  DELIVERY: ['CONFIRMED', 'READY', 'OUT_FOR_DELIVERY', 'ARRIVED_AT_CUSTOMER', 'PICKED_UP'],
};
const SOURCES = { MARKETPLACE: 'Leafly', POS: 'Lightspeed', DASHBOARD: 'the dashboard', SYSTEM: 'the service' };
const REASONS = [['DISPENSARY', 'The dispensary canceled'], ['NOT_PICKED_UP', 'The shopper never came'], ['CUSTOMER', 'The shopper asked to cancel'], ['POS', 'The POS could not take it']];

export function ordersTab(ctx, panel) {
  const error = h('p', { class: 'error', role: 'alert', id: 'orders-error' });
  const report = (e) => { error.textContent = errorText(e); };
  const banner = h('div', { id: 'read-only', class: 'banner', role: 'status', hidden: true },
    h('strong', {}, 'Read-only: the order integration is on. '), READ_ONLY_SENTENCE, ' Orders marked “Not sent” are handled here.');
  const status = select({ id: 'filter-status' }, [['', 'Any status'], ...STATUSES.map((s) => [s, words(s)])], '');
  const notSent = h('input', { type: 'checkbox', id: 'filter-not-sent' });
  const search = h('input', { type: 'search', id: 'filter-search', placeholder: 'Name, email or Leafly order id', maxLength: 200 });
  const filters = h('form', { class: 'filters', role: 'search', onsubmit: (e) => { e.preventDefault(); restart(); } },
    field('Status', status), field('Search', search), h('div', { class: 'field check' }, notSent, h('label', { for: 'filter-not-sent' }, 'Not sent only')),
    h('button', { type: 'submit' }, 'Apply'));
  status.addEventListener('change', () => restart());
  notSent.addEventListener('change', () => restart());
  const count = h('p', { id: 'order-count', 'aria-live': 'polite' });
  const body = h('tbody', { id: 'order-rows' });
  const table = h('table', { class: 'orders' }, h('caption', { class: 'sr-only' }, 'Orders, newest first'),
    h('thead', {}, h('tr', {}, ['Placed', 'Order', 'Shopper', 'Status', 'POS', 'Total', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))), body);
  const more = h('button', { type: 'button', id: 'older', hidden: true, onclick: () => loadOlder() }, 'Load older orders');
  const detail = h('section', { id: 'order-detail', 'aria-labelledby': 'detail-h', hidden: true, tabIndex: -1 });
  replace(panel, h('h1', {}, 'Orders'), banner, error, filters, count, h('div', { class: 'scroll' }, table), more, detail);

  let orders = new Map(); // id → order
  let oldest = null; // createdAt of the oldest order loaded, while older ones exist
  let endCursor = null;
  let cursor = null; // where the list stands in the store's updates
  let total = 0;
  let unsubscribe = () => {};
  let openId = null;
  let generation = 0; // a restart makes earlier loads' answers stale
  const seen = new Map(); // id → updatedAt of the newest state of the order received

  const filter = () => {
    const f = {};
    if (status.value) f.status = [status.value];
    if (notSent.checked) f.posSyncState = ['NOT_SENT'];
    if (search.value.trim()) f.search = search.value.trim();
    return f;
  };
  const matches = (o) => {
    const f = filter();
    if (f.status && !f.status.includes(o.status)) return false;
    if (f.posSyncState && !f.posSyncState.includes(o.posSync.state)) return false;
    if (f.search) {
      const q = f.search.toLowerCase();
      const hay = [`${o.customer.firstName} ${o.customer.lastName}`, o.customer.email || '', o.leaflyOrderId].map((x) => x.toLowerCase());
      if (!hay.some((x) => x.includes(q))) return false;
    }
    return true;
  };

  function show() {
    const list = [...orders.values()].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? 1 : -1));
    replace(body, list.length ? list.map(row) : h('tr', {}, h('td', { colSpan: 7 }, 'No orders match.')));
    count.textContent = `${total} order${total === 1 ? '' : 's'} match; showing ${list.length}.`;
    more.hidden = oldest === null;
    if (openId && orders.has(openId)) openDetail(openId, false);
  }

  function row(o) {
    const actions = h('td', { class: 'actions' });
    if (o.actionable) actions.append(...orderActions(o));
    else actions.append(h('span', { class: 'muted' }, ['PICKED_UP', 'CANCELED', 'EXPIRED'].includes(o.status) ? 'Done' : 'In Lightspeed'));
    return h('tr', { 'data-leafly-id': o.leaflyOrderId, 'data-id': o.id, 'data-status': o.status, 'data-pos': o.posSync.state, class: o.posSync.state === 'NOT_SENT' ? 'not-sent' : '' },
      h('td', { 'data-label': 'Placed' }, when(o.createdAt)),
      h('td', { 'data-label': 'Order' }, h('button', { type: 'button', class: 'link', onclick: () => openDetail(o.id, true), 'aria-label': `Details of order ${o.leaflyOrderId}` }, o.leaflyOrderId), ' ', h('small', {}, words(o.fulfillmentMethod))),
      h('td', { 'data-label': 'Shopper' }, `${o.customer.firstName} ${o.customer.lastName}`),
      h('td', { 'data-label': 'Status' }, h('span', { class: `badge ${o.status}` }, words(o.status))),
      h('td', { 'data-label': 'POS' }, h('span', { class: `badge ${o.posSync.state}`, title: o.posSync.lastError || '' }, o.posSync.state === 'NOT_SENT' ? '⚠ Not sent' : words(o.posSync.state))),
      h('td', { 'data-label': 'Total' }, money(o.totalCents)),
      actions);
  }

  // orderActions are the dashboard's moves on an actionable order.
  function orderActions(o) {
    const label = `order ${o.leaflyOrderId}`;
    const next = (FORWARD[o.fulfillmentMethod] || []).slice(Math.max(0, FORWARD[o.fulfillmentMethod].indexOf(o.status) + 1));
    const out = [];
    if (next.length) {
      const to = select({ 'aria-label': `New status of ${label}`, class: 'move-to' }, next.map((s) => [s, words(s)]), next[0]);
      out.push(h('span', { class: 'move' }, to, h('button', {
        type: 'button', class: 'small move-button', 'aria-label': `Move ${label}`,
        onclick: (e) => act(e.currentTarget, `mutation($id: ID!, $s: OrderStatus!) { setOrderStatus(id: $id, status: $s) { ${ORDER} } }`, { id: o.id, s: to.value }),
      }, 'Move')));
    }
    const reason = select({ 'aria-label': `Why ${label} is canceled`, class: 'cancel-reason' }, REASONS, 'DISPENSARY');
    out.push(h('details', { class: 'cancel' }, h('summary', {}, 'Cancel…'), reason, h('button', {
      type: 'button', class: 'small danger cancel-button', 'aria-label': `Cancel ${label}`,
      onclick: (e) => act(e.currentTarget, `mutation($id: ID!, $r: CancelReason!) { cancelOrder(id: $id, reason: $r) { ${ORDER} } }`, { id: o.id, r: reason.value }),
    }, 'Cancel order')));
    if (o.posSync.state === 'NOT_SENT') {
      out.push(h('button', {
        type: 'button', class: 'small retry-button', 'aria-label': `Retry sending ${label} to Lightspeed`,
        onclick: (e) => act(e.currentTarget, `mutation($id: ID!) { retryOrderSync(id: $id) { ${ORDER} } }`, { id: o.id }),
      }, 'Retry sync'));
    }
    return out;
  }

  async function act(button, query, variables) {
    const data = await busy(button, report, () => ctx.client.request(query, variables));
    if (!data) return;
    error.textContent = '';
    merge(Object.values(data)[0]);
  }

  // fresh says order is no older than any state of it received before, and
  // remembers it: an action's answer can arrive after the update that
  // followed it (a retry's QUEUED after the NOT_SENT its send wrote), and
  // must not undo it.
  function fresh(order) {
    const last = seen.get(order.id);
    if (last && later(last, order.updatedAt)) return false;
    seen.set(order.id, order.updatedAt);
    return true;
  }

  // merge keeps an order as it is now if it belongs in the list, drops it
  // if it no longer matches the filter.
  function merge(order) {
    if (!fresh(order)) return;
    const inRange = oldest === null || Date.parse(order.createdAt) >= Date.parse(oldest);
    const had = orders.has(order.id);
    if (matches(order) && (had || inRange)) {
      if (!had) total++;
      orders.set(order.id, order);
    } else if (had) {
      orders.delete(order.id);
      total--;
    }
    show();
  }

  async function load() {
    const g = generation;
    const data = await ctx.client.request(LIST, { s: ctx.storeId, f: filter(), after: null });
    if (g !== generation) return false;
    const { edges, pageInfo, updatesCursor, totalCount } = data.orders;
    orders = new Map(edges.map(({ node }) => [node.id, node]));
    edges.forEach(({ node }) => fresh(node)); // an older one is replayed past from updatesCursor
    oldest = pageInfo.hasNextPage ? edges[edges.length - 1].node.createdAt : null;
    endCursor = pageInfo.endCursor;
    cursor = updatesCursor; // read with the list: every update it may miss comes after it
    total = totalCount;
    show();
    return true;
  }

  async function loadOlder() {
    await busy(more, report, async () => {
      const data = await ctx.client.request(LIST, { s: ctx.storeId, f: filter(), after: endCursor });
      const { edges, pageInfo } = data.orders;
      for (const { node } of edges) if (!orders.has(node.id) && fresh(node)) orders.set(node.id, node);
      oldest = pageInfo.hasNextPage ? edges[edges.length - 1].node.createdAt : null;
      endCursor = pageInfo.endCursor;
      show();
    });
  }

  function subscribe() {
    let reload = false;
    let done = false;
    unsubscribe = ctx.client.subscribe(() => ({ query: UPDATES, variables: { s: ctx.storeId, after: cursor } }), {
      next(data) {
        merge(data.orderUpdated.order);
        cursor = data.orderUpdated.cursor;
      },
      error(e) {
        if (e.code === 'NOT_FOUND' || e.code === 'FORBIDDEN') {
          done = true; // retrying will not help
          report(e);
        }
        reload = e.code === 'BAD_USER_INPUT'; // the cursor is too old to replay from
      },
      complete() {
        if (done) return false;
        if (!reload) return true; // resubscribe from the last cursor
        restart();
        return false;
      },
    });
  }

  async function restart() {
    generation++;
    unsubscribe();
    unsubscribe = () => {};
    try {
      if (await load()) subscribe();
    } catch (e) {
      report(e);
    }
  }

  async function openDetail(id, focus) {
    openId = id;
    const posCalls = ctx.role === 'STORE_STAFF' ? '' : 'posCalls { at method path status durationMs error }';
    let o;
    try {
      o = (await ctx.client.request(`query($id: ID!) { order(id: $id) { ${ORDER} subtotalCents cancelReason cancelReasonText hasGovernmentId
        customer { firstName lastName email phone } deliveryAddress { line1 line2 city state postalCode country }
        lines { menuItemId name quantity unitPriceCents discountedUnitPriceCents dealTitle }
        posSync { state saleId attempts lastError errorCode warning } statusHistory { status source occurredAt } ${posCalls} } }`, { id })).order;
    } catch (e) {
      report(e);
      return;
    }
    if (!o || openId !== id) return;
    const a = o.deliveryAddress;
    replace(detail,
      h('h2', { id: 'detail-h' }, `Order ${o.leaflyOrderId}`),
      h('button', { type: 'button', class: 'link close', onclick: () => { openId = null; detail.hidden = true; } }, 'Close details'),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Status'), h('dd', { id: 'detail-status' }, words(o.status), o.cancelReasonText ? ` — ${o.cancelReasonText}` : ''),
        h('dt', {}, 'Shopper'), h('dd', {}, `${o.customer.firstName} ${o.customer.lastName}`, o.customer.email ? `, ${o.customer.email}` : '', o.customer.phone ? `, ${o.customer.phone}` : ''),
        h('dt', {}, 'Fulfilment'), h('dd', {}, words(o.fulfillmentMethod), a ? `: ${a.line1}${a.line2 ? `, ${a.line2}` : ''}, ${a.city}, ${a.state} ${a.postalCode}` : ''),
        h('dt', {}, 'Government ID'), h('dd', {}, o.hasGovernmentId ? 'On file' : 'Not on file'),
        h('dt', {}, 'POS'), h('dd', {}, words(o.posSync.state), o.posSync.saleId ? ` (sale ${o.posSync.saleId})` : '', `, ${o.posSync.attempts} attempt${o.posSync.attempts === 1 ? '' : 's'}`,
          o.posSync.lastError ? h('span', { class: 'error' }, ` — ${o.posSync.lastError}`) : '', o.posSync.warning ? ` — ${o.posSync.warning}` : '')),
      h('div', { class: 'scroll' }, h('table', { class: 'lines' }, h('caption', {}, 'Lines'),
        h('thead', {}, h('tr', {}, ['Item', 'Qty', 'Menu price', 'Deal price', 'Line total'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, o.lines.map((l) => h('tr', {},
          h('td', {}, l.name), h('td', {}, String(l.quantity)), h('td', {}, money(l.unitPriceCents)),
          h('td', {}, l.discountedUnitPriceCents === null ? '—' : [money(l.discountedUnitPriceCents), l.dealTitle ? h('small', {}, ` ${l.dealTitle}`) : '']),
          h('td', {}, money((l.discountedUnitPriceCents ?? l.unitPriceCents) * l.quantity))))),
        h('tfoot', {},
          h('tr', {}, h('th', { scope: 'row', colSpan: 4 }, 'Subtotal (menu prices)'), h('td', {}, money(o.subtotalCents))),
          h('tr', {}, h('th', { scope: 'row', colSpan: 4 }, 'Total before tax'), h('td', { id: 'detail-total' }, money(o.totalCents)))))),
      h('h3', {}, 'Status history'),
      h('ol', { class: 'history', id: 'detail-history' }, o.statusHistory.map((c) => h('li', {}, `${words(c.status)} — by ${SOURCES[c.source] || words(c.source)}, ${when(c.occurredAt)}`))),
      o.posCalls ? [h('h3', {}, 'Support trail: Lightspeed calls'), o.posCalls.length ? h('div', { class: 'scroll' }, h('table', { class: 'calls', id: 'detail-calls' },
        h('thead', {}, h('tr', {}, ['When', 'Call', 'Status', 'Time', 'Error'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, o.posCalls.map((c) => h('tr', {}, h('td', {}, when(c.at)), h('td', {}, `${c.method} ${c.path}`), h('td', {}, c.status ? String(c.status) : 'no answer'),
          h('td', {}, `${c.durationMs} ms`), h('td', {}, c.error || '')))))) : h('p', {}, 'No call to Lightspeed yet.')] : null);
    detail.hidden = false;
    if (focus) detail.focus();
  }

  const showReadOnly = (s) => { banner.hidden = !s.orderIntegration.dashboardReadOnly; };
  ctx.client.request(`query($id: ID!) { store(id: $id) { orderIntegration { dashboardReadOnly } } }`, { id: ctx.storeId }).then((d) => d.store && showReadOnly(d.store), report);
  ctx.onStop(ctx.client.subscribe(() => ({ query: `subscription($id: ID!) { storeUpdated(storeId: $id) { orderIntegration { dashboardReadOnly } } }`, variables: { id: ctx.storeId } }), {
    next: (d) => showReadOnly(d.storeUpdated),
    error: report,
  }));
  ctx.onStop(() => { generation++; unsubscribe(); });
  restart();
}
