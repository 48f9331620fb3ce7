package sync_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	lssync "github.com/leafly/lightspeed-orders/sync"
)

func TestErrorClassification(t *testing.T) {
	retryDate := t0.Add(90 * time.Second)
	cases := []struct {
		name     string
		handler  http.HandlerFunc
		kind     lssync.ErrorKind
		status   int
		message  string
		retry    time.Time
		conflict bool
	}{
		{name: "401", handler: jsonHandler(401, `{"error":"Access token is not valid"}`),
			kind: lssync.KindCredential, status: 401, message: "Access token is not valid"},
		{name: "403", handler: jsonHandler(403, `{"error":"permission denied"}`),
			kind: lssync.KindCredential, status: 403, message: "permission denied"},
		{name: "404", handler: jsonHandler(404, `{"error":"webhook not found"}`),
			kind: lssync.KindNotFound, status: 404, message: "webhook not found"},
		{name: "409", handler: jsonHandler(409, `{"error":"A webhook with this type and URL already exists."}`),
			kind: lssync.KindRejected, status: 409, message: "A webhook with this type and URL already exists.", conflict: true},
		{name: "400ErrorString", handler: jsonHandler(400, `{"error":"Invalid URL"}`),
			kind: lssync.KindRejected, status: 400, message: "Invalid URL"},
		{name: "400ErrorObject", handler: jsonHandler(400, `{"error":{"code":4001,"message":"type is invalid"}}`),
			kind: lssync.KindRejected, status: 400, message: "type is invalid"},
		{name: "422Message", handler: jsonHandler(422, `{"message":"insufficient balance"}`),
			kind: lssync.KindRejected, status: 422, message: "insufficient balance"},
		{name: "410", handler: jsonHandler(410, `{"error":"Gone"}`), kind: lssync.KindOutage, status: 410, message: "Gone"},
		{name: "429HTTPDate", handler: jsonHandler(429, `{"error":"Too Many Requests","message":"Rate limiting enforced"}`,
			"Retry-After", retryDate.Format(http.TimeFormat), "Date", t0.Format(http.TimeFormat)),
			kind: lssync.KindRateLimited, status: 429, message: "Too Many Requests: Rate limiting enforced", retry: retryDate},
		// Lightspeed's clock an hour behind ours: the pause is still 90s.
		{name: "429HTTPDateSkewed", handler: jsonHandler(429, `{"error":"Too Many Requests"}`,
			"Retry-After", retryDate.Add(-time.Hour).Format(http.TimeFormat), "Date", t0.Add(-time.Hour).Format(http.TimeFormat)),
			kind: lssync.KindRateLimited, status: 429, message: "Too Many Requests", retry: retryDate},
		{name: "429Seconds", handler: jsonHandler(429, `{"error":"Too Many Requests"}`, "Retry-After", "120"),
			kind: lssync.KindRateLimited, status: 429, message: "Too Many Requests", retry: t0.Add(120 * time.Second)},
		{name: "429NoRetryAfter", handler: jsonHandler(429, `{"error":"Too Many Requests"}`),
			kind: lssync.KindRateLimited, status: 429, message: "Too Many Requests", retry: t0.Add(60 * time.Second)},
		{name: "500", handler: jsonHandler(500, `{"error":"internal error"}`), kind: lssync.KindOutage, status: 500, message: "internal error"},
		{name: "503HTML", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(503)
			_, _ = w.Write([]byte("<html>maintenance</html>"))
		}, kind: lssync.KindOutage, status: 503},
		{name: "200NotJSON", handler: func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte("<html>maintenance</html>"))
		}, kind: lssync.KindOutage, status: 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			c := mustClient(t, srv, newFakeClock())
			_, err := c.CreateWebhook(background(t), target, lssync.WebhookRequest{URL: "https://x.test/h", Active: true, Type: lssync.WebhookSaleUpdate})
			e := mustKind(t, err, tc.kind)
			if e.Status != tc.status || e.Message != tc.message || !e.RetryAfter.Equal(tc.retry) || e.Op != "create webhook sale.update" {
				t.Errorf("error = %+v, want status %d, message %q, retry %v", e, tc.status, tc.message, tc.retry)
			}
			if got := lssync.IsConflict(err); got != tc.conflict {
				t.Errorf("IsConflict = %v, want %v", got, tc.conflict)
			}
			checks := map[lssync.ErrorKind]func(error) bool{lssync.KindCredential: lssync.IsCredential, lssync.KindOutage: lssync.IsOutage,
				lssync.KindRateLimited: lssync.IsRateLimited, lssync.KindRejected: lssync.IsRejected, lssync.KindNotFound: lssync.IsNotFound}
			for kind, is := range checks {
				if is(err) != (kind == tc.kind) {
					t.Errorf("Is%v(err) = %v", kind, is(err))
				}
			}
		})
	}
}

