//go:build unix

package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/internal/pgtest"
	"github.com/leafly/lightspeed-orders/sandbox"
)

// The Biz console (console/, served at /) driven in headless Chromium as a
// manager would drive it. CONSOLE_SCREENSHOTS names a directory to keep the
// screenshots in (docs/ has the best of them); by default they go to a
// temporary directory.

// TestBrowserConsole walks the whole flow on the embedded default: one-click
// sign-in, a new store connected by personal token then OAuth, its menu
// synced, the setup form saved and the integration enabled; an order
// submitted through the API shows within a second (five under the race
// detector) and a staff action in the sandbox panel moves it to READY live;
// a sandbox outage raises the pop-up and the orders past their deadline are
// handled from the read-only dashboard (moved, canceled, sent again once
// Lightspeed is back); disabling makes the dashboard writable again. An
// action's answer that arrives after a newer live update (a retry's, the
// integration tab's reread) does not undo it.
func TestBrowserConsole(t *testing.T) {
	t.Parallel()
	b := startBrowser(t)
	db := database{"sqlite", map[string]string{"DATA_DIR": t.TempDir()}}
	s := startLightspeedServer(t, db, map[string]string{"ORDER_POS_DEADLINE": "3s", "SANDBOX_DEMO": "true"})
	shots := screenshotDir(t)

	tb := openConsole(t, b, s.URL)
	tb.viewport(1280, 900)
	tb.waitUntil("the one-click sign-in", `document.querySelector('[data-role=ADMIN]')`)
	tb.screenshot(shots, "console-sign-in")
	tb.labelled("the sign-in page")
	tb.click(`[data-role=ADMIN]`)

	tb.waitUntil("the store form", `document.getElementById('create-store')`)
	tb.fill("#new-name", "Evergreen")
	tb.fill("#new-tz", "America/Denver")
	tb.click("#create-store")
	storeID := str(tb.waitUntil("the new store's integration tab", `document.querySelectorAll('#requirements li').length === 5 && location.hash.slice(1).split('/')[0]`))
	st := lsStore{s: s, ID: storeID, Admin: s.Token(t, domain.RoleAdmin), Manager: s.Token(t, domain.RoleStoreManager, storeID),
		Staff: s.Token(t, domain.RoleStoreStaff, storeID), Market: s.Token(t, domain.RoleMarketplace)}

	tb.click("#enable-button") // too early: refused with the server's sentence and what is missing
	tb.waitUntil("the refusal", `document.getElementById('integration-error').textContent ===
		'The order integration cannot be enabled yet: see the unmet requirements. Not met: Connected with OAuth, Menu sync active, Setup complete.'`)
	tb.screenshot(shots, "console-new-store")

	tb.fill("#pt-prefix", sandbox.DemoPrefix)
	tb.fill("#pt-token", sandbox.DemoPersonalToken)
	tb.click("#pt-connect")
	tb.waitUntil("the personal token connection and the OAuth switch", `document.getElementById('oauth-switch') && document.getElementById('auth-method').textContent.includes('personal token')`)
	tb.click("#oauth-switch") // opens the sandbox's consent page in a window of its own
	tb.waitUntil("the OAuth connection, picked up from storeUpdated", `document.getElementById('auth-method').textContent.includes('with OAuth')`)
	tb.click("#sync-menu")
	tb.waitUntil("the menu synced", `document.querySelector('[data-code=MENU_SYNC_ACTIVE].met') && document.getElementById('menu-count').textContent !== '0' && !document.querySelector('#menu-sync progress')`)

	tb.waitUntil("the setup options", `document.querySelectorAll('#outlet option').length > 1`)
	tb.choose("#outlet", 1)
	tb.waitUntil("registers of the outlet", `document.querySelectorAll('#register option').length > 1`)
	tb.choose("#register", 1)
	tb.choose("#user", 1)
	tb.choose("#payment", 1)
	tb.click("#save-setup")
	tb.waitUntil("every requirement met", `document.querySelectorAll('#requirements li.met').length === 5`)
	tb.fill("#alert-emails", "manager@example.com")
	tb.click("#save-notifications")
	tb.waitUntil("the notifications saved", `document.querySelector('#notifications [aria-live]').textContent === 'Saved.'`)
	tb.click("#enable-button")
	tb.waitUntil("the integration on", `document.getElementById('enabled-state').textContent === 'on' && document.getElementById('disable')`)
	tb.screenshot(shots, "console-integration")
	tb.labelled("the integration tab")

	staff := openConsole(t, b, s.URL) // a second tab: the sandbox panel, as the store's staff in Lightspeed
	staff.viewport(1280, 900)
	staff.waitUntil("the one-click sign-in", `document.querySelector('[data-role=ADMIN]')`)
	staff.click(`[data-role=ADMIN]`)
	staff.waitUntil("the console", `document.getElementById('store-picker')`)
	staff.eval(fmt.Sprintf(`location.hash = %q`, storeID+"/sandbox"))
	staff.waitUntil("the fault switches", `document.getElementById('fault-outage')`)

	tb.call("Page.bringToFront", nil)
	tb.eval(fmt.Sprintf(`location.hash = %q`, storeID+"/orders"))
	tb.waitUntil("the read-only banner", `!document.getElementById('read-only').hidden && document.getElementById('order-count').textContent.startsWith('0 orders')`)
	menu := st.menu(t)
	// A first order shows the dashboard is subscribed; once it is in
	// Lightspeed, nothing of it holds the database while the next one is
	// timed.
	st.shopperOrder(t, "L-3000", "grace@example.com", anyItems(menu, 1), nil)
	tb.waitUntil("the first order sent", `document.querySelector('tr[data-leafly-id="L-3000"][data-pos=SENT]')`)
	submitted := time.Now()
	first := st.shopperOrder(t, "L-3001", "grace@example.com", anyItems(menu, 2), nil)
	tb.waitUntil("the new order on the dashboard", `document.querySelector('tr[data-leafly-id="L-3001"]')`)
	if d, within := time.Since(submitted), time.Second*raceSlowdown; d > within {
		t.Errorf("the order showed %s after it was submitted, want within %s", d, within)
	}
	tb.waitUntil("the order sent and confirmed", `document.querySelector('tr[data-leafly-id="L-3001"][data-pos=SENT][data-status=CONFIRMED]')`)
	if tb.eval(`!!document.querySelector('tr[data-leafly-id="L-3001"] .move-button')`) != false {
		t.Error("an order in the POS is actionable on the read-only dashboard")
	}

	staff.waitUntil("the order's sale in the sandbox panel", `document.querySelector('li[data-source-id="L-3001"] .sale-pack')`)
	staff.click(`li[data-source-id="L-3001"] .sale-pack`)
	tb.waitUntil("READY on the dashboard, live", `document.querySelector('tr[data-leafly-id="L-3001"][data-status=READY]')`)

	staff.click("#fault-outage")
	staff.waitUntil("the outage switch on", `document.getElementById('fault-outage').getAttribute('aria-checked') === 'true'`)
	staff.screenshot(shots, "console-sandbox")
	staff.labelled("the sandbox staff tab")
	handled := st.shopperOrder(t, "L-3002", "ada@example.com", anyItems(menu, 1), nil)
	canceled := st.shopperOrder(t, "L-3003", "ada@example.com", anyItems(menu, 1), nil)
	retried := st.shopperOrder(t, "L-3004", "ada@example.com", anyItems(menu, 1), nil)
	tb.waitUntil("the outage pop-up", `document.querySelector('[role=alertdialog][data-kind=PARTNER_OUTAGE]')`)
	tb.waitUntil("the orders not sent and actionable", `document.querySelector('tr[data-leafly-id="L-3002"][data-pos=NOT_SENT] .move-button') &&
		document.querySelector('tr[data-leafly-id="L-3003"][data-pos=NOT_SENT] .cancel-button') && document.querySelector('tr[data-leafly-id="L-3004"][data-pos=NOT_SENT] .retry-button')`)
	tb.screenshot(shots, "console-alert")
	tb.click(`[role=alertdialog] .dismiss`)
	tb.click(`tr[data-leafly-id="L-3002"] .move-button`) // to CONFIRMED, the first move offered
	tb.waitUntil("L-3002 confirmed from the dashboard", `document.querySelector('tr[data-leafly-id="L-3002"][data-status=CONFIRMED]')`)
	tb.eval(`document.querySelector('tr[data-leafly-id="L-3003"] details.cancel').open = true`)
	tb.choose(`tr[data-leafly-id="L-3003"] .cancel-reason`, 1) // NOT_PICKED_UP
	tb.click(`tr[data-leafly-id="L-3003"] .cancel-button`)
	tb.waitUntil("L-3003 canceled", `document.querySelector('tr[data-leafly-id="L-3003"][data-status=CANCELED]')`)
	for id, want := range map[string]string{handled: "CONFIRMED", canceled: "CANCELED"} {
		o := st.order(t, id)
		h := path(o, "statusHistory").([]any)
		if o["status"] != want || path(h[len(h)-1], "source") != "DASHBOARD" {
			t.Errorf("order %s: %v, want %s from the dashboard", id, o, want)
		}
	}

	tb.click(`tr[data-leafly-id="L-3001"] button.link`)
	tb.waitUntil("the order's detail", `document.getElementById('detail-calls') && document.getElementById('detail-history').textContent.includes('Ready — by Lightspeed')`)
	if got := str(tb.eval(`document.querySelector('#order-detail .lines').textContent`)); !strings.Contains(got, "Half off first gram") {
		t.Errorf("the detail's lines %q do not show the deal", got)
	}
	tb.screenshot(shots, "console-orders")
	tb.labelled("the orders tab")
	tb.viewport(390, 844)
	tb.screenshot(shots, "console-orders-phone")
	tb.viewport(1280, 900)

	// A retry while the store is still in its outage is accepted and turns
	// NOT_SENT again at once (past its deadline); the recovery then sends
	// it, as nobody handled it. Retrying after the recovery would race the
	// probe, which resends it itself. The retry's answer (QUEUED) is held
	// until the updates after it (QUEUED, then NOT_SENT) have arrived, as a
	// slow network may deliver it: the row must stay NOT_SENT.
	tb.eval(holdRetryAnswer)
	tb.click(`tr[data-leafly-id="L-3004"] .retry-button`)
	if held := tb.waitUntil("the retry's answer taken in", `window.retryAnswer`); held != "held past NOT_SENT" {
		t.Errorf("the retry's answer was %v, want held past NOT_SENT", held)
	}
	if pos := tb.eval(`document.querySelector('tr[data-leafly-id="L-3004"]').dataset.pos`); pos != "NOT_SENT" {
		t.Errorf("L-3004 on the dashboard after the retry's late answer: %v, want NOT_SENT", pos)
	}
	tb.waitUntil("L-3004's retry accepted", `document.getElementById('orders-error').textContent === '' && document.querySelector('tr[data-leafly-id="L-3004"][data-pos=NOT_SENT] .retry-button:not([disabled])')`)
	if o := st.order(t, retried); path(o, "posSync", "state") != "NOT_SENT" || o["status"] != "PENDING" {
		t.Errorf("L-3004 after a retry in the outage: %v, want NOT_SENT and PENDING", o)
	}
	staff.click("#fault-outage")
	staff.waitUntil("the outage switch off", `document.getElementById('fault-outage').getAttribute('aria-checked') === 'false'`)
	tb.waitUntil("L-3004 sent at the recovery", `document.querySelector('tr[data-leafly-id="L-3004"][data-pos=SENT]') && document.getElementById('orders-error').textContent === ''`)
	if n := len(sandboxOf(t, s).sales("L-3004")); n != 1 {
		t.Errorf("L-3004 retried: %d sales, want 1", n)
	}
	tb.eval(fmt.Sprintf(`location.hash = %q`, storeID+"/integration"))
	tb.waitUntil("the disable button", `document.getElementById('disable')`)
	// The store as read after disabling is held in the page until the store
	// was renamed through the API and the tab heard of it from storeUpdated:
	// that older answer must not undo the newer name.
	tb.eval(holdStoreAnswer)
	tb.click("#disable")
	tb.waitUntil("the store's answer held and the integration off", `window.storeHeld && document.getElementById('enabled-state').textContent === 'off'`)
	s.MustDo(t, st.Admin, `mutation($in: UpdateStoreInput!) { updateStore(input: $in) { id } }`, map[string]any{"in": map[string]any{"id": storeID, "name": "Console Renamed"}})
	tb.waitUntil("the new name from storeUpdated", integrationTitle+`.includes('Console Renamed')`)
	tb.eval(`window.releaseStore = true`)
	tb.waitUntil("the held answer taken in", `window.storeTaken`)
	if title := tb.eval(integrationTitle); !strings.Contains(str(title), "Console Renamed") {
		t.Errorf("integration tab titled %v after the older answer, want the new name", title)
	}
	tb.eval(fmt.Sprintf(`location.hash = %q`, storeID+"/orders"))
	tb.waitUntil("a writable dashboard", `document.getElementById('read-only').hidden && document.querySelector('tr[data-leafly-id="L-3001"] .move-button')`)
	tb.click(`tr[data-leafly-id="L-3001"] .move-button`) // READY to PICKED_UP
	tb.waitUntil("L-3001 picked up", `document.querySelector('tr[data-leafly-id="L-3001"][data-status=PICKED_UP]')`)
	if o := st.order(t, first); o["status"] != "PICKED_UP" {
		t.Errorf("order after the dashboard's move: %v", o)
	}
	tb.eval(fmt.Sprintf(`location.hash = %q`, storeID+"/alerts"))
	tb.waitUntil("the outage in the list of alerts", `document.querySelector('#alert-list li[data-kind=PARTNER_OUTAGE]')`)
	tb.screenshot(shots, "console-alerts")
	tb.noErrors()

	// The demo store's staff: one click opens its orders; its integration
	// tab shows everything and offers nothing to press.
	demo := openConsole(t, b, s.URL)
	demo.click(`[data-role=STORE_STAFF]`)
	demo.waitUntil("the demo store's orders", `document.getElementById('order-count') && document.getElementById('store-picker').value === 'demo-store'`)
	demo.eval(`location.hash = 'demo-store/integration'`)
	demo.waitUntil("the demo store connected, read only", `document.querySelector('[data-code=OAUTH_CONNECTED].met') && document.querySelector('#panel .note')`)
	if got := demo.eval(`document.querySelectorAll('#panel button').length`); got != float64(0) {
		t.Errorf("STORE_STAFF is offered %v buttons on the integration tab, want none", got)
	}
	demo.noErrors()
}

