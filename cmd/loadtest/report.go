package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// result is one row of the report.
type result struct {
	Scenario   string             `json:"scenario"`
	DB         string             `json:"db"`
	Load       string             `json:"load"`
	Samples    int                `json:"samples"`
	Throughput float64            `json:"throughputPerSec,omitempty"`
	P50        float64            `json:"p50Ms"`
	P99        float64            `json:"p99Ms"`
	Max        float64            `json:"maxMs"`
	Errors     int                `json:"errors"`
	FirstError string             `json:"firstError,omitempty"`
	Detail     []string           `json:"detail,omitempty"`
	Values     map[string]float64 `json:"values,omitempty"`
	Goals      []goal             `json:"goals,omitempty"`
	CPU        cpuShare           `json:"cpu"`
}

// goal is a target of BENCHMARKS.md and whether the run met it.
type goal struct {
	Target string `json:"target"`
	Met    bool   `json:"met"`
}

// newResult returns the row of a closed-loop measurement.
func newResult(scenario, db, load string, w window) result {
	s := w.lat.summary()
	r := result{Scenario: scenario, DB: db, Load: load, Samples: s.N, Throughput: w.throughput(),
		P50: ms(s.P50), P99: ms(s.P99), Max: ms(s.Max), Errors: w.errors, CPU: w.cpu, Values: map[string]float64{}}
	if w.firstErr != nil {
		r.FirstError = w.firstErr.Error()
	}
	if s.N > 0 && w.cpu.Seconds > 0 {
		r.detail("%s", w.cpu.perOp(s.N, "request"))
	}
	if w.serverMean > 0 {
		r.Values["serverMeanMs"] = ms(w.serverMean)
		r.detail("server-side mean %.2f ms per operation (its own histogram), client-side mean %.2f ms", ms(w.serverMean), ms(s.Mean))
	}
	return r
}

func (r *result) goal(target string, met bool) { r.Goals = append(r.Goals, goal{target, met}) }

func (r *result) detail(format string, args ...any) {
	r.Detail = append(r.Detail, fmt.Sprintf(format, args...))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// printReport prints the results as Markdown tables, ready for BENCHMARKS.md.
func printReport(w io.Writer, m machine, results []result) {
	fmt.Fprintf(w, "\nMachine: %s\n\n", m)
	fmt.Fprintln(w, "| scenario | db | load | req/s | p50 ms | p99 ms | max ms | errors | goals |")
	fmt.Fprintln(w, "|---|---|---|---:|---:|---:|---:|---:|---|")
	for _, r := range results {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %d | %s |\n", r.Scenario, r.DB, r.Load, rate(r.Throughput),
			num(r.P50, r.Samples), num(r.P99, r.Samples), num(r.Max, r.Samples), r.Errors, goals(r.Goals))
	}
	fmt.Fprintln(w, "\n| scenario | db | detail |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, r := range results {
		fmt.Fprintf(w, "| %s | %s | %s |\n", r.Scenario, r.DB, strings.Join(r.Detail, "; "))
	}
	fmt.Fprintf(w, "\nCPU during the measured window, in cores kept busy (of %d):\n\n", m.CPUs)
	fmt.Fprintln(w, "| scenario | db | load | server | Lightspeed | PostgreSQL | loadtest | other processes | idle |")
	fmt.Fprintln(w, "|---|---|---|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		if r.CPU != (cpuShare{}) {
			c := r.CPU
			fmt.Fprintf(w, "| %s | %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n", r.Scenario, r.DB, r.Load, c.Server, c.Lightspeed, c.Postgres, c.Loadtest, c.Other, c.Idle)
		}
	}
	for _, r := range results {
		if r.FirstError != "" {
			fmt.Fprintf(w, "\n%s (%s): first error: %s\n", r.Scenario, r.DB, r.FirstError)
		}
	}
}

func rate(v float64) string {
	if v == 0 {
		return "–"
	}
	return count(int(v + 0.5))
}

func num(v float64, samples int) string {
	if samples == 0 {
		return "–"
	}
	if v < 10 {
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func goals(list []goal) string {
	if len(list) == 0 {
		return "–"
	}
	parts := make([]string, len(list))
	for i, g := range list {
		verdict := "met"
		if !g.Met {
			verdict = "**MISSED**"
		}
		parts[i] = g.Target + ": " + verdict
	}
	return strings.Join(parts, ", ")
}

// count writes n with thousands separators: 10,000.
func count(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + count(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// plural writes n and word, in the plural unless n is 1: "1,000 subscribers".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return count(n) + " " + word + "s"
}

// writeJSON writes the run to path.
func writeJSON(path string, m machine, args []string, results []result) error {
	b, err := json.MarshalIndent(map[string]any{"machine": m, "args": args, "results": results}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("-json: %w", err)
	}
	return nil
}