func TestErrorTransport(t *testing.T) {
	t.Run("Timeout", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
		defer srv.Close()
		c := mustClient(t, srv, newFakeClock(), func(cfg *lssync.Config) {
			cfg.HTTPClient = &http.Client{Timeout: 50 * time.Millisecond}
		})
		_, err := c.GetSale(background(t), target, saleID)
		e := mustKind(t, err, lssync.KindOutage)
		var ne net.Error
		if e.Status != 0 || !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("err = %v, want a client timeout", err)
		}
	})
	t.Run("ConnectionRefused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		c := lssync.NewClient(lssync.Config{APIURL: "http://" + addr, Clock: newFakeClock()})
		_, err = c.GetSale(background(t), target, saleID)
		mustKind(t, err, lssync.KindOutage)
	})
	t.Run("Canceled", func(t *testing.T) {
		arrived := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(arrived)
			<-r.Context().Done()
		}))
		defer srv.Close()
		c := mustClient(t, srv, newFakeClock())
		ctx, cancel := context.WithCancel(background(t))
		go func() { <-arrived; cancel() }()
		_, err := c.GetSale(ctx, target, saleID)
		if !errors.Is(err, context.Canceled) || lssync.KindOf(err) != lssync.KindUnknown || lssync.IsOutage(err) {
			t.Fatalf("err = %v (kind %v), want context.Canceled, unclassified", err, lssync.KindOf(err))
		}
	})
	t.Run("CallerDeadline", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
		defer srv.Close()
		c := mustClient(t, srv, newFakeClock())
		ctx, cancel := context.WithTimeout(background(t), 50*time.Millisecond)
		defer cancel()
		_, err := c.GetSale(ctx, target, saleID)
		if !errors.Is(err, context.DeadlineExceeded) || lssync.IsOutage(err) {
			t.Fatalf("err = %v, want the caller's deadline, unclassified", err)
		}
	})
}

func TestErrorText(t *testing.T) {
	cases := []struct {
		err  *lssync.Error
		want string
	}{
		{&lssync.Error{Kind: lssync.KindRejected, Status: 400, Message: "Invalid product", Op: "create sale 1"},
			"create sale 1: lightspeed rejected (400): Invalid product"},
		{&lssync.Error{Kind: lssync.KindOutage, Status: 502, Op: "get sale 1"}, "get sale 1: lightspeed outage (502): Bad Gateway"},
		{&lssync.Error{Kind: lssync.KindOutage, Op: "get sale 1", Err: errors.New("dial tcp: refused")},
			"get sale 1: lightspeed outage: dial tcp: refused"},
	}
	for _, tc := range cases {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	wrapped := errors.Join(errors.New("push order"), &lssync.Error{Kind: lssync.KindNotFound})
	if lssync.KindOf(wrapped) != lssync.KindNotFound || lssync.KindOf(errors.New("x")) != lssync.KindUnknown {
		t.Error("KindOf does not look through wrapping")
	}
}