// TestBrowserConsoleAcrossReplicas: the console against PostgreSQL with two
// replicas, each a process of its own. Signed in by pasting a token on replica B (a production start
// offers no one-click sign-in), it shows an order submitted and moved
// through replica A, live, and its own move is read back through A.
func TestBrowserConsoleAcrossReplicas(t *testing.T) {
	t.Parallel()
	b := startBrowser(t)
	env := map[string]string{"DATABASE_URL": pgtest.NewDatabase(t), "DATA_DIR": t.TempDir(), "SANDBOX": "true"}
	a := startProcess(t, env)
	addr := freeAddr(t)
	replica := startProcess(t, withEnv(env, "HTTP_ADDR", addr))
	f := newFixture(t, a)

	tb := openConsole(t, b, replica.URL)
	tb.viewport(1280, 900)
	tb.waitUntil("the sign-in form", `document.getElementById('token')`)
	if tb.eval(`!!document.querySelector('[data-role]')`) != false {
		t.Error("one-click sign-in offered on a PostgreSQL start")
	}
	tb.fill("#token", "not a token")
	tb.click(`form button[type=submit]`)
	tb.waitUntil("a sentence for a bad token", `document.querySelector('.error[role=alert]').textContent.includes('does not look like a bearer token')`)
	tb.fill("#token", f.Staff)
	tb.click(`form button[type=submit]`)
	tb.waitUntil("the orders of the token's only store", `document.getElementById('order-count')`)

	id := f.submit(t, a, "R-1")
	tb.waitUntil("the order submitted through the other replica", `document.querySelector('tr[data-leafly-id="R-1"][data-status=PENDING]')`)
	a.MustDo(t, f.Staff, `mutation($id: ID!) { setOrderStatus(id: $id, status: CONFIRMED) { id } }`, map[string]any{"id": id})
	tb.waitUntil("the move made through the other replica", `document.querySelector('tr[data-leafly-id="R-1"][data-status=CONFIRMED]')`)
	tb.click(`tr[data-leafly-id="R-1"] .move-button`)
	tb.waitUntil("the console's own move", `document.querySelector('tr[data-leafly-id="R-1"][data-status=READY]')`)
	data := a.MustDo(t, f.Staff, `query($id: ID!) { order(id: $id) { status } }`, map[string]any{"id": id})
	if got := path(data, "order", "status"); got != "READY" {
		t.Errorf("replica A reads %v, want READY", got)
	}
	tb.click(`tr[data-leafly-id="R-1"] button.link`)
	tb.waitUntil("the detail without the support trail for staff", `document.getElementById('detail-history') && !document.getElementById('detail-calls')`)
	tb.labelled("the orders tab of STORE_STAFF")

	// Replica B goes away while orders change through A; when it is back
	// on its address the console resumes from its last update, without a
	// reload.
	tb.eval(`window.notReloaded = true`)
	replica.Stop(t)
	tb.waitUntil("the console reconnecting", `document.getElementById('live').textContent === 'Reconnecting…'`)
	second := f.submit(t, a, "R-2")
	a.MustDo(t, f.Staff, `mutation($id: ID!) { setOrderStatus(id: $id, status: PICKED_UP) { id } }`, map[string]any{"id": id})
	startProcess(t, withEnv(env, "HTTP_ADDR", addr))
	tb.waitUntil("the changes missed while away", `document.querySelector('tr[data-leafly-id="R-2"][data-status=PENDING]') && document.querySelector('tr[data-leafly-id="R-1"][data-status=PICKED_UP]') && window.notReloaded`)

	tb.fill("#filter-search", "R-2")
	tb.click(`form[role=search] button[type=submit]`)
	tb.waitUntil("the search's one order", `document.querySelectorAll('#order-rows tr[data-id]').length === 1 && document.querySelector('tr[data-leafly-id="R-2"]')`)
	tb.fill("#filter-search", "")
	tb.choose("#filter-status", 6) // PICKED_UP
	tb.waitUntil("the status filter's one order", `document.querySelectorAll('#order-rows tr[data-id]').length === 1 && document.querySelector('tr[data-leafly-id="R-1"]')`)
	a.MustDo(t, f.Staff, `mutation($id: ID!) { setOrderStatus(id: $id, status: CONFIRMED) { id } }`, map[string]any{"id": second})
	tb.choose("#filter-status", 0)
	tb.waitUntil("every order again", `document.querySelectorAll('#order-rows tr[data-id]').length === 2 && document.querySelector('tr[data-leafly-id="R-2"][data-status=CONFIRMED]')`)

	for i := range 20 {
		f.submit(t, a, fmt.Sprintf("P-%02d", i))
	}
	tb.click(`form[role=search] button[type=submit]`) // reads the list again, one page
	tb.waitUntil("the first page, newest first", `document.querySelectorAll('#order-rows tr[data-id]').length === 20 && document.querySelector('#order-rows tr[data-id]').dataset.leaflyId === 'P-19' && !document.getElementById('older').hidden`)
	tb.click("#older")
	tb.waitUntil("the older orders", `document.querySelectorAll('#order-rows tr[data-id]').length === 22 && document.getElementById('older').hidden && document.querySelector('#order-rows tr:last-child').dataset.leaflyId === 'R-1'`)
	tb.noErrors()
}

