package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/leafly/lightspeed-orders/domain"
)

func TestErrorPresenterCancelledCaller(t *testing.T) {
	var logs bytes.Buffer
	present := ErrorPresenter(slog.New(slog.NewTextHandler(&logs, nil)), func(context.Context) string { return "req-1" })
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	err := fmt.Errorf("load store: %w", context.Canceled)

	e := present(cancelled, err)
	if e.Extensions["code"] != "INTERNAL" || strings.Contains(e.Message, "req-1") {
		t.Errorf("cancelled caller: %q %v", e.Message, e.Extensions)
	}
	if logs.Len() != 0 {
		t.Errorf("a caller that went away was logged as an error:\n%s", &logs)
	}

	// The same error while the caller is still there is ours: logged.
	e = present(context.Background(), err)
	if e.Extensions["code"] != "INTERNAL" || !strings.Contains(logs.String(), "level=ERROR") || !errors.Is(e.Err, context.Canceled) {
		t.Errorf("internal cancellation: %q %v, log %q", e.Message, e.Extensions, &logs)
	}
}

// TestErrorPresenterLines: the wrong lines of a refused submitOrder reach
// the caller as extensions.lines, with both prices for a price.
func TestErrorPresenterLines(t *testing.T) {
	present := ErrorPresenter(slog.New(slog.DiscardHandler), func(context.Context) string { return "req-1" })
	sent, menu := int64(1), int64(3500)
	err := &domain.Error{Code: domain.CodeBadUserInput, Message: "wrong lines", Lines: []domain.LineError{
		{Index: 0, MenuItemID: "m-1", Field: "unitPriceCents", Message: "price", SentCents: &sent, MenuPriceCents: &menu},
		{Index: 2, MenuItemID: "nope", Field: "menuItemId", Message: "not on the menu"},
	}}
	e := present(context.Background(), fmt.Errorf("submit: %w", err))
	want := []map[string]any{
		{"index": 0, "menuItemId": "m-1", "field": "unitPriceCents", "message": "price", "sentCents": int64(1), "menuPriceCents": int64(3500)},
		{"index": 2, "menuItemId": "nope", "field": "menuItemId", "message": "not on the menu"},
	}
	if e.Extensions["code"] != "BAD_USER_INPUT" || e.Message != "wrong lines" || !reflect.DeepEqual(e.Extensions["lines"], want) {
		t.Errorf("got %q %v, want BAD_USER_INPUT, the message and lines %v", e.Message, e.Extensions, want)
	}
}
