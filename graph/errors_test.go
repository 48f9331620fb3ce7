package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
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
