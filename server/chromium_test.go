//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// browserTimeout bounds each wait on the browser: its start, a page load,
// a script's answer.
const browserTimeout = 60 * time.Second

// browser is a headless Chromium driven over the DevTools protocol.
type browser struct {
	// debug is the DevTools HTTP address, http://127.0.0.1:port.
	debug string
}

// startBrowser starts a headless Chromium for t, which ends it. Without
// Chromium the test is skipped, or fails under CI=1: the browser tests
// must not vanish from CI unnoticed.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	bin := chromiumBinary()
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed (apt-get install -y chromium); CI must run the browser tests")
		}
		t.Skip("chromium is not installed (apt-get install -y chromium): browser test skipped")
	}
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--no-default-browser-check", "--disable-extensions",
		"--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
		"--user-data-dir="+t.TempDir(), "about:blank")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its helpers end with it
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	out := &lockedBuffer{}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("chromium output:\n%s", out)
		}
	})
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if !strings.Contains(sc.Text(), "dbus") { // it finds no desktop bus, and says so often
				out.WriteLine(sc.Text())
			}
			if ws, ok := strings.CutPrefix(sc.Text(), "DevTools listening on "); ok {
				listening <- ws
			}
		}
	}()
	select {
	case ws := <-listening:
		u, err := url.Parse(ws)
		if err != nil {
			t.Fatalf("DevTools address %q: %v", ws, err)
		}
		return &browser{debug: "http://" + u.Host}
	case <-time.After(browserTimeout):
		t.Fatalf("chromium did not start within %s:\n%s", browserTimeout, out)
		return nil
	}
}

// chromiumBinary is the path of Chromium (or Chrome), "" when none is installed.
func chromiumBinary() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// open opens a tab on pageURL, waits for the page to load and closes the
// tab when t ends.
func (b *browser) open(t *testing.T, pageURL string) *tab {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, b.debug+"/json/new?about:blank", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("new tab: %v", err)
	}
	defer resp.Body.Close()
	var target struct{ ID, WebSocketDebuggerURL string }
	if err := json.NewDecoder(resp.Body).Decode(&target); err != nil {
		t.Fatalf("new tab: status %d: %v", resp.StatusCode, err)
	}
	conn, _, err := websocket.DefaultDialer.Dial(target.WebSocketDebuggerURL, nil)
	if err != nil {
		t.Fatalf("connect to tab: %v", err)
	}
	conn.SetReadLimit(64 << 20)
	tb := &tab{t: t, conn: conn, seen: map[string]bool{}}
	t.Cleanup(func() {
		conn.Close()
		if resp, err := http.Get(b.debug + "/json/close/" + target.ID); err == nil {
			resp.Body.Close()
		}
	})
	tb.call("Log.enable", nil)
	tb.call("Runtime.enable", nil)
	tb.call("Page.enable", nil)
	tb.call("Page.navigate", map[string]any{"url": pageURL})
	tb.waitEvent("Page.loadEventFired")
	return tb
}

// tab is one page of the browser. Its console, log and uncaught errors are
// kept in logs.
type tab struct {
	t    *testing.T
	conn *websocket.Conn
	next int
	seen map[string]bool
	logs []string
}

// message is a DevTools protocol message: an answer (ID set) or an event.
type message struct {
	ID     int
	Method string
	Params json.RawMessage
	Result json.RawMessage
	Error  *struct{ Message string }
}

// call sends a command and returns its result.
func (tb *tab) call(method string, params any) json.RawMessage {
	tb.t.Helper()
	tb.next++
	id := tb.next
	if err := tb.conn.WriteJSON(map[string]any{"id": id, "method": method, "params": params}); err != nil {
		tb.t.Fatalf("%s: %v", method, err)
	}
	for {
		m := tb.read(method)
		if m.ID != id {
			continue
		}
		if m.Error != nil {
			tb.t.Fatalf("%s: %s", method, m.Error.Message)
		}
		return m.Result
	}
}

// waitEvent waits for an event named method, seen already or to come.
func (tb *tab) waitEvent(method string) {
	tb.t.Helper()
	for !tb.seen[method] {
		tb.read(method)
	}
}

// waitLog waits for a log line that contains text, logged already or to come.
func (tb *tab) waitLog(text string) {
	tb.t.Helper()
	for i := 0; ; i++ {
		for ; i < len(tb.logs); i++ {
			if strings.Contains(tb.logs[i], text) {
				return
			}
		}
		tb.read("a log line with " + text)
	}
}

// read reads the next message within browserTimeout, noting events.
func (tb *tab) read(what string) message {
	tb.t.Helper()
	_ = tb.conn.SetReadDeadline(time.Now().Add(browserTimeout))
	var m message
	if err := tb.conn.ReadJSON(&m); err != nil {
		tb.t.Fatalf("waiting for %s: %v\nbrowser logs:\n%s", what, err, strings.Join(tb.logs, "\n"))
	}
	if m.Method != "" {
		tb.seen[m.Method] = true
		if line := logLine(m); line != "" {
			tb.logs = append(tb.logs, line)
		}
	}
	return m
}

// logLine is the text of a log, console or exception event, "" for others.
func logLine(m message) string {
	var p struct {
		Entry            struct{ Level, Text string }
		Type             string
		Args             []struct{ Value any }
		ExceptionDetails struct {
			Text      string
			Exception struct{ Description string }
		}
	}
	_ = json.Unmarshal(m.Params, &p)
	switch m.Method {
	case "Log.entryAdded":
		return p.Entry.Level + ": " + p.Entry.Text
	case "Runtime.consoleAPICalled":
		var args []string
		for _, a := range p.Args {
			args = append(args, fmt.Sprint(a.Value))
		}
		return "console." + p.Type + ": " + strings.Join(args, " ")
	case "Runtime.exceptionThrown":
		return "uncaught: " + p.ExceptionDetails.Text + " " + p.ExceptionDetails.Exception.Description
	}
	return ""
}

// eval runs a script in the page and returns its value, awaiting it when it
// is a promise.
func (tb *tab) eval(script string) any {
	tb.t.Helper()
	raw := tb.call("Runtime.evaluate", map[string]any{"expression": script, "awaitPromise": true, "returnByValue": true, "userGesture": true})
	var r struct {
		Result           struct{ Value any }
		ExceptionDetails *struct {
			Text      string
			Exception struct{ Description string }
		}
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		tb.t.Fatal(err)
	}
	if e := r.ExceptionDetails; e != nil {
		tb.t.Fatalf("script failed: %s %s\n%s", e.Text, e.Exception.Description, script)
	}
	return r.Result.Value
}

// waitUntil waits until a JavaScript expression is truthy in the page and
// returns its value; the page checks it every 20 ms, for a little less than
// browserTimeout.
func (tb *tab) waitUntil(what, expr string) any {
	tb.t.Helper()
	v := tb.eval(fmt.Sprintf(`new Promise((resolve) => {
		const until = Date.now() + %d;
		const check = () => {
			let v;
			try { v = (%s); } catch (e) { v = undefined; }
			if (v || Date.now() > until) { resolve(v || null); } else { setTimeout(check, 20); }
		};
		check();
	})`, (browserTimeout - 5*time.Second).Milliseconds(), expr))
	if v == nil {
		tb.t.Fatalf("timed out waiting for %s (%s)\nbrowser logs:\n%s", what, expr, strings.Join(tb.logs, "\n"))
	}
	return v
}
