package notify

import (
	"context"
	"log/slog"
)

// Log is the Notifier of the embedded default: it writes each message to a
// logger, so a developer sees what would have been sent.
type Log struct {
	logger *slog.Logger
}

var _ Notifier = (*Log)(nil)

// NewLog returns a Log writing to logger (slog.Default() when nil).
func NewLog(logger *slog.Logger) *Log {
	if logger == nil {
		logger = slog.Default()
	}
	return &Log{logger: logger}
}

// Notify logs m at info level. It never fails.
func (l *Log) Notify(ctx context.Context, m Message) error {
	l.logger.InfoContext(ctx, "notification",
		slog.String("id", m.ID),
		slog.String("kind", m.Kind),
		slog.Any("to", m.To),
		slog.String("subject", m.Subject),
		slog.String("text", m.Text),
		slog.Any("data", m.Data),
	)
	return nil
}