// TestConsoleSignIn: the console is served on every start; one-click sign-in
// only on the embedded default, where it mints the demo store's roles; a
// production start (PostgreSQL) has no such endpoint.
func TestConsoleSignIn(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		resp, err := http.Get(s.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("GET /: %d, CSP %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
		}
		var setup struct{ SignIn, Sandbox bool }
		getJSON(t, s.URL+"/console/setup", &setup)
		embedded := db.name == "sqlite"
		if setup.SignIn != embedded || !setup.Sandbox {
			t.Errorf("setup %+v, want signIn %v and the sandbox", setup, embedded)
		}
		status, body := post(t, s, "/console/sign-in", `{"role": "STORE_MANAGER"}`, jsonBody)
		if !embedded {
			if status != http.StatusNotFound {
				t.Errorf("sign-in on a PostgreSQL start: %d %s, want 404", status, body)
			}
			return
		}
		var out struct{ Token string }
		if err := json.Unmarshal([]byte(body), &out); err != nil || status != http.StatusOK {
			t.Fatalf("sign-in: %d %s", status, body)
		}
		p, err := s.tokens.Verify("Bearer " + out.Token)
		if err != nil || p.Role != domain.RoleStoreManager || len(p.Stores) != 1 || p.Stores[0] != demoStoreID {
			t.Errorf("minted %+v (%v), want a STORE_MANAGER of %s", p, err, demoStoreID)
		}
		for _, bad := range []string{`{"role": "MARKETPLACE"}`, `{"role": "ROOT"}`, `not json`} {
			if status, body := post(t, s, "/console/sign-in", bad, jsonBody); status != http.StatusBadRequest || !strings.Contains(body, "error") {
				t.Errorf("sign-in with %s: %d %s, want 400 with an error", bad, status, body)
			}
		}
	})
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %d: %v", u, resp.StatusCode, err)
	}
}

