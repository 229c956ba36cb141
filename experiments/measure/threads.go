package measure

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// ThreadStates is where a process tree's threads spent one sampling
// interval, in threads: 1.0 is one thread for the whole interval. The four
// states are top's, with its R split in two:
//
//   - Running: on a CPU. The growth of each thread's run time in
//     /proc/PID/task/TID/schedstat (its first field) over the interval.
//   - Runnable: ready to run but waiting for a CPU that other work held
//     (top shows these as R too). The growth of each thread's run-queue
//     delay in schedstat (its second field): the scheduler's own account
//     of time spent queued, not a guess from the state letter.
//   - Sleeping and IO: the rest of each thread's time in the interval
//     (its lifetime in it, less the two above) was spent blocked; it is
//     counted by the thread's state letter in /proc/PID/task/TID/stat at
//     the sample: S (sleeping, waiting for an event: a timer, a socket, a
//     lock) or D (uninterruptible, mostly disk I/O). A thread found
//     running (R) at the sample that was blocked earlier in the interval
//     is counted as sleeping: the kernel keeps no record of which.
//   - Other: blocked time of threads stopped or traced at the sample (a
//     profiler such as py-spy pausing them). A thread that has exited by
//     the sample (a zombie) is counted in the state it was last seen in.
//
// Where a thread has no schedstat file (a kernel without scheduler
// statistics), or none at the reading before, its whole interval is
// counted by its state letter. The scheduler adds a stretch of queueing to
// a thread's run-queue delay when the stretch ends, so a thread starved for
// longer than an interval can show more than one thread's worth queued in
// the interval it ends in, and none in those before; over many intervals
// the account is exact.
//
// The counts are top's at the sample itself: threads by state letter, R
// including those queued for a CPU.
type ThreadStates struct {
	Running  float64 `json:"running"`
	Runnable float64 `json:"runnable"`
	Sleeping float64 `json:"sleeping"`
	IO       float64 `json:"io"`
	Other    float64 `json:"other,omitempty"`
	// Threads is how many threads the tree had at the sample; R, S and D
	// how many of them were in each state, Others in any other.
	Threads int `json:"count"`
	R       int `json:"r"`
	S       int `json:"s"`
	D       int `json:"d"`
	Others  int `json:"others,omitempty"`
}

// Blocked is the threads' time neither on a CPU nor queued for one.
func (t ThreadStates) Blocked() float64 { return t.Sleeping + t.IO + t.Other }

// WaitPlace is where a tree's blocked threads waited: the kernel function
// they slept in (/proc/PID/task/TID/wchan) and the system call they were
// in (/proc/PID/task/TID/syscall, its number named). Either may be
// unknown: some kernels and containers show wchan as 0, and reading a
// thread's syscall needs the right to trace it.
type WaitPlace struct {
	Kernel  string `json:"kernel,omitempty"`
	Syscall string `json:"syscall,omitempty"`
	// ThreadSamples counts a thread found waiting there at a sample;
	// Samples the samples that found at least one, MaxThreads the most
	// found at one sample.
	ThreadSamples int `json:"thread_samples"`
	Samples       int `json:"samples"`
	MaxThreads    int `json:"max_threads"`
}

// String names the place: "hrtimer_nanosleep in clock_nanosleep", or
// either alone.
func (w WaitPlace) String() string {
	switch {
	case w.Kernel != "" && w.Syscall != "":
		return w.Kernel + " in " + w.Syscall
	case w.Kernel != "":
		return w.Kernel
	case w.Syscall != "":
		return "syscall " + w.Syscall
	}
	return "unknown"
}

// threadStat is one reading of one thread.
type threadStat struct {
	tid   int
	state byte
	// start is the thread's start time in clock ticks since boot.
	start uint64
	// exec and delay are its schedstat clocks; timed is false where it
	// has none.
	exec, delay time.Duration
	timed       bool
	// wait is where it was blocked, if it was (state S or D).
	wait WaitPlace
}

