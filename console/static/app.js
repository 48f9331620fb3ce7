// The Biz console: sign-in, the store picker, the tabs and the alert pop-up.
import { Client, errorText } from './gql.js';
import { h, replace, field, words } from './dom.js';
import { integrationTab } from './integration.js';
import { ordersTab } from './orders.js';
import { alertsTab, watchAlerts } from './alerts.js';
import { sandboxTab } from './sandbox.js';

const TOKEN_KEY = 'leafly-console-token';
const STORES_KEY = 'leafly-console-stores';
const main = document.getElementById('main');
const who = document.getElementById('who');

const state = {
  setup: { signIn: false, demoStore: '', sandbox: false },
  token: sessionStorage.getItem(TOKEN_KEY) || '',
  claims: null,
  client: null,
  stop: [], // what to end when leaving the current view
  signInMessage: '',
};

// claimsOf reads a token's claims (the service verifies the token; the
// console only needs to know whom it is for).
function claimsOf(token) {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const c = JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/')));
    return c && typeof c.role === 'string' ? c : null;
  } catch {
    return null;
  }
}

function knownStores() {
  if (state.claims.role !== 'ADMIN') return state.claims.stores || [];
  const saved = JSON.parse(localStorage.getItem(STORES_KEY) || '[]');
  return [...new Set([...(state.setup.demoStore ? [state.setup.demoStore] : []), ...saved])];
}

function rememberStore(id) {
  const saved = JSON.parse(localStorage.getItem(STORES_KEY) || '[]');
  if (!saved.includes(id)) localStorage.setItem(STORES_KEY, JSON.stringify([...saved, id]));
}

function leave() {
  for (const stop of state.stop.splice(0)) stop();
}

function signOut(message = '') {
  leave();
  if (state.client) state.client.close();
  state.client = null;
  state.token = '';
  state.claims = null;
  sessionStorage.removeItem(TOKEN_KEY);
  state.signInMessage = message;
  location.hash = '';
  render();
}

// LIVE says, by the websocket's state, whether the page is live.
const LIVE = { live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…', offline: 'Offline', idle: '' };

function signIn(token) {
  const claims = claimsOf(token.trim().replace(/^Bearer\s+/i, ''));
  if (!claims) return 'That does not look like a bearer token: paste the whole token, three parts separated by dots.';
  if (claims.exp && claims.exp * 1000 < Date.now()) return 'That token has expired. Mint a new one with `server token`.';
  if (!['ADMIN', 'STORE_MANAGER', 'STORE_STAFF'].includes(claims.role)) {
    return `A ${claims.role} token is for the ordering system, not for the console: sign in as ADMIN, STORE_MANAGER or STORE_STAFF.`;
  }
  state.token = token.trim().replace(/^Bearer\s+/i, '');
  state.claims = claims;
  sessionStorage.setItem(TOKEN_KEY, state.token);
  state.client = new Client(() => state.token, () => signOut('Your sign-in is no longer valid (expired or refused). Sign in again.'));
  state.client.onStatus = (s) => {
    const el = document.getElementById('live');
    if (el) el.textContent = LIVE[s];
  };
  state.signInMessage = '';
  return '';
}

function signInView() {
  const error = h('p', { class: 'error', role: 'alert' }, state.signInMessage);
  const token = h('textarea', { id: 'token', rows: 3, required: true, autocomplete: 'off', spellcheck: false });
  const form = h('form', {
    onsubmit: (e) => {
      e.preventDefault();
      const msg = signIn(token.value);
      if (msg) error.textContent = msg;
      else render();
    },
  },
  field('Bearer token', token, 'A token minted with `server token -role STORE_MANAGER -store <id>` (or ADMIN, STORE_STAFF).'),
  h('button', { type: 'submit' }, 'Sign in'));
  const quick = state.setup.signIn
    ? h('section', { 'aria-labelledby': 'quick-h' },
      h('h2', { id: 'quick-h' }, 'One-click sign-in'),
      h('p', {}, 'This service runs on its embedded default, so it hands out tokens for trying it. A production start has none of these.'),
      h('div', { class: 'row' }, [['ADMIN', 'Sign in as ADMIN'], ['STORE_MANAGER', 'Sign in as the demo store\'s manager'], ['STORE_STAFF', 'Sign in as the demo store\'s staff']]
        .map(([role, label]) => h('button', { type: 'button', 'data-role': role, onclick: (e) => quickSignIn(role, e.currentTarget, error) }, label))))
    : null;
  who.replaceChildren();
  return h('div', { class: 'narrow' }, h('h1', {}, 'Sign in'), error, quick, h('section', { 'aria-labelledby': 'paste-h' }, h('h2', { id: 'paste-h' }, 'Paste a token'), form));
}

async function quickSignIn(role, button, error) {
  button.disabled = true;
  try {
    const res = await fetch('console/sign-in', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ role }) });
    const body = await res.json();
    if (!res.ok) throw new Error(body.error || 'The service refused the sign-in.');
    const msg = signIn(body.token);
    if (msg) throw new Error(msg);
    render();
  } catch (e) {
    error.textContent = errorText(e);
  } finally {
    button.disabled = false;
  }
}

