//go:build !race

package main

// raceSlowdown is 1 without the race detector: timed steps get their
// stated budget.
const raceSlowdown = 1
