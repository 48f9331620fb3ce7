package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"runtime/debug"
	"text/tabwriter"

	"github.com/leafly/lightspeed-orders/graph"
	"github.com/leafly/lightspeed-orders/jobs"
	"github.com/leafly/lightspeed-orders/storage"
)

// command is one subcommand: `server <name> <usage>`.
type command struct {
	name    string
	usage   string
	summary string
	run     func(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error
}

// commands lists the subcommands in the order `server help` shows them.
func commands() []command {
	return []command{
		{"help", "", "list the commands", help},
		{"version", "", "print the module version, the commit it was built from and the Go version", printVersion},
		{"migrate", "[-status]", "apply the service's and River's database migrations and exit; -status lists them, applied and pending, and changes nothing", migrate},
		{"token", "[-role ROLE] [-store ID]... [-sub SUBJECT] [-ttl DURATION]", "print a bearer token signed with AUTH_SECRET (or the DATA_DIR/auth_secret a service generated); never generates a secret", mintToken},
		{"rekey", "", "re-seal every stored Lightspeed token with ENCRYPTION_KEY during a rotation (see README.md, Rotating keys)", rekey},
		{"healthcheck", "", "exit 0 if the service on HTTP_ADDR's port answers /healthz with 200 (the container health check: the image has no shell or curl)", healthcheck},
		{"schema", "", "print the GraphQL schema (SDL) this binary serves", printSchema},
	}
}

// newFlags returns the flag set of the subcommand name; -h prints its usage
// on stdout.
func newFlags(name string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		for _, c := range commands() {
			if c.name == name {
				fmt.Fprintf(stdout, "usage: server %s %s\n\n%s.\n", name, c.usage, c.summary)
			}
		}
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(stdout, "\nflags:")
			fs.PrintDefaults()
		}
		fmt.Fprintln(stdout, "\nSettings come from the environment (README.md, Settings).")
	}
	return fs
}

// parseFlags parses args into fs and refuses arguments left over.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q: `server %s -h` shows the usage", fs.Name(), fs.Arg(0), fs.Name())
	}
	return nil
}

// help implements `server help`.
func help(_ context.Context, args []string, _ func(string) string, stdout io.Writer) error {
	if err := parseFlags(newFlags("help", stdout), args); err != nil {
		return err
	}
	fmt.Fprint(stdout, "usage: server [command] [flags]\n\nWith no command, server serves the GraphQL API (README.md).\n\ncommands:\n")
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %s\t%s\n", c.name, c.summary)
	}
	_ = w.Flush()
	fmt.Fprint(stdout, "\n`server <command> -h` shows a command's flags. Settings come from the environment (README.md, Settings).\n")
	return nil
}

// version names the build when it carries no version control information
// (the Docker build, whose context leaves .git out): -ldflags "-X main.version=…".
var version string

// printVersion implements `server version`.
func printVersion(_ context.Context, args []string, _ func(string) string, stdout io.Writer) error {
	if err := parseFlags(newFlags("version", stdout), args); err != nil {
		return err
	}
	info, _ := debug.ReadBuildInfo()
	fmt.Fprint(stdout, versionText(info, version))
	return nil
}

// versionText describes a build: its module version, the commit it was
// built from and the Go version. info may be nil; stamped is the version
// set at link time.
func versionText(info *debug.BuildInfo, stamped string) string {
	module, modVersion := "github.com/leafly/lightspeed-orders", "(devel)"
	settings := map[string]string{}
	if info != nil {
		module, modVersion = info.Main.Path, info.Main.Version
		for _, s := range info.Settings {
			settings[s.Key] = s.Value
		}
	}
	if stamped != "" {
		modVersion = stamped
	}
	commit := "unknown: built without version control information (go run, or a tree without .git)"
	if rev := settings["vcs.revision"]; rev != "" {
		commit = rev
		if t := settings["vcs.time"]; t != "" {
			commit += " (" + t + ")"
		}
		if settings["vcs.modified"] == "true" {
			commit += " with uncommitted changes"
		}
	}
	return fmt.Sprintf("module:  %s\nversion: %s\ncommit:  %s\ngo:      %s %s/%s\n", module, modVersion, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// printSchema implements `server schema`: schema.graphqls as compiled in.
func printSchema(_ context.Context, args []string, _ func(string) string, stdout io.Writer) error {
	if err := parseFlags(newFlags("schema", stdout), args); err != nil {
		return err
	}
	_, err := io.WriteString(stdout, graph.NewExecutableSchema(graph.Config{}).Schema().Query.Position.Src.Input)
	return err
}

// migrationRow is one migration of the service's or River's.
type migrationRow struct {
	set     string
	version int
	name    string
	state   string
}

func (r migrationRow) pending() bool { return r.state == "pending" }

// migrate implements `server migrate`.
func migrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := newFlags("migrate", stdout)
	status := fs.Bool("status", false, "list every migration, applied or pending, and change nothing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	cfg.DBMaxConns = 2
	db, err := openDatabase(ctx, cfg, newLogger(stdout, max(cfg.LogLevel, slog.LevelWarn)), "")
	if err != nil {
		return err
	}
	defer db.Close()
	before, err := migrations(ctx, db)
	if err != nil {
		return err
	}
	if *status {
		return printMigrations(stdout, before)
	}
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	if err := jobs.Migrate(ctx, db.SQL(), db.Postgres()); err != nil {
		return err
	}
	after, err := migrations(ctx, db)
	if err != nil {
		return err
	}
	done := 0
	for i, r := range after {
		if before[i].pending() && !r.pending() {
			fmt.Fprintf(stdout, "applied %s %04d %s\n", r.set, r.version, r.name)
			done++
		}
	}
	fmt.Fprintf(stdout, "migrate: %d applied now, %d in all, none pending\n", done, len(after))
	return nil
}

// migrations lists the service's migrations, then River's.
func migrations(ctx context.Context, db *storage.DB) ([]migrationRow, error) {
	own, err := db.Migrations(ctx)
	if err != nil {
		return nil, err
	}
	river, err := jobs.Migrations(ctx, db.SQL(), db.Postgres())
	if err != nil {
		return nil, err
	}
	var rows []migrationRow
	for _, m := range own {
		state := "pending"
		if m.AppliedAt != "" {
			state = "applied " + m.AppliedAt
		}
		rows = append(rows, migrationRow{"service", m.Version, m.Name, state})
	}
	for _, m := range river {
		state := "pending"
		if m.Applied {
			state = "applied"
		}
		rows = append(rows, migrationRow{"river", m.Version, m.Name, state})
	}
	return rows, nil
}

// printMigrations writes the table of `server migrate -status`.
func printMigrations(stdout io.Writer, rows []migrationRow) error {
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "SET\tVERSION\tNAME\tSTATE")
	pending := 0
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%04d\t%s\t%s\n", r.set, r.version, r.name, r.state)
		if r.pending() {
			pending++
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if pending == 0 {
		_, err := fmt.Fprintln(stdout, "none pending")
		return err
	}
	_, err := fmt.Fprintf(stdout, "%d pending: `server migrate` applies them (a starting replica does too)\n", pending)
	return err
}
