// The sandbox staff panel: what the demo retailer's staff do in Lightspeed
// (pack, close, void a sale) and the sandbox's fault switches, so the whole
// flow can be shown from one browser. Only when the service serves its
// sandbox (never in production).
import { errorText } from './gql.js';
import { h, replace, busy, money, when, words } from './dom.js';

const RETAILER = 'demo';

// SWITCHES are the fault switches: a label, what it does, and its fault.
const SWITCHES = [
  ['outage', 'Partner outage', 'Every Lightspeed call answers 503 for an hour.', { status: 503, duration: '1h' }],
  ['timeouts', 'Lightspeed hangs', 'Every Lightspeed call hangs until the service gives up (LIGHTSPEED_TIMEOUT).', { timeout: true, duration: '1h' }],
  ['rate-limit', 'Rate limited', 'The next 20 calls answer 429 with Retry-After.', { status: 429, count: 20 }],
];

async function sandbox(method, path, body) {
  const res = await fetch(`sandbox${path}`, { method, headers: body ? { 'Content-Type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  const out = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`The sandbox refused: ${out.error || res.statusText}.`);
  return out;
}

export function sandboxTab(ctx, panel) {
  const error = h('p', { class: 'error', role: 'alert', id: 'sandbox-error' });
  const report = (e) => { error.textContent = errorText(e); };
  const faults = h('section', { 'aria-labelledby': 'faults-h', id: 'faults' });
  const sales = h('section', { 'aria-labelledby': 'sales-h', id: 'sales' });
  replace(panel, h('h1', {}, 'Sandbox staff'),
    h('p', { class: 'note' }, `Acting as the staff of the sandbox's demo retailer "${RETAILER}" in Lightspeed. Each change reaches the service by webhook, as the real Lightspeed's would.`),
    error, h('div', { class: 'grid' }, faults, sales));

  async function showFaults() {
    const { data } = await sandbox('GET', '/control/faults');
    const on = (f) => data.some((x) => (f.status ? x.status === f.status : x.timeout === !!f.timeout));
    replace(faults, h('h2', { id: 'faults-h' }, 'Fault switches'),
      h('ul', { class: 'switches' }, SWITCHES.map(([id, label, what, f]) => h('li', {},
        h('button', { type: 'button', role: 'switch', id: `fault-${id}`, 'aria-checked': on(f) ? 'true' : 'false', 'aria-labelledby': `fault-${id}-label`, 'aria-describedby': `fault-${id}-what`,
          onclick: (e) => busy(e.currentTarget, report, async () => {
            if (on(f)) await sandbox('DELETE', '/control/faults');
            else await sandbox('POST', '/control/faults', f);
            error.textContent = '';
            await showFaults();
          }) }, h('span', { class: 'knob', 'aria-hidden': 'true' })),
        h('span', {}, h('strong', { id: `fault-${id}-label` }, label), h('br'), h('small', { id: `fault-${id}-what` }, what))))),
      h('p', { class: 'note' }, `${data.length} fault${data.length === 1 ? '' : 's'} active. Turning one off clears every fault.`));
  }

  async function showSales() {
    const { data } = await sandbox('GET', `/${RETAILER}/staff/sales`);
    const list = data.filter((s) => !s.deleted_at).sort((a, b) => b.version - a.version);
    replace(sales, h('h2', { id: 'sales-h' }, 'Sales'),
      h('button', { type: 'button', class: 'small', onclick: (e) => busy(e.currentTarget, report, showSales) }, 'Refresh'),
      list.length ? h('ul', { class: 'sales' }, list.map((s) => {
        const ref = s.source?.id || s.invoice_number;
        const action = (name, label) => h('button', {
          type: 'button', class: `small sale-${name}`, 'aria-label': `${label} the sale of ${ref}`,
          onclick: (e) => busy(e.currentTarget, report, async () => {
            await sandbox('POST', `/${RETAILER}/staff/sales/${s.id}/${name}`);
            error.textContent = '';
            await showSales();
          }),
        }, label);
        return h('li', { 'data-source-id': s.source?.id || '', 'data-state': s.state },
          h('strong', {}, ref), ` — ${words(s.state)}, ${money(Math.round(s.totals.price_incl_tax * 100))}, ${when(s.created_at)}`,
          h('div', { class: 'row' }, s.state === 'pending' ? action('pack', 'Pack') : null,
            !['closed', 'voided'].includes(s.state) ? [action('close', 'Close'), action('void', 'Void')] : null));
      })) : h('p', {}, 'No sales yet: an order sent to Lightspeed appears here.'));
  }

  const both = () => Promise.all([showFaults(), showSales()]).catch(report);
  // A sale appears when the service sends an order: follow the store's
  // orders, live, to show it without polling.
  ctx.onStop(ctx.client.subscribe(() => ({ query: `subscription($s: ID!) { orderUpdated(storeId: $s) { cursor } }`, variables: { s: ctx.storeId } }), {
    next: () => showSales().catch(report),
    error: report,
  }));
  both();
}