const TABS = [['integration', 'Integration'], ['orders', 'Orders'], ['alerts', 'Alerts'], ['sandbox', 'Sandbox staff']];

function route() {
  const [store, tab] = decodeURIComponent(location.hash.slice(1)).split('/');
  return { store: store || '', tab: TABS.some(([t]) => t === tab) ? tab : 'orders' };
}

function header(store) {
  const stores = knownStores();
  const picker = h('select', { id: 'store-picker', onchange: (e) => { location.hash = `${e.target.value}/${route().tab}`; } },
    h('option', { value: '' }, stores.length ? 'Choose a store' : 'No store yet'),
    stores.map((id) => h('option', { value: id, selected: id === store }, id)));
  replace(who,
    h('span', { class: 'role' }, words(state.claims.role)), ' ',
    h('span', { id: 'live', class: 'live', 'aria-live': 'polite' }, LIVE[state.client.status]),
    field('Store', picker),
    h('button', { type: 'button', class: 'link', onclick: () => signOut() }, 'Sign out'));
  nameStores(picker, stores);
}

// nameStores puts each store's name in the picker, in one query; a store
// that is gone (or not the token's) keeps its id.
async function nameStores(picker, stores) {
  if (!stores.length) return;
  const vars = Object.fromEntries(stores.map((id, i) => [`s${i}`, id]));
  const query = `query(${stores.map((_, i) => `$s${i}: ID!`).join(', ')}) { ${stores.map((_, i) => `s${i}: store(id: $s${i}) { name }`).join(' ')} }`;
  let data;
  try {
    data = await state.client.request(query, vars);
  } catch (e) {
    data = e.data || {};
  }
  stores.forEach((id, i) => {
    const name = data && data[`s${i}`] && data[`s${i}`].name;
    const option = [...picker.options].find((o) => o.value === id);
    if (name && option) option.textContent = name;
  });
}