// holdRetryAnswer makes the page's fetch hold the answer of L-3004's
// retryOrderSync until the dashboard has shown the order QUEUED and then
// NOT_SENT from its subscription (for at most 30 s). window.retryAnswer
// says, once the page has taken the answer in, whether it was held past
// NOT_SENT.
const holdRetryAnswer = `(() => {
	const states = [];
	new MutationObserver(() => {
		const row = document.querySelector('tr[data-leafly-id="L-3004"]');
		if (row && states[states.length - 1] !== row.dataset.pos) states.push(row.dataset.pos);
	}).observe(document.getElementById('order-rows'), { childList: true });
	const passed = () => { const q = states.indexOf('QUEUED'); return q >= 0 && states.indexOf('NOT_SENT', q) > q; };
	const real = window.fetch;
	window.fetch = async (url, init) => {
		const res = await real(url, init);
		if (!String(init && init.body).includes('retryOrderSync')) return res;
		const until = Date.now() + 30000;
		while (!passed() && Date.now() < until) await new Promise((ok) => setTimeout(ok, 20));
		const outcome = passed() ? 'held past NOT_SENT' : 'released after 30 s: ' + states.join(' ');
		const json = res.json.bind(res);
		res.json = () => json().then((v) => { setTimeout(() => { window.retryAnswer = outcome; }); return v; });
		return res;
	};
})()`

