// Alerts: the pop-up when alertRaised arrives, and the store's list.
import { errorText } from './gql.js';
import { h, replace, when, words } from './dom.js';

const ALERT = 'id storeId kind message raisedAt resolvedAt';

// WHAT_TO_DO says, per kind, what the person seeing an alert should do.
const WHAT_TO_DO = {
  PARTNER_OUTAGE: 'Nothing to do unless it lasts: new orders wait for Lightspeed, and one still not sent at its deadline is marked “Not sent” on the Orders tab, where you handle it. This resolves by itself when Lightspeed answers again.',
  CREDENTIALS_INVALID: 'A manager reconnects Lightspeed with OAuth on the Integration tab. Until then orders are marked “Not sent” and handled on the Orders tab.',
  ORDER_NOT_SENT: 'Open the Orders tab and handle the order marked “Not sent”: move it, cancel it with a reason, or retry the sync.',
};

// watchAlerts shows a pop-up for each alert raised for the store while the
// console is open on it.
export function watchAlerts(ctx, popups) {
  ctx.onStop(ctx.client.subscribe(() => ({ query: `subscription($s: ID!) { alertRaised(storeId: $s) { ${ALERT} } }`, variables: { s: ctx.storeId } }), {
    next: (data) => popup(ctx, popups, data.alertRaised),
    error: () => {},
  }));
}

function popup(ctx, popups, a) {
  const title = `alert-${a.id}-h`;
  const box = h('div', { role: 'alertdialog', class: `popup ${a.kind}`, 'aria-labelledby': title, 'aria-describedby': `alert-${a.id}-m`, 'data-kind': a.kind, tabIndex: -1 },
    h('h2', { id: title }, `Alert: ${words(a.kind)}`),
    h('p', { id: `alert-${a.id}-m` }, a.message),
    h('p', {}, h('strong', {}, 'What to do: '), WHAT_TO_DO[a.kind] || 'See the Alerts tab.'),
    h('div', { class: 'row' },
      h('a', { href: `#${ctx.storeId}/${a.kind === 'CREDENTIALS_INVALID' ? 'integration' : 'orders'}`, class: 'button', onclick: () => box.remove() },
        a.kind === 'CREDENTIALS_INVALID' ? 'Open the integration' : 'Open the orders'),
      h('button', { type: 'button', class: 'dismiss', onclick: () => box.remove() }, 'Dismiss')));
  box.addEventListener('keydown', (e) => { if (e.key === 'Escape') box.remove(); });
  popups.append(box);
  box.focus();
}

export function alertsTab(ctx, panel) {
  const error = h('p', { class: 'error', role: 'alert' });
  const list = h('div', { id: 'alert-list' });
  replace(panel, h('h1', {}, 'Alerts'), error, list);
  const load = async () => {
    try {
      const { alerts } = await ctx.client.request(`query($s: ID!) { alerts(storeId: $s) { ${ALERT} } }`, { s: ctx.storeId });
      const open = alerts.filter((a) => !a.resolvedAt);
      const done = alerts.filter((a) => a.resolvedAt);
      const items = (l) => (l.length ? h('ul', { class: 'alerts' }, l.map((a) => h('li', { 'data-kind': a.kind, class: a.resolvedAt ? 'resolved' : 'open' },
        h('strong', {}, words(a.kind)), ` — raised ${when(a.raisedAt)}`, a.resolvedAt ? `, resolved ${when(a.resolvedAt)}` : '', h('br'), a.message,
        a.resolvedAt ? null : h('p', { class: 'note' }, WHAT_TO_DO[a.kind] || '')))) : h('p', {}, 'None.'));
      replace(list, h('h2', {}, `Open (${open.length})`), items(open), h('h2', {}, `Resolved (${done.length})`), items(done));
    } catch (e) {
      error.textContent = errorText(e);
    }
  };
  ctx.onStop(ctx.client.subscribe(() => ({ query: `subscription($s: ID!) { storeUpdated(storeId: $s) { orderIntegration { health } } }`, variables: { s: ctx.storeId } }), {
    next: load, // a health change raises or resolves an alert
    error: () => {},
  }));
  ctx.onStop(ctx.client.subscribe(() => ({ query: `subscription($s: ID!) { alertRaised(storeId: $s) { id } }`, variables: { s: ctx.storeId } }), {
    next: load,
    error: () => {},
  }));
  load();
}
