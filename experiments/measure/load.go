package measure

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Load is how busy the rest of the machine was while something ran: the
// CPU time other processes used and the time the hypervisor gave other
// machines (steal), read from /proc/stat against this process's own use.
// On a shared machine (a class on one JupyterHub, a CI runner) a slow run
// may be a neighbour's doing, not the program's.
type Load struct {
	// Wall is the interval's length.
	Wall time.Duration `json:"wall_ns"`
	// Own is the CPU time this process and its waited-for children used.
	Own time.Duration `json:"own_cpu_ns"`
	// Others is the CPU time the rest of the machine used: the machine's
	// busy time (user, nice, system, irq, softirq) less Own, at /proc/stat's
	// 10 ms resolution.
	Others time.Duration `json:"others_cpu_ns"`
	// Steal is the time the hypervisor ran something else on this
	// machine's CPUs while they had work.
	Steal time.Duration `json:"steal_ns"`
	// Cores is the machine's CPU count.
	Cores int `json:"cores"`
	// LoadAverage is the one-minute load average at the end: runnable and
	// uninterruptible tasks, this process's included.
	LoadAverage float64 `json:"load_average"`
}

// OtherCores is how many cores, on average, others kept from this process:
// (Others + Steal) / Wall.
func (l Load) OtherCores() float64 {
	if l.Wall <= 0 {
		return 0
	}
	return float64(l.Others+l.Steal) / float64(l.Wall)
}

// Share is OtherCores as a share of the machine's cores, from 0 (nobody
// else) to 1 (every core taken by others).
func (l Load) Share() float64 {
	if l.Cores <= 0 {
		return 0
	}
	return l.OtherCores() / float64(l.Cores)
}

// String says it in a few words, e.g. "others used 0.62 of 2 cores (steal
// 0.00), load average 1.85".
func (l Load) String() string {
	return fmt.Sprintf("others used %.2f of %d cores (steal %.2f), load average %.2f",
		l.OtherCores(), l.Cores, float64(l.Steal)/float64(max(l.Wall, 1)), l.LoadAverage)
}

// LoadMeter measures a Load: start it before the work, Stop it after.
type LoadMeter struct {
	t0          time.Time
	busy, steal time.Duration
	own         Usage
	ok          bool
}

// StartLoad takes the first readings.
func StartLoad() *LoadMeter {
	busy, steal, ok := machineTimes()
	return &LoadMeter{t0: time.Now(), busy: busy, steal: steal, own: ReadUsage(), ok: ok}
}

// Stop takes the second readings and returns the Load between them. Where
// /proc/stat cannot be read, Others and Steal are 0.
func (m *LoadMeter) Stop() Load {
	busy, steal, ok := machineTimes()
	u := ReadUsage().Sub(m.own)
	l := Load{
		Wall:        time.Since(m.t0),
		Own:         u.User + u.Sys + u.ChildUser + u.ChildSys,
		Cores:       runtime.NumCPU(),
		LoadAverage: loadAverage(),
	}
	if ok && m.ok {
		l.Others = max(0, busy-m.busy-l.Own)
		l.Steal = max(0, steal-m.steal)
	}
	return l
}

// loadAverage is /proc/loadavg's one-minute figure, or 0.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	x, _ := strconv.ParseFloat(f[0], 64)
	return x
}
