package main

import (
	"log/slog"
	"net/http"
	"net/http/pprof"
)

// serveDebug serves net/http/pprof under /debug/pprof/ on a listener of
// its own at addr (DEBUG_ADDR, which loadConfig holds to loopback), never
// on HTTP_ADDR, and returns the function that stops it. An empty addr
// serves nothing.
func serveDebug(addr string, log *slog.Logger) (stop func(), err error) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return serveAside("DEBUG_ADDR", "serving debug", addr, mux, log)
}