// readThread reads thread tid's state, start time, schedstat clocks and,
// if it is blocked, where; task is its /proc directory with a trailing
// slash. ok is false if it has gone.
func readThread(tid int, task string) (threadStat, bool) {
	b, err := os.ReadFile(task + "stat")
	if err != nil {
		return threadStat{}, false
	}
	s, err := parseStat(tid, b)
	if err != nil {
		return threadStat{}, false
	}
	th := threadStat{tid: tid, state: s.state, start: s.start}
	th.exec, th.delay, th.timed = schedstat(task)
	if th.state == 'S' || th.state == 'D' {
		th.wait = waitPlace(task)
	}
	return th, true
}

// waitPlace reads where a blocked thread waits.
func waitPlace(task string) WaitPlace {
	var w WaitPlace
	if b, err := os.ReadFile(task + "wchan"); err == nil {
		if k := strings.TrimSpace(string(b)); k != "" && k != "0" {
			w.Kernel = k
		}
	}
	if b, err := os.ReadFile(task + "syscall"); err == nil {
		// "NR args... sp pc" while blocked in a call; "running", or -1
		// outside a system call.
		f := strings.Fields(string(b))
		if len(f) > 0 {
			if nr, err := strconv.Atoi(f[0]); err == nil && nr >= 0 {
				w.Syscall = syscallName(nr)
			}
		}
	}
	return w
}

// syscallName names a system call by its number on this architecture.
func syscallName(nr int) string {
	if n, ok := syscallNames[nr]; ok {
		return n
	}
	return "#" + strconv.Itoa(nr)
}

// threadTracker turns successive readings of a tree's threads into
// ThreadStates and WaitPlaces.
type threadTracker struct {
	// skip is a thread left out (the sampler's own), 0 for none.
	skip int
	prev map[int]threadStat
	// waits accumulate by place.
	waits map[WaitPlace]*WaitPlace
	// before and lastHere are what the last step replaced and added, for
	// undo.
	before   map[int]threadStat
	lastHere map[WaitPlace]int
}

func newThreadTracker(skip int, first []threadStat) *threadTracker {
	t := &threadTracker{skip: skip, prev: map[int]threadStat{}, waits: map[WaitPlace]*WaitPlace{}}
	for _, th := range first {
		t.prev[th.tid] = th
	}
	return t
}

// bootTime is the time since boot, on the clock thread start times count
// on.
func bootTime() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// step accounts the threads read at the end of an interval of length dt
// ending at boot time now.
func (t *threadTracker) step(threads []threadStat, dt, now time.Duration) ThreadStates {
	var st ThreadStates
	if dt <= 0 {
		return st
	}
	here := map[WaitPlace]int{}
	cur := make(map[int]threadStat, len(threads))
	for _, th := range threads {
		if th.tid == t.skip {
			continue
		}
		cur[th.tid] = th
		st.count(th.state)
		if th.wait != (WaitPlace{}) {
			here[th.wait]++
		}
		alive, running, queued, state := t.interval(th, dt, now)
		blocked := float64(max(0, alive-running-queued)) / float64(dt)
		st.Running += float64(running) / float64(dt)
		st.Runnable += float64(queued) / float64(dt)
		st.addBlocked(state, blocked)
	}
	t.before, t.prev, t.lastHere = t.prev, cur, here
	t.addWaits(here)
	return st
}

// count adds a thread found in state at the sample to top's counts.
func (st *ThreadStates) count(state byte) {
	st.Threads++
	switch state {
	case 'R':
		st.R++
	case 'S':
		st.S++
	case 'D':
		st.D++
	default:
		st.Others++
	}
}

