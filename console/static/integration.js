// The integration tab: requirements, connection, menu sync, setup form,
// enable/disable, notifications and health of one store.
import { errorText } from './gql.js';
import { h, replace, field, select, busy, when, words } from './dom.js';

const INTEGRATION = `enabled dashboardReadOnly health
  connection { authMethod domainPrefix connectedAt }
  menuSync { enabled lastSyncedAt itemCount lastError }
  settings { outletId registerId userId paymentTypeId }
  requirements { code met message }`;
const STORE = `id name timeZone pickupEnabled deliveryEnabled advertisingSubscriptionActive
  orderIntegration { ${INTEGRATION} } notificationSettings { alertEmails newOrderEmails }`;

const HEALTH = {
  HEALTHY: 'Lightspeed answers this store\'s calls.',
  PARTNER_OUTAGE: 'Lightspeed is failing for this store: orders wait, and become manageable on the Orders tab at their deadline. It recovers by itself when Lightspeed answers again.',
  CREDENTIALS_INVALID: 'Lightspeed refused this store\'s credentials: orders are not sent. Reconnect with OAuth below.',
};

const REQUIREMENT = {
  OAUTH_CONNECTED: 'Connected with OAuth',
  MENU_SYNC_ACTIVE: 'Menu sync active',
  ONLINE_ORDERING_ENABLED: 'Online ordering on',
  ADVERTISING_SUBSCRIPTION_ACTIVE: 'Advertising subscription active',
  SETTINGS_COMPLETE: 'Setup complete',
};

export const READ_ONLY_SENTENCE = 'While the order integration is on, each new order becomes a Lightspeed sale and the order dashboard is read-only: staff change orders in Lightspeed, and only orders that did not reach the POS can be handled here.';

