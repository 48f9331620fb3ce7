package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// machine describes where the numbers were measured.
type machine struct {
	CPUs     int    `json:"cpus"`
	CPUModel string `json:"cpuModel"`
	MemTotal string `json:"memTotal"`
	Kernel   string `json:"kernel"`
	Go       string `json:"go"`
	Database string `json:"database"`
	Date     string `json:"date"`
}

func describeMachine(db *database) machine {
	m := machine{CPUs: runtime.NumCPU(), Go: runtime.Version(), Database: db.version, Date: time.Now().UTC().Format(time.RFC3339)}
	m.CPUModel = procField("/proc/cpuinfo", "model name", ":")
	if kb, err := strconv.ParseInt(strings.TrimSuffix(procField("/proc/meminfo", "MemTotal", ":"), " kB"), 10, 64); err == nil {
		m.MemTotal = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	}
	return m
}

func (m machine) String() string {
	return fmt.Sprintf("%d CPUs (%s), %s RAM, %s, %s, %s, %s", m.CPUs, m.CPUModel, m.MemTotal, m.Kernel, m.Go, m.Database, m.Date)
}

// procField returns the value of the first "key<sep> value" line of a /proc file.
func procField(path, key, sep string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, sep)
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// clockTicks is USER_HZ, the unit of /proc CPU times: 100 on Linux.
const clockTicks = 100

// cpuSample is the CPU time, in seconds, used so far by the server (every
// server process sampled, summed), by PostgreSQL's processes, by this
// program and by the whole machine.
type cpuSample struct {
	at                                         time.Time
	server, lightspeed, postgres, self, system float64
}

// sampleCPU reads the CPU times now: server counts each of the servers'
// processes, lightspeed their Lightspeed processes.
func sampleCPU(servers ...*serverProcess) cpuSample {
	s := cpuSample{at: time.Now()}
	for _, srv := range servers {
		cpu, _ := processCPU(strconv.Itoa(srv.pid))
		s.server += cpu
		if srv.lightspeed != nil {
			cpu, _ := processCPU(strconv.Itoa(srv.lightspeed.pid))
			s.lightspeed += cpu
		}
	}
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		if cpu, comm := processCPU(p.Name()); comm == "postgres" {
			s.postgres += cpu
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.self = tv(ru.Utime) + tv(ru.Stime)
	}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal
		if len(f) > 8 {
			for _, i := range []int{1, 2, 3, 6, 7, 8} {
				s.system += atof(f[i]) / clockTicks
			}
		}
	}
	return s
}

// processCPU returns the CPU seconds and command name of a process.
func processCPU(pid string) (float64, string) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, ""
	}
	// pid (comm) state ...: utime and stime are the 12th and 13th fields
	// after the command name, which may contain spaces.
	head, rest, ok := strings.Cut(string(b), ") ")
	_, comm, _ := strings.Cut(head, " (")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0, ""
	}
	return (atof(f[11]) + atof(f[12])) / clockTicks, comm
}

// cpuShare is how many cores, on average, each party kept busy.
type cpuShare struct {
	Server float64 `json:"serverCores"`
	// Lightspeed is the Lightspeed process's, where the scenario runs one.
	Lightspeed float64 `json:"lightspeedCores"`
	Postgres   float64 `json:"postgresCores"`
	Loadtest   float64 `json:"loadtestCores"`
	Other      float64 `json:"otherCores"`
	Idle       float64 `json:"idleCores"`
	Seconds    float64 `json:"seconds"`
}

// since returns the CPU use between an earlier sample and s.
func (s cpuSample) since(earlier cpuSample) cpuShare {
	wall := s.at.Sub(earlier.at).Seconds()
	if wall <= 0 {
		return cpuShare{}
	}
	c := cpuShare{Server: (s.server - earlier.server) / wall, Lightspeed: (s.lightspeed - earlier.lightspeed) / wall,
		Postgres: (s.postgres - earlier.postgres) / wall, Loadtest: (s.self - earlier.self) / wall, Seconds: wall}
	busy := (s.system - earlier.system) / wall
	c.Other = max(0, busy-c.Server-c.Lightspeed-c.Postgres-c.Loadtest)
	c.Idle = max(0, float64(runtime.NumCPU())-busy)
	return c
}

// plus is the share over c's window and o's together.
func (c cpuShare) plus(o cpuShare) cpuShare {
	t := c.Seconds + o.Seconds
	if t == 0 {
		return c
	}
	mean := func(a, b float64) float64 { return (a*c.Seconds + b*o.Seconds) / t }
	return cpuShare{Server: mean(c.Server, o.Server), Lightspeed: mean(c.Lightspeed, o.Lightspeed), Postgres: mean(c.Postgres, o.Postgres),
		Loadtest: mean(c.Loadtest, o.Loadtest), Other: mean(c.Other, o.Other), Idle: mean(c.Idle, o.Idle), Seconds: t}
}

// perOp describes the CPU time each of ops operations cost.
func (c cpuShare) perOp(ops int, what string) string {
	us := func(cores float64) float64 { return cores * c.Seconds / float64(ops) * 1e6 }
	line := fmt.Sprintf("CPU per %s: server %.0f µs, PostgreSQL %.0f µs, loadtest %.0f µs", what, us(c.Server), us(c.Postgres), us(c.Loadtest))
	if c.Lightspeed > 0 {
		line += fmt.Sprintf(", Lightspeed (the sandbox's process) %.0f µs", us(c.Lightspeed))
	}
	return line
}

func atof(s string) float64 {
	v, _ := strconv.ParseFloat(s, 64)
	return v
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

// raiseFileLimit raises this process's open-file limit, which the server
// inherits, to at least want where allowed (root may raise the hard limit),
// else to the hard limit. It returns the limit in force.
func raiseFileLimit(want uint64) (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	if l.Max < want {
		raised := syscall.Rlimit{Cur: want, Max: want}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			return want, nil
		}
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return l.Cur, err
	}
	if l.Cur < want {
		return l.Cur, fmt.Errorf("want %d; raise the hard limit (ulimit -Hn) to run this many subscribers", want)
	}
	return l.Cur, nil
}