// interval splits thread th's time in the interval of length dt ending at
// boot time now: its lifetime in it (alive), of which running on a CPU and
// queued for one, and the state its blocked rest is counted in.
func (t *threadTracker) interval(th threadStat, dt, now time.Duration) (alive, running, queued time.Duration, state byte) {
	// Its lifetime within the interval: all of it, unless it started
	// during it.
	alive = dt
	prev, known := t.prev[th.tid]
	if known && prev.start != th.start {
		known = false // a new thread with a reused id
	}
	if !known && now > 0 {
		alive = min(dt, max(0, now-ticks(th.start)))
	}
	switch {
	case th.timed && known && prev.timed:
		// The scheduler accounts a stretch of queueing when it ends,
		// so one interval may get more than its length.
		running, queued = max(0, th.exec-prev.exec), max(0, th.delay-prev.delay)
	case th.timed && !known:
		// New: its clocks since it started, within its lifetime here
		// (more if it was missed at the last reading).
		running = min(th.exec, alive)
		queued = min(th.delay, alive-running)
	case th.state == 'R':
		// No clocks to compare: counted by its state letter.
		running = alive
	}
	state = th.state
	if (state == 'Z' || state == 'X') && known {
		// It exited during the interval, in the state it was last
		// seen in.
		state = prev.state
	}
	return alive, running, queued, state
}

// addBlocked adds blocked threads' worth of time to the blocked state a
// thread in state is counted in.
func (st *ThreadStates) addBlocked(state byte, blocked float64) {
	switch state {
	case 'S', 'R':
		st.Sleeping += blocked
	case 'D':
		st.IO += blocked
	default:
		st.Other += blocked
	}
}

// addWaits adds one sample's threads found at each wait place.
func (t *threadTracker) addWaits(here map[WaitPlace]int) {
	for place, n := range here {
		w, ok := t.waits[place]
		if !ok {
			w = &WaitPlace{Kernel: place.Kernel, Syscall: place.Syscall}
			t.waits[place] = w
		}
		w.ThreadSamples += n
		w.Samples++
		w.MaxThreads = max(w.MaxThreads, n)
	}
}

// undo takes back the last step, so that the next one spans both
// intervals (the most threads found at one place at once stays).
func (t *threadTracker) undo() {
	if t.before == nil {
		return
	}
	for place, n := range t.lastHere {
		w := t.waits[place]
		w.ThreadSamples -= n
		w.Samples--
		if w.Samples == 0 {
			delete(t.waits, place)
		}
	}
	t.prev, t.before, t.lastHere = t.before, nil, nil
}

// places returns the wait places, most thread-samples first.
func (t *threadTracker) places() []WaitPlace {
	out := make([]WaitPlace, 0, len(t.waits))
	for _, w := range t.waits {
		out = append(out, *w)
	}
	slices.SortFunc(out, func(a, b WaitPlace) int {
		if a.ThreadSamples != b.ThreadSamples {
			return b.ThreadSamples - a.ThreadSamples
		}
		return strings.Compare(a.String(), b.String())
	})
	return out
}

// WaitSummary says in one line where a series' blocked threads waited:
// the top places, with the most threads found in each at once and the
// share of samples that found any there.
func (s CPUSeries) WaitSummary(top int) string {
	if len(s.Waits) == 0 || len(s.Samples) == 0 {
		return ""
	}
	var parts []string
	for i, w := range s.Waits {
		if i == top {
			parts = append(parts, fmt.Sprintf("%d more places", len(s.Waits)-top))
			break
		}
		threads := "1 thread"
		if w.MaxThreads != 1 {
			threads = fmt.Sprintf("up to %d threads", w.MaxThreads)
		}
		parts = append(parts, fmt.Sprintf("%s in %s (%d%% of samples)", threads, w, percent(w.Samples, len(s.Samples))))
	}
	return strings.Join(parts, "; ")
}

// percent is n over of, in whole per cent.
func percent(n, of int) int {
	if of <= 0 {
		return 0
	}
	return (200*n + of) / (2 * of)
}