export function integrationTab(ctx, panel) {
  const canConfigure = ctx.role !== 'STORE_STAFF';
  const error = h('p', { class: 'error', role: 'alert', id: 'integration-error' });
  const report = (e) => {
    const unmet = e.code === 'REQUIREMENTS_NOT_MET' ? e.errors[0].extensions.requirements || [] : [];
    error.textContent = errorText(e) + (unmet.length ? ` Not met: ${unmet.map((c) => REQUIREMENT[c] || words(c)).join(', ')}.` : '');
  };
  const ok = () => { error.textContent = ''; };
  const parts = {
    title: h('h1', {}, 'Integration'),
    health: h('section', { 'aria-labelledby': 'health-h', id: 'health' }),
    requirements: h('section', { 'aria-labelledby': 'req-h', id: 'requirements' }),
    connection: h('section', { 'aria-labelledby': 'conn-h', id: 'connection' }),
    menu: h('section', { 'aria-labelledby': 'menu-h', id: 'menu-sync' }),
    setup: h('section', { 'aria-labelledby': 'setup-h', id: 'setup' }),
    enable: h('section', { 'aria-labelledby': 'enable-h', id: 'enable' }),
    notify: h('section', { 'aria-labelledby': 'notify-h', id: 'notifications' }),
  };
  replace(panel, parts.title, error, canConfigure ? null : h('p', { class: 'note' }, 'Staff see the integration; a manager or Leafly admin changes it.'),
    h('div', { class: 'grid' }, parts.health, parts.requirements, parts.connection, parts.menu, parts.setup, parts.enable, parts.notify));

  let store = null;
  let optionsFor = null; // the connection the setup form's options were read for
  let syncing = false;
  let updates = 0; // storeUpdated events received

  // refresh shows the store as a query reads it, unless a storeUpdated
  // arrived meanwhile: each carries the whole store after its change, so the
  // query's answer may be the older of the two, and every later change
  // brings its own.
  const refresh = async () => {
    const before = updates;
    try {
      const data = await ctx.client.request(`query($id: ID!) { store(id: $id) { ${STORE} } }`, { id: ctx.storeId });
      if (!data.store) throw new Error(`Store ${ctx.storeId} was not found, or your sign-in does not cover it.`);
      if (updates === before) show(data.store);
    } catch (e) {
      report(e);
    }
  };

  // act runs a mutation from button, then shows the store as it is now.
  const act = (button, query, variables) => busy(button, report, async () => {
    const data = await ctx.client.request(query, variables);
    ok();
    await refresh();
    return data;
  });

  function show(s) {
    store = s;
    const oi = s.orderIntegration;
    replace(parts.title, `Integration · ${s.name}`);
    replace(parts.health, h('h2', { id: 'health-h' }, 'Health'),
      h('p', {}, h('span', { class: `badge ${oi.health}`, id: 'health-state' }, words(oi.health)), ' ', HEALTH[oi.health]),
      h('p', {}, 'Order integration: ', h('strong', { id: 'enabled-state' }, oi.enabled ? 'on' : 'off'), oi.dashboardReadOnly ? ' (the dashboard is read-only)' : ''));
    showRequirements(oi);
    showConnection(oi);
    showMenu(oi);
    showEnable(oi);
    const conn = `${oi.connection.authMethod}:${oi.connection.domainPrefix}`;
    if (canConfigure && conn !== optionsFor) {
      optionsFor = conn;
      showSetup(oi);
    } else if (!canConfigure) {
      showSetup(oi);
    }
    if (!parts.notify.firstChild) showNotifications(s.notificationSettings);
  }

  function showRequirements(oi) {
    const actions = {
      OAUTH_CONNECTED: ['Connect with OAuth', (b) => startOAuth(b)],
      MENU_SYNC_ACTIVE: ['Sync the menu now', (b) => syncMenu(b)],
      ONLINE_ORDERING_ENABLED: ['Turn on pickup orders', (b) => act(b, `mutation($id: ID!) { updateStore(input: {id: $id, pickupEnabled: true}) { id } }`, { id: ctx.storeId })],
      ADVERTISING_SUBSCRIPTION_ACTIVE: ctx.role === 'ADMIN' ? ['Mark the subscription active', (b) => act(b, `mutation($id: ID!) { updateStore(input: {id: $id, advertisingSubscriptionActive: true}) { id } }`, { id: ctx.storeId })] : null,
      SETTINGS_COMPLETE: ['Go to the setup form', () => document.getElementById('outlet')?.focus()],
    };
    const met = oi.requirements.filter((r) => r.met).length;
    replace(parts.requirements, h('h2', { id: 'req-h' }, `Requirements (${met} of ${oi.requirements.length} met)`),
      h('ol', { class: 'checklist' }, oi.requirements.map((r) => {
        const connected = oi.connection.authMethod !== 'NONE';
        const needsConnection = r.code === 'MENU_SYNC_ACTIVE' || r.code === 'SETTINGS_COMPLETE';
        const a = !r.met && canConfigure && (connected || !needsConnection) ? actions[r.code] : null;
        return h('li', { class: r.met ? 'met' : 'unmet', 'data-code': r.code },
          h('span', { class: 'mark', 'aria-hidden': 'true' }, r.met ? '✓' : '✗'),
          h('span', {}, h('strong', {}, REQUIREMENT[r.code] || words(r.code), r.met ? ' — met' : ' — not met'), h('br'), r.message),
          a ? h('button', { type: 'button', class: 'small', onclick: (e) => a[1](e.currentTarget) }, a[0]) : null);
      })));
  }

  function showConnection(oi) {
    const c = oi.connection;
    const body = [h('h2', { id: 'conn-h' }, 'Lightspeed connection'),
      h('p', { id: 'auth-method' }, c.authMethod === 'NONE' ? 'Not connected.'
        : `Connected to ${c.domainPrefix} with ${c.authMethod === 'OAUTH' ? 'OAuth' : 'a personal token'} since ${when(c.connectedAt)}.`)];
    if (canConfigure && c.authMethod === 'PERSONAL_TOKEN') {
      body.push(h('p', {}, 'A personal token syncs the menu only; sending orders needs OAuth.'),
        h('div', { class: 'switch-row' },
          h('button', { type: 'button', role: 'switch', 'aria-checked': 'false', id: 'oauth-switch', 'aria-labelledby': 'oauth-switch-label', onclick: (e) => startOAuth(e.currentTarget) }, h('span', { class: 'knob', 'aria-hidden': 'true' })),
          h('span', { id: 'oauth-switch-label' }, 'Enable OAuth')));
    }
    if (canConfigure && c.authMethod !== 'PERSONAL_TOKEN') {
      body.push(h('button', { type: 'button', id: 'oauth-connect', onclick: (e) => startOAuth(e.currentTarget) }, c.authMethod === 'OAUTH' ? 'Reconnect with OAuth' : 'Connect with OAuth'));
    }
    body.push(h('p', { id: 'oauth-status', 'aria-live': 'polite' }));
    if (canConfigure && c.authMethod === 'NONE') {
      const prefix = h('input', { id: 'pt-prefix', required: true, autocomplete: 'off', placeholder: 'mystore' });
      const token = h('input', { id: 'pt-token', required: true, type: 'password', autocomplete: 'off' });
      body.push(h('form', {
        class: 'inline',
        onsubmit: (e) => {
          e.preventDefault();
          act(e.submitter, `mutation($id: ID!, $p: String!, $t: String!) { connectLightspeedPersonalToken(storeId: $id, domainPrefix: $p, token: $t) { enabled } }`,
            { id: ctx.storeId, p: prefix.value.trim(), t: token.value.trim() });
        },
      }, h('h3', {}, 'Or connect with a personal token'), field('Domain prefix', prefix, 'The first part of mystore.retail.lightspeed.app.'), field('Personal token', token),
      h('button', { type: 'submit', id: 'pt-connect' }, 'Connect with personal token')));
    }
    replace(parts.connection, body);
  }

  // startOAuth opens Lightspeed's consent page in a window of its own; the
  // tab picks up the new connection from storeUpdated.
  async function startOAuth(button) {
    const win = window.open('', 'lightspeed-oauth');
    const data = await busy(button, report, () => ctx.client.request(`mutation($id: ID!) { startLightspeedOAuth(storeId: $id) { authorizeUrl } }`, { id: ctx.storeId }));
    const status = document.getElementById('oauth-status');
    if (!data) {
      if (win) win.close();
      return;
    }
    ok();
    const url = data.startLightspeedOAuth.authorizeUrl;
    if (win) {
      win.location.href = url;
      if (status) status.textContent = 'Lightspeed\'s consent page opened in a new window. This page updates once you approve.';
    } else if (status) {
      replace(status, 'Your browser blocked the new window: ', h('a', { href: url, target: 'lightspeed-oauth', rel: 'noopener' }, 'open Lightspeed\'s consent page'), '.');
    }
  }

  function showMenu(oi) {
    const m = oi.menuSync;
    replace(parts.menu, h('h2', { id: 'menu-h' }, 'Menu sync'),
      h('dl', { class: 'facts' },
        h('dt', {}, 'State'), h('dd', { id: 'menu-state' }, syncing ? 'Syncing…' : m.enabled ? 'On' : 'Off'),
        h('dt', {}, 'Items'), h('dd', { id: 'menu-count' }, String(m.itemCount)),
        h('dt', {}, 'Last sync'), h('dd', {}, when(m.lastSyncedAt)),
        m.lastError ? [h('dt', {}, 'Last error'), h('dd', { class: 'error' }, m.lastError)] : null),
      syncing ? h('progress', { 'aria-label': 'Menu sync in progress' }) : null,
      canConfigure && oi.connection.authMethod !== 'NONE' ? h('button', { type: 'button', id: 'sync-menu', disabled: syncing, onclick: (e) => syncMenu(e.currentTarget) }, 'Sync menu now') : null);
  }

  async function syncMenu(button) {
    syncing = true;
    showMenu(store.orderIntegration);
    try {
      await ctx.client.request(`mutation($id: ID!) { syncMenu(storeId: $id) { itemCount } }`, { id: ctx.storeId });
      ok();
    } catch (e) {
      report(e);
    } finally {
      syncing = false;
      if (button) button.disabled = false;
      await refresh();
    }
  }

  async function showSetup(oi) {
    const head = h('h2', { id: 'setup-h' }, 'Setup');
    if (!canConfigure || oi.connection.authMethod === 'NONE') {
      replace(parts.setup, head, h('p', {}, oi.settings ? 'Saved: outlet, register, user and payment type are chosen.' : 'Not saved yet.'),
        canConfigure ? h('p', {}, 'Connect Lightspeed first: the choices are read from the account.') : null);
      return;
    }
    replace(parts.setup, head, h('p', { 'aria-live': 'polite' }, 'Reading the choices from Lightspeed…'));
    let opts;
    try {
      opts = (await ctx.client.request(`query($id: ID!) { lightspeedSetupOptions(storeId: $id) {
        outlets { id name } registers { id name outletId } users { id name } paymentTypes { id name } } }`, { id: ctx.storeId })).lightspeedSetupOptions;
    } catch (e) {
      optionsFor = null;
      replace(parts.setup, head, h('p', { class: 'error' }, errorText(e)));
      return;
    }
    const saved = oi.settings || {};
    const choose = (list) => [['', 'Choose…'], ...list.map((o) => [o.id, o.name])];
    const outlet = select({ id: 'outlet', required: true }, choose(opts.outlets), saved.outletId);
    const register = h('select', { id: 'register', required: true });
    const fillRegisters = () => {
      const keep = register.value || saved.registerId;
      replace(register, h('option', { value: '' }, outlet.value ? 'Choose…' : 'Choose an outlet first'),
        opts.registers.filter((r) => r.outletId === outlet.value).map((r) => h('option', { value: r.id, selected: r.id === keep }, r.name)));
    };
    outlet.addEventListener('change', fillRegisters);
    fillRegisters();
    const user = select({ id: 'user', required: true }, choose(opts.users), saved.userId);
    const payment = select({ id: 'payment', required: true }, choose(opts.paymentTypes), saved.paymentTypeId);
    const savedNote = h('p', { 'aria-live': 'polite', id: 'setup-saved' });
    replace(parts.setup, head, h('form', {
      onsubmit: async (e) => {
        e.preventDefault();
        const r = await act(e.submitter, `mutation($input: ConfigureOrderIntegrationInput!) { configureOrderIntegration(input: $input) { enabled } }`,
          { input: { storeId: ctx.storeId, outletId: outlet.value, registerId: register.value, userId: user.value, paymentTypeId: payment.value } });
        if (r) savedNote.textContent = 'Saved.';
      },
    }, field('Outlet', outlet), field('Register', register, 'Only the registers of the chosen outlet.'), field('User', user, 'Recorded as the author of the sales.'),
    field('Payment type', payment), h('button', { type: 'submit', id: 'save-setup' }, 'Save setup'), savedNote));
  }

  function showEnable(oi) {
    const unmet = oi.requirements.filter((r) => !r.met);
    replace(parts.enable, h('h2', { id: 'enable-h' }, 'Order integration'),
      h('p', {}, READ_ONLY_SENTENCE),
      !canConfigure ? null : oi.enabled
        ? h('button', { type: 'button', id: 'disable', class: 'danger', onclick: (e) => act(e.currentTarget, `mutation($id: ID!) { disableOrderIntegration(storeId: $id) { enabled } }`, { id: ctx.storeId }) }, 'Disable the order integration')
        : h('button', { type: 'button', id: 'enable-button', 'aria-describedby': unmet.length ? 'enable-unmet' : null, onclick: (e) => act(e.currentTarget, `mutation($id: ID!) { enableOrderIntegration(storeId: $id) { enabled } }`, { id: ctx.storeId }) }, 'Enable the order integration'),
      !oi.enabled && unmet.length ? h('p', { id: 'enable-unmet', class: 'note' }, `Enabling needs ${unmet.length} more requirement${unmet.length > 1 ? 's' : ''}: see the checklist.`) : null);
  }

  function showNotifications(ns) {
    const list = (v) => v.split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean);
    const alerts = h('textarea', { id: 'alert-emails', rows: 2, value: ns.alertEmails.join('\n'), disabled: !canConfigure });
    const orders = h('textarea', { id: 'order-emails', rows: 2, value: ns.newOrderEmails.join('\n'), disabled: !canConfigure });
    const done = h('p', { 'aria-live': 'polite' });
    replace(parts.notify, h('h2', { id: 'notify-h' }, 'Notifications'), h('form', {
      onsubmit: async (e) => {
        e.preventDefault();
        const r = await act(e.submitter, `mutation($input: NotificationSettingsInput!) { updateNotificationSettings(input: $input) { alertEmails } }`,
          { input: { storeId: ctx.storeId, alertEmails: list(alerts.value), newOrderEmails: list(orders.value) } });
        if (r) done.textContent = 'Saved.';
      },
    }, field('Alert emails', alerts, 'Outages, credential problems and orders that did not reach the POS. One address per line.'),
    field('New order emails', orders, 'Told of each new order. One address per line.'),
    canConfigure ? h('button', { type: 'submit', id: 'save-notifications' }, 'Save notifications') : null, done));
  }

  ctx.onStop(ctx.client.subscribe(() => ({ query: `subscription($id: ID!) { storeUpdated(storeId: $id) { ${STORE} } }`, variables: { id: ctx.storeId } }), {
    next: (data) => {
      updates++;
      show(data.storeUpdated);
    },
    error: report,
    resumed: refresh,
  }));
  refresh();
}