// adminStart is where an ADMIN without a chosen store begins: open a store
// by id, or create one.
function adminStart() {
  const error = h('p', { class: 'error', role: 'alert' });
  const openId = h('input', { id: 'open-id', required: true, autocomplete: 'off' });
  const open = h('form', { onsubmit: (e) => { e.preventDefault(); rememberStore(openId.value.trim()); location.hash = `${openId.value.trim()}/integration`; } },
    field('Store id', openId), h('button', { type: 'submit' }, 'Open store'));
  const name = h('input', { id: 'new-name', required: true, maxLength: 200 });
  const tz = h('input', { id: 'new-tz', required: true, value: Intl.DateTimeFormat().resolvedOptions().timeZone || 'America/Los_Angeles' });
  const pickup = h('input', { id: 'new-pickup', type: 'checkbox', checked: true });
  const delivery = h('input', { id: 'new-delivery', type: 'checkbox' });
  const ads = h('input', { id: 'new-ads', type: 'checkbox', checked: true });
  const create = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      const button = e.submitter;
      button.disabled = true;
      try {
        const data = await state.client.request(`mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }`, {
          input: { name: name.value, timeZone: tz.value, pickupEnabled: pickup.checked, deliveryEnabled: delivery.checked, advertisingSubscriptionActive: ads.checked },
        });
        rememberStore(data.createStore.id);
        location.hash = `${data.createStore.id}/integration`;
      } catch (err) {
        error.textContent = errorText(err);
      } finally {
        button.disabled = false;
      }
    },
  },
  field('Name', name), field('Time zone', tz, 'IANA name, e.g. America/Denver.'),
  h('div', { class: 'checks' }, field('Takes pickup orders', pickup), field('Takes delivery orders', delivery), field('Advertising subscription active', ads)),
  h('button', { type: 'submit', id: 'create-store' }, 'Create store'));
  return h('div', { class: 'narrow' }, h('h1', {}, 'Stores'), error,
    h('section', { 'aria-labelledby': 'open-h' }, h('h2', { id: 'open-h' }, 'Open a store'), open),
    h('section', { 'aria-labelledby': 'create-h' }, h('h2', { id: 'create-h' }, 'Create a store'), create));
}

function storeView(storeId, tab) {
  const tabs = TABS.filter(([t]) => t !== 'sandbox' || state.setup.sandbox);
  const nav = h('div', { role: 'tablist', 'aria-label': 'Store pages', class: 'tabs' },
    tabs.map(([t, label]) => h('a', { role: 'tab', href: `#${storeId}/${t}`, id: `tab-${t}`, 'aria-selected': t === tab ? 'true' : 'false', 'aria-controls': 'panel', tabIndex: t === tab ? 0 : -1 }, label)));
  // The arrow keys move between tabs, as a tablist's do.
  nav.addEventListener('keydown', (e) => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
    if (!step) return;
    const i = (tabs.findIndex(([t]) => t === tab) + step + tabs.length) % tabs.length;
    location.hash = `${storeId}/${tabs[i][0]}`;
  });
  const panel = h('div', { role: 'tabpanel', id: 'panel', 'aria-labelledby': `tab-${tab}`, tabIndex: -1 });
  const ctx = { client: state.client, storeId, role: state.claims.role, setup: state.setup, onStop: (f) => state.stop.push(f) };
  const show = { integration: integrationTab, orders: ordersTab, alerts: alertsTab, sandbox: sandboxTab }[tab];
  show(ctx, panel);
  watchAlerts(ctx, document.getElementById('popups'));
  return [nav, panel];
}

// render shows the page the hash names; moved is true when the hash
// changed, so that focus follows a tab chosen with the keyboard.
function render(moved = false) {
  leave();
  if (!state.claims) {
    replace(main, signInView());
    return;
  }
  const { tab } = route();
  const mine = state.claims.stores || [];
  // A token for one store opens on it.
  const store = route().store || (state.claims.role !== 'ADMIN' && mine.length === 1 ? mine[0] : '');
  header(store);
  if (!store) {
    replace(main, state.claims.role === 'ADMIN' ? adminStart()
      : h('div', { class: 'narrow' }, h('h1', {}, 'Choose a store'), h('p', {}, 'Pick one of your stores above.')));
    return;
  }
  replace(main, storeView(store, tab));
  if (moved) document.getElementById(`tab-${tab}`).focus();
}

async function start() {
  try {
    const res = await fetch('console/setup');
    if (res.ok) state.setup = await res.json();
  } catch {
    // The defaults (no one-click sign-in, no sandbox) are right then.
  }
  if (state.token && signIn(state.token)) {
    state.token = '';
    sessionStorage.removeItem(TOKEN_KEY);
  }
  window.addEventListener('hashchange', () => render(true));
  render();
}

start();
