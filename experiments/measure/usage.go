package measure

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Usage is a snapshot of this process's resource counters. Two snapshots,
// taken before and after a run, give that run's CPU and GC cost by Sub.
type Usage struct {
	User      time.Duration // user CPU of this process
	Sys       time.Duration // system CPU of this process
	ChildUser time.Duration // user CPU of waited-for children
	ChildSys  time.Duration // system CPU of waited-for children
	NumGC     int64         // completed GC cycles
	GCPause   time.Duration // total stop-the-world pause
}

// ReadUsage takes a snapshot now.
func ReadUsage() Usage {
	var self, kids unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &self)
	_ = unix.Getrusage(unix.RUSAGE_CHILDREN, &kids)
	var gc debug.GCStats
	debug.ReadGCStats(&gc)
	return Usage{
		User:      tv(self.Utime),
		Sys:       tv(self.Stime),
		ChildUser: tv(kids.Utime),
		ChildSys:  tv(kids.Stime),
		NumGC:     gc.NumGC,
		GCPause:   gc.PauseTotal,
	}
}

// Sub returns the counters accumulated between earlier and u.
func (u Usage) Sub(earlier Usage) Usage {
	return Usage{
		User:      u.User - earlier.User,
		Sys:       u.Sys - earlier.Sys,
		ChildUser: u.ChildUser - earlier.ChildUser,
		ChildSys:  u.ChildSys - earlier.ChildSys,
		NumGC:     u.NumGC - earlier.NumGC,
		GCPause:   u.GCPause - earlier.GCPause,
	}
}

func tv(t unix.Timeval) time.Duration {
	return time.Duration(t.Sec)*time.Second + time.Duration(t.Usec)*time.Microsecond
}

// ThreadCPU returns the CPU time consumed so far by the calling OS thread.
// It is meaningful only while the calling goroutine is locked to its thread
// (runtime.LockOSThread); otherwise the goroutine may move between threads.
func ThreadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// Mono returns CLOCK_MONOTONIC in nanoseconds. Unlike time.Now's monotonic
// reading it is comparable across processes on one machine, which is how the
// processes model places its workers' spans on the parent's timeline.
func Mono() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return time.Now().UnixNano()
	}
	return ts.Nano()
}

// ResetPeakRSS resets this process's peak resident set size (VmHWM), so that
// PeakRSS afterwards reports the peak since the reset. Linux only; where the
// reset is refused the error says so and PeakRSS keeps the lifetime peak.
func ResetPeakRSS() error {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return fmt.Errorf("reset peak RSS: %w", err)
	}
	return nil
}

// PeakRSS returns the peak resident set size of this process in bytes.
func PeakRSS() int64 { return procStatus("self", "VmHWM:") }

// RSS returns the current resident set size of this process in bytes.
func RSS() int64 { return procStatus("self", "VmRSS:") }

// ProcessRSS returns the current resident set size of process pid in bytes,
// or 0 if it cannot be read (the process is gone, or not Linux).
func ProcessRSS(pid int) int64 { return procStatus(strconv.Itoa(pid), "VmRSS:") }

func procStatus(pid, key string) int64 {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, key) {
			continue
		}
		f := strings.Fields(line[len(key):])
		if len(f) == 0 {
			return 0
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0
		}
		if len(f) > 1 && strings.EqualFold(f[1], "kB") {
			n *= 1024
		}
		return n
	}
	return 0
}

// userHZ is the unit of /proc/stat's counters: the kernel's USER_HZ, 100
// on every Linux configuration Go supports.
const userHZ = 100

// MachineBusy returns the CPU time every process on the machine has used
// since boot (user, nice, system, irq, softirq and steal, summed over all
// CPUs, from /proc/stat, at 10 ms resolution), or -1 where it cannot be
// read. Two readings around a run, less the run's own CPU, say how busy the
// rest of a shared machine was meanwhile.
func MachineBusy() time.Duration {
	busy, steal, ok := machineTimes()
	if !ok {
		return -1
	}
	return busy + steal
}

// machineTimes reads /proc/stat's first line: the CPU time all CPUs spent
// busy (user, nice, system, irq, softirq) and stolen by the hypervisor for
// other machines (steal), since boot.
func machineTimes() (busy, steal time.Duration, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0, false
	}
	var ticks [8]int64 // user nice system idle iowait irq softirq steal
	for i := range ticks {
		n, err := strconv.ParseInt(f[1+i], 10, 64)
		if err != nil {
			return 0, 0, false
		}
		ticks[i] = n
	}
	tick := func(n int64) time.Duration { return time.Duration(n) * time.Second / userHZ }
	return tick(ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]), tick(ticks[7]), true
}
