//go:build race

package main

// raceSlowdown is how many times longer a timed step may take under the
// race detector, which slows the service down several times over.
const raceSlowdown = 5
