// Command server runs the Leafly order service: the GraphQL API (HTTP,
// server-sent events and websockets), health and metrics endpoints, and
// event delivery across replicas.
//
// With no command it serves. The commands (cli.go; `server help` lists
// them, `server <command> -h` shows a command's flags) are for operators:
// `version` names the build, `migrate` applies the database migrations and
// exits (`-status` lists them), `token` mints a bearer token, `rekey`
// re-seals stored Lightspeed tokens with ENCRYPTION_KEY, `healthcheck` is the
// container health check and `schema` prints the GraphQL schema.
//
// Every setting comes from the environment; README.md lists them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/leafly/lightspeed-orders/internal/gcheadroom"
)

func main() {
	// Libraries that log with the standard log package (gqlgen's transports
	// do) write JSON lines on stdout like the service's own logger, not
	// plain text on stderr.
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	if os.Getenv("GOGC") == "" {
		gcheadroom.Keep(gcHeadroom, 100)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// gcHeadroom is how much the heap may grow between two collections at
// least (see internal/gcheadroom; BENCHMARKS.md has the measurements that
// chose 16 MiB). An operator's GOGC turns it off.
const gcHeadroom = 16 << 20

// run starts the service (or runs the subcommand args name) and returns
// when ctx ends and the service has shut down.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 0 {
		name := args[0]
		if name == "-h" || name == "-help" || name == "--help" {
			name = "help"
		}
		for _, c := range commands() {
			if c.name == name {
				err := c.run(ctx, args[1:], getenv, stdout)
				if errors.Is(err, flag.ErrHelp) {
					return nil
				}
				return err
			}
		}
		return fmt.Errorf("unknown command %q: `server help` lists the commands (with none, server serves)", args[0])
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
func healthcheck(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if err := parseFlags(newFlags("healthcheck", stdout), args); err != nil {
		return err
	}
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
