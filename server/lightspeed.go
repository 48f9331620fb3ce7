package main

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/leafly/lightspeed-orders/app"
	"github.com/leafly/lightspeed-orders/auth"
	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/pos"
	"github.com/leafly/lightspeed-orders/sandbox"
	"github.com/leafly/lightspeed-orders/storage"
	lssync "github.com/leafly/lightspeed-orders/sync"
)

// userAgent identifies the service to Lightspeed.
const userAgent = "Leafly-Lightspeed-Orders/1.0 (+https://www.leafly.com)"

// sharedGateEvery is how often a replica reads a retailer's shared
// rate-limit pause, instead of before every Lightspeed call: a pause another
// replica records reaches it at most this late (its own apply at once).
const sharedGateEvery = time.Second

// newLightspeedClient returns the X-Series client, pacing requests per
// retailer and sharing rate-limit pauses with the other replicas.
func newLightspeedClient(cfg config, db *storage.DB, m *metrics, log *slog.Logger, onCall func(context.Context, lssync.Call)) *lssync.Client {
	opts := lssync.LimiterOptions{OnSharedError: func(err error) { log.Warn("shared rate-limit state unavailable", "err", err) }}
	if db.Postgres() {
		// Replicas share pauses through the database. The embedded database
		// serves one process, whose own limiter knows them all, and holds
		// one connection that a transaction calling Lightspeed may be using.
		opts.Shared, opts.SharedEvery = db, sharedGateEvery
	}
	limiter := lssync.NewLimiter(opts)
	m.watchBudgets(limiter.Budgets)
	return lssync.NewClient(lssync.Config{
		APIURL: cfg.LightspeedAPIURL, APIVersion: cfg.LightspeedAPIVersion, ClientID: cfg.LightspeedClientID,
		ClientSecret: cfg.LightspeedClientSecret, UserAgent: userAgent, Limiter: limiter,
		HTTPClient: &http.Client{Timeout: cfg.LightspeedTimeout},
		OnCall: func(ctx context.Context, c lssync.Call) {
			m.observeLightspeed(c)
			onCall(ctx, c)
		},
	})
}

// newSandbox returns the built-in Lightspeed sandbox with its demo retailer.
func newSandbox(log *slog.Logger) *sandbox.Sandbox {
	sb := sandbox.New(sandbox.Options{ClientID: sandboxClientID, ClientSecret: sandboxClientSecret, Logger: log.With("component", "sandbox")})
	sb.SeedDemo()
	return sb
}

// demoStoreID is the store the sandbox demo sets up.
const demoStoreID = "demo-store"

// setUpDemo makes sure the demo store exists and connects it to the sandbox
// by OAuth (the sandbox keeps no tokens across restarts), then syncs its menu.
func (s *service) setUpDemo(ctx context.Context) {
	ctx = auth.WithPrincipal(ctx, domain.Principal{Subject: "demo-setup", Role: domain.RoleAdmin})
	err := s.db.CreateStore(ctx, &domain.Store{ID: demoStoreID, Name: "Demo Dispensary", TimeZone: "America/Los_Angeles",
		PickupEnabled: true, DeliveryEnabled: true, AdvertisingSubscriptionActive: true,
		Integration: domain.Integration{Health: domain.HealthHealthy}, CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()})
	if err != nil {
		if _, serr := s.db.Store(ctx, demoStoreID); serr != nil {
			s.log.Error("demo store", "err", err)
			return
		}
	}
	if err := s.connectDemo(ctx); err != nil {
		s.log.Error("demo store: connect to the sandbox", "err", err)
		return
	}
	if _, err := s.app.SyncMenu(ctx, demoStoreID); err != nil {
		s.log.Error("demo store: menu sync", "err", err)
		return
	}
	s.log.Info("demo store ready: connected to the sandbox by OAuth, menu synced", "store", demoStoreID)
}

// connectDemo runs the OAuth flow a manager would, with the sandbox's
// auto-approving consent page standing in for the browser.
func (s *service) connectDemo(ctx context.Context) error {
	consent, err := s.app.StartOAuth(ctx, demoStoreID)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, consent, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("oauth callback answered %s", resp.Status)
	}
	return nil
}

var callbackPage = template.Must(template.New("callback").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} · Leafly</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}</style>
</head><body><h1>{{.Title}}</h1><p>{{.Message}}</p><p>You can close this window and return to Leafly Biz.</p></body></html>
`))

// oauthCallback completes a Lightspeed connection and tells the manager, in
// a small page, whether it worked.
func oauthCallback(a *app.App, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		store, err := a.CompleteOAuth(r.Context(), r.URL.Query())
		page := struct{ Title, Message string }{"Lightspeed connected", ""}
		status := http.StatusOK
		var oe *pos.OAuthError
		switch {
		case err == nil:
			page.Message = fmt.Sprintf("%s is now connected to Lightspeed (%s) with OAuth. Its menu is syncing.", store.Name, store.Integration.Connection.DomainPrefix)
		case errors.As(err, &oe):
			page.Title, page.Message, status = "Lightspeed not connected", oe.Message, http.StatusBadRequest
		default:
			log.ErrorContext(r.Context(), "oauth callback", "err", err)
			page.Title, page.Message, status = "Lightspeed not connected", "Something went wrong on our side; please try again.", http.StatusInternalServerError
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_ = callbackPage.Execute(w, page)
	}
}

// webhookReceiver accepts Lightspeed's webhooks at /webhooks/lightspeed/{token}:
// it answers once the event is kept and its processing queued, and its sale
// applied when that takes at most a couple of seconds, well within
// Lightspeed's 5 seconds.
func webhookReceiver(a *app.App, m *metrics, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
		kept := false
		if err == nil {
			kept, err = a.ReceiveWebhook(r.Context(), r.PathValue("token"), body, r.Header.Get("X-Signature"))
		}
		status, outcome := http.StatusOK, "accepted"
		switch {
		case err == nil && !kept:
			outcome = "ignored"
		case err == nil:
		case errors.Is(err, pos.ErrUnknownConnection):
			status, outcome = http.StatusNotFound, "unknown_connection"
		case errors.Is(err, pos.ErrBadSignature):
			status, outcome = http.StatusUnauthorized, "bad_signature"
		case errors.Is(err, pos.ErrMalformedWebhook):
			status, outcome = http.StatusBadRequest, "malformed"
		default:
			var tooBig *http.MaxBytesError
			switch {
			case errors.As(err, &tooBig):
				status, outcome = http.StatusRequestEntityTooLarge, "too_large"
			case errors.Is(err, os.ErrDeadlineExceeded):
				status, outcome = http.StatusRequestTimeout, "too_slow"
			default:
				status, outcome = http.StatusInternalServerError, "error"
			}
		}
		m.webhooks.WithLabelValues(outcome).Inc()
		if status != http.StatusOK {
			log.WarnContext(r.Context(), "lightspeed webhook refused", "outcome", outcome, "status", status, "err", err)
		}
		w.WriteHeader(status)
	}
}

// logPath is a request's path as logged: a webhook's token, which lets
// whoever holds it post as Lightspeed for its connection, is left out.
func logPath(p string) string {
	if strings.HasPrefix(p, pos.WebhookPath) {
		return pos.WebhookPath + "…"
	}
	return p
}