// integrationTitle is the integration tab's heading, which names the store.
const integrationTitle = `[...document.querySelectorAll('h1')].find((e) => e.textContent.startsWith('Integration')).textContent`

// holdStoreAnswer makes the page's fetch hold the answer of its next store
// query (the integration tab's refresh) until window.releaseStore is set
// (for at most 30 s). window.storeHeld says the answer is held,
// window.storeTaken that the page has taken it in.
const holdStoreAnswer = `(() => {
	const real = window.fetch;
	window.fetch = async (url, init) => {
		const res = await real(url, init);
		if (window.storeHeld || !String(init && init.body).includes('store(id:')) return res;
		window.storeHeld = true;
		const until = Date.now() + 30000;
		while (!window.releaseStore && Date.now() < until) await new Promise((ok) => setTimeout(ok, 20));
		const json = res.json.bind(res);
		res.json = () => json().then((v) => { setTimeout(() => { window.storeTaken = true; }); return v; });
		return res;
	};
})()`

// openConsole opens the console of the service at base in a new tab; when
// the test fails, it logs the page's error sentences.
func openConsole(t *testing.T, b *browser, base string) *tab {
	t.Helper()
	tb := b.open(t, base+"/")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the page at %s shows: %v", tb.eval(`location.href`), tb.eval(`[...document.querySelectorAll('.error')].map((e) => e.textContent).join(' | ')`))
		}
	})
	return tb
}

