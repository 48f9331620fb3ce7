package jobs

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

// TestRiverLogsRoutineWorkAtDebug checks River's INFO lines reach the log
// at DEBUG (and not at all at INFO), while its warnings keep their level.
func TestRiverLogsRoutineWorkAtDebug(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		t.Run(level.String(), func(t *testing.T) {
			var out bytes.Buffer
			log := quiet(slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: level})))
			log.With("component", "river").Info("periodic job enqueuer: inserted jobs", "num", 1)
			log.Warn("producer: queue paused")
			var levels []string
			for line := range strings.Lines(out.String()) {
				var rec struct{ Level, Msg, Component string }
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Fatalf("log line %q: %v", line, err)
				}
				levels = append(levels, rec.Level+" "+rec.Msg)
			}
			want := []string{"WARN producer: queue paused"}
			if level == slog.LevelDebug {
				want = append([]string{"DEBUG periodic job enqueuer: inserted jobs"}, want...)
			}
			if strings.Join(levels, "|") != strings.Join(want, "|") {
				t.Errorf("logged %q, want %q", levels, want)
			}
		})
	}
}
