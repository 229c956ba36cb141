package measure

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// procStat is what /proc/<pid>/stat (and the threads' schedstat) say about
// one process at one moment.
type procStat struct {
	pid, ppid int
	// start is the process's start time in clock ticks since boot: with the
	// pid it identifies the process, should the pid be reused.
	start uint64
	// own is the CPU time of the process's threads, live and dead (utime +
	// stime); reaped that of its children it has waited for, with their own
	// reaped children (cutime + cstime).
	own, reaped time.Duration
	// delay is the time the process's live threads spent ready to run but
	// waiting for a CPU (the run queue delay of schedstat).
	delay time.Duration
	// zombie reports whether the process has exited and awaits its parent.
	zombie bool
	// state is the scheduler state letter of the stat file (R, S, D, ...).
	state byte
	// threads are the process's live threads, one reading each.
	threads []threadStat
	// kids are the process's children, from its threads' children files;
	// kidsOK is false where the kernel has no such files (the caller must
	// scan /proc).
	kids   []int
	kidsOK bool
}

// total is the CPU time the process accounts for: its own and its reaped
// children's.
func (s procStat) total() time.Duration { return s.own + s.reaped }

// errGone is a process that no longer exists.
var errGone = errors.New("no such process")

// readProc reads process pid's counters from /proc: the stat file's CPU
// times, in 10 ms ticks, sharpened by the threads' schedstat clocks; for
// this process, getrusage's.
func readProc(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ESRCH) {
			return procStat{}, errGone
		}
		return procStat{}, fmt.Errorf("read /proc/%d/stat: %w", pid, err)
	}
	s, err := parseStat(pid, b)
	if err != nil {
		return procStat{}, err
	}
	s.kidsOK = true
	var exec time.Duration
	for _, tid := range threads(pid) {
		task := fmt.Sprintf("/proc/%d/task/%d/", pid, tid)
		th, ok := readThread(tid, task)
		if !ok {
			continue // it has just ended
		}
		s.threads = append(s.threads, th)
		exec += th.exec
		s.delay += th.delay
		kids, ok := children(task)
		s.kids = append(s.kids, kids...)
		s.kidsOK = s.kidsOK && ok
	}
	// The stat file's ticks are floored: the live threads' own clocks, to
	// the nanosecond, are nearer the truth unless threads have died (their
	// time is only in the ticks).
	s.own = max(s.own, exec)
	if pid == os.Getpid() {
		u := ReadUsage()
		s.own, s.reaped = u.User+u.Sys, u.ChildUser+u.ChildSys
	}
	return s, nil
}

// parseStat parses the text of /proc/<pid>/stat. The command name, in
// parentheses, may hold spaces and parentheses itself: the fields start
// after the last ')'.
func parseStat(pid int, b []byte) (procStat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 of proc(5), the state.
	if len(f) < 20 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	num := func(k int) (uint64, error) {
		n, err := strconv.ParseUint(f[k], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat field %d: %w", pid, k+3, err)
		}
		return n, nil
	}
	var v [6]uint64
	for j, k := range []int{1, 11, 12, 13, 14, 19} { // ppid, utime, stime, cutime, cstime, starttime
		n, err := num(k)
		if err != nil {
			return procStat{}, err
		}
		v[j] = n
	}
	return procStat{
		pid: pid, ppid: int(v[0]), start: v[5],
		own:    ticks(v[1] + v[2]),
		reaped: ticks(v[3] + v[4]),
		zombie: f[0] == "Z" || f[0] == "X",
		state:  f[0][0],
	}, nil
}

// ticks converts clock ticks (USER_HZ) to a duration.
func ticks(n uint64) time.Duration { return time.Duration(n) * time.Second / userHZ }

// threads lists the thread ids of process pid; nil if it is gone.
func threads(pid int) []int {
	es, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		return nil
	}
	out := make([]int, 0, len(es))
	for _, e := range es {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			out = append(out, tid)
		}
	}
	return out
}

// ThreadSchedstat is the calling thread's time on a CPU and its run-queue
// delay (time spent runnable, waiting for a CPU) so far, from the kernel's
// scheduler statistics (/proc/thread-self/schedstat); ok is false where
// the kernel keeps none. The kernel adds a stretch of queueing when it
// ends. The caller should be locked to its thread
// (runtime.LockOSThread) for two readings to be of one thread.
func ThreadSchedstat() (exec, delay time.Duration, ok bool) {
	return schedstat("/proc/thread-self/")
}

// schedstat reads a thread's time on a CPU and its run queue delay from
// its schedstat file, in nanoseconds; ok is false where the kernel keeps
// none (or the thread has gone); task is the thread's /proc directory,
// with a trailing slash.
func schedstat(task string) (exec, delay time.Duration, ok bool) {
	b, err := os.ReadFile(task + "schedstat")
	if err != nil {
		return 0, 0, false
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, 0, false
	}
	e, err1 := strconv.ParseInt(f[0], 10, 64)
	d, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return time.Duration(e), time.Duration(d), true
}

// children lists a thread's children from its children file; ok is false
// where the kernel has none (CONFIG_PROC_CHILDREN off) while the thread
// itself exists.
func children(task string) (kids []int, ok bool) {
	b, err := os.ReadFile(task + "children")
	if err != nil {
		if _, serr := os.Stat(task); serr == nil && errors.Is(err, os.ErrNotExist) {
			return nil, false
		}
		return nil, true // the thread has gone: it has no children now
	}
	for _, f := range strings.Fields(string(b)) {
		if c, err := strconv.Atoi(f); err == nil {
			kids = append(kids, c)
		}
	}
	return kids, true
}

// parents maps every process on the machine to its parent, by scanning
// /proc: the fallback where children files are missing.
func parents() map[int][]int {
	out := map[int][]int{}
	es, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	for _, e := range es {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		if s, err := parseStat(pid, b); err == nil {
			out[s.ppid] = append(out[s.ppid], pid)
		}
	}
	return out
}
