// Command server runs the Leafly order service: the GraphQL API (HTTP,
// server-sent events and websockets), health and metrics endpoints, and
// event delivery across replicas. `server token` mints bearer tokens;
// `server rekey` re-seals stored Lightspeed tokens with ENCRYPTION_KEY.
//
// Every setting comes from the environment; README.md lists them.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	// Libraries that log with the standard log package (gqlgen's transports
	// do) write JSON lines on stdout like the service's own logger, not
	// plain text on stderr.
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run starts the service (or the subcommand args name) and returns when ctx
// ends and the service has shut down.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "token" {
		return mintToken(args[1:], getenv, stdout)
	}
	if len(args) > 0 && args[0] == "rekey" {
		return rekey(ctx, args[1:], getenv, stdout)
	}
	if len(args) > 0 && args[0] == "healthcheck" {
		return healthcheck(ctx, getenv)
	}
	if len(args) > 0 {
		return fmt.Errorf("unknown command %q: run with no arguments to serve, or `token -h`, or `rekey`", args[0])
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	if err := cfg.checkLightspeedApp(); err != nil {
		return err
	}
	if err := loadSecrets(&cfg); err != nil {
		return err
	}
	return serve(ctx, cfg, stdout)
}

// healthcheck implements `server healthcheck` for container health checks
// (the image has no shell or curl): it asks the local /healthz.
func healthcheck(ctx context.Context, getenv func(string) string) error {
	_, port, err := net.SplitHostPort((&env{getenv: getenv}).str("HTTP_ADDR", ":8080"))
	if err != nil {
		return fmt.Errorf("healthcheck: HTTP_ADDR: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+port+"/healthz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %s", resp.Status)
	}
	return nil
}