var jsonBody = map[string]string{"Content-Type": "application/json"}

// screenshotDir is where a test keeps its screenshots: CONSOLE_SCREENSHOTS,
// else a temporary directory.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("CONSOLE_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// viewport sets the page's size in CSS pixels.
func (tb *tab) viewport(width, height int) {
	tb.t.Helper()
	tb.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
}

// screenshot saves the whole page as dir/name.png: the viewport is made as
// tall as the page for the shot (so the page is laid out at its width,
// without a scrollbar), then restored.
func (tb *tab) screenshot(dir, name string) {
	tb.t.Helper()
	tb.call("Page.bringToFront", nil) // a tab in the background paints nothing
	size := tb.eval(`[window.innerWidth, window.innerHeight, document.documentElement.scrollHeight]`).([]any)
	width, height, page := int(size[0].(float64)), int(size[1].(float64)), int(size[2].(float64))
	tb.viewport(width, max(height, page))
	defer tb.viewport(width, height)
	var shot struct{ Data string }
	if err := json.Unmarshal(tb.call("Page.captureScreenshot", map[string]any{"format": "png"}), &shot); err != nil {
		tb.t.Fatal(err)
	}
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		tb.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

// click clicks the element selector names, as a user's gesture.
func (tb *tab) click(selector string) {
	tb.t.Helper()
	tb.waitUntil("an enabled "+selector, fmt.Sprintf(`(() => { const el = document.querySelector(%q); return el && !el.disabled && el; })()`, selector))
	tb.eval(fmt.Sprintf(`document.querySelector(%q).click()`, selector))
}

// fill types value into the field selector names.
func (tb *tab) fill(selector, value string) {
	tb.t.Helper()
	tb.waitUntil(selector, fmt.Sprintf(`document.querySelector(%q)`, selector))
	tb.eval(fmt.Sprintf(`(() => { const el = document.querySelector(%q); el.focus(); el.value = %q;
		el.dispatchEvent(new Event('input', { bubbles: true })); el.dispatchEvent(new Event('change', { bubbles: true })); })()`, selector, value))
}

// choose picks the index-th option of the select selector names.
func (tb *tab) choose(selector string, index int) {
	tb.t.Helper()
	tb.eval(fmt.Sprintf(`(() => { const el = document.querySelector(%q); el.selectedIndex = %d;
		el.dispatchEvent(new Event('change', { bubbles: true })); })()`, selector, index))
}

// labelled fails the test on a control of the page without an accessible
// name: a label, aria-label, aria-labelledby, or a button's text.
func (tb *tab) labelled(page string) {
	tb.t.Helper()
	unnamed := tb.eval(`[...document.querySelectorAll('input, select, textarea, button, [role=switch], [role=tab]')].filter((el) =>
		!(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby') && !el.textContent.trim())
		.map((el) => el.outerHTML.slice(0, 120))`).([]any)
	for _, el := range unnamed {
		tb.t.Errorf("%s: a control without a name: %v", page, el)
	}
}

// noErrors fails the test on an uncaught error or a failed load in the
// page, the Content Security Policy's refusals included.
func (tb *tab) noErrors() {
	tb.t.Helper()
	for _, l := range tb.logs {
		if strings.HasPrefix(l, "uncaught:") || strings.Contains(l, "Content Security Policy") {
			tb.t.Errorf("page: %s", l)
		}
	}
}
