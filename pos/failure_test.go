package pos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/leafly/lightspeed-orders/domain"
	lssync "github.com/leafly/lightspeed-orders/sync"
)

// TestFailureWording checks what each kind of failed Lightspeed call says in
// each place people see it: a request's error, the order's posSync, the menu
// sync's lastError and the store's health.
func TestFailureWording(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		err     error
		code    domain.Code
		request string
		pos     domain.PosErrorCode
		order   string
		menu    string
		health  domain.IntegrationHealth
	}{
		{
			name: "Outage", err: &lssync.Error{Kind: lssync.KindOutage, Status: 503, Message: "Service temporarily unavailable."},
			code: domain.CodeLightspeedUnavailable, request: "Lightspeed is having problems right now: Service temporarily unavailable; try again in a few minutes.",
			pos: domain.PosErrOutage, order: "Lightspeed is having problems right now: Service temporarily unavailable.",
			menu:   "Lightspeed is having problems right now: Service temporarily unavailable; the sync will be retried.",
			health: domain.HealthPartnerOutage,
		},
		{
			name: "OutageNoAnswer", err: &lssync.Error{Kind: lssync.KindOutage, Err: io.ErrUnexpectedEOF},
			code: domain.CodeLightspeedUnavailable, request: "Lightspeed is having problems right now; try again in a few minutes.",
			pos: domain.PosErrOutage, order: "Lightspeed is having problems right now.",
			menu:   "Lightspeed is having problems right now; the sync will be retried.",
			health: domain.HealthPartnerOutage,
		},
		{
			name: "Credential", err: &lssync.Error{Kind: lssync.KindCredential, Status: 401, Message: "invalid_token"},
			code: domain.CodeLightspeedUnavailable, request: "Lightspeed refused the store's credentials: reconnect the store's Lightspeed account.",
			pos: domain.PosErrCredentials, order: "Lightspeed refused the store's credentials: reconnect the store's Lightspeed account.",
			menu:   "Lightspeed refused the store's credentials: reconnect the store's Lightspeed account.",
			health: domain.HealthCredentialsInvalid,
		},
		{
			name: "RateLimited", err: &lssync.Error{Kind: lssync.KindRateLimited, Status: 429},
			code: domain.CodeLightspeedUnavailable, request: "Lightspeed's rate limit for this account was reached; try again in a few minutes.",
			pos: domain.PosErrRateLimited, order: "Lightspeed's rate limit for this account was reached.",
			menu: "Lightspeed's rate limit for this account was reached; the sync will be retried.",
		},
		{
			name: "Reserved", err: fmt.Errorf("list outlets: %w", lssync.ErrReserved),
			code: domain.CodeLightspeedUnavailable, request: "The rest of this Lightspeed account's rate limit is kept for sending orders right now; try again in a minute.",
			pos: domain.PosErrRateLimited, order: "The rest of this Lightspeed account's rate limit is kept for sending orders right now.",
			menu: "The rest of this Lightspeed account's rate limit is kept for sending orders right now; the sync will be retried.",
		},
		{
			name: "Rejected", err: &lssync.Error{Kind: lssync.KindRejected, Status: 422, Message: "register_id: unknown register"},
			code: domain.CodeBadUserInput, request: "Lightspeed refused the request: register_id: unknown register.",
			pos: domain.PosErrRejected, order: "Lightspeed refused the request: register_id: unknown register.",
			menu: "Lightspeed refused the request: register_id: unknown register.",
		},
		{
			name: "NotFound", err: &lssync.Error{Kind: lssync.KindNotFound, Status: 404},
			code: domain.CodeBadUserInput, request: "Lightspeed refused the request.",
			pos: domain.PosErrRejected, order: "Lightspeed refused the request.",
			menu: "Lightspeed refused the request.",
		},
		{
			name: "NotLightspeeds", err: context.DeadlineExceeded,
			code: domain.CodeInternal, request: context.DeadlineExceeded.Error(),
			pos: domain.PosErrOutage, order: "Leafly ran into an internal error.",
			menu: "Leafly ran into an internal error; the sync will be retried.",
		},
		{
			name: "Ours", err: fmt.Errorf("save menu: %w", domain.Errorf(domain.CodeBadUserInput, "The outlet is gone.")),
			code: domain.CodeBadUserInput, request: "The outlet is gone.",
			pos: domain.PosErrOutage, order: "Leafly ran into an internal error.",
			menu: "The outlet is gone.",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := lightspeedError(c.err)
			msg := err.Error()
			if e := (*domain.Error)(nil); errors.As(err, &e) {
				msg = e.Message
			}
			if code := domain.ErrorCode(err); code != c.code || msg != c.request {
				t.Errorf("request error %s %q, want %s %q", code, msg, c.code, c.request)
			}
			if pos, msg := posError(c.err); pos != c.pos || msg != c.order {
				t.Errorf("order record %s %q, want %s %q", pos, msg, c.pos, c.order)
			}
			if msg := menuSyncError(c.err); msg != c.menu {
				t.Errorf("menu sync error %q, want %q", msg, c.menu)
			}
			if h := failureOf(c.err).health; h != c.health {
				t.Errorf("health %q, want %q", h, c.health)
			}
		})
	}
}
