package measure

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Sampling intervals: the default, and the bounds a sampler accepts.
const (
	DefaultInterval = 100 * time.Millisecond
	MinInterval     = 10 * time.Millisecond
	MaxInterval     = 10 * time.Second
)

// CPUSample is one interval of a process tree's CPU use: what top shows in
// its %CPU column, summed over the tree.
type CPUSample struct {
	// At is the end of the interval, from the first reading.
	At time.Duration `json:"at_ns"`
	// Cores is the CPU time the tree used in the interval over the
	// interval's length: 0 is idle, 1 is one core busy throughout, 2 two.
	Cores float64 `json:"cores"`
	// Waiting is the time the tree's threads were ready to run but waited
	// for a CPU that other work held, over the interval's length: on a
	// shared machine, demand that Cores does not show.
	Waiting float64 `json:"waiting_cores"`
	// CPU is the tree's CPU time from the first reading to At.
	CPU time.Duration `json:"cpu_ns"`
	// Procs is how many processes the tree had at At.
	Procs int `json:"procs"`
	// Threads is where the tree's threads spent the interval: running,
	// waiting for a CPU, sleeping, in I/O.
	Threads ThreadStates `json:"threads"`
}

// CPUSeries is a process tree's CPU utilisation over time: the process and
// its descendants, those it has reaped included.
type CPUSeries struct {
	// PID is the root of the tree.
	PID int `json:"pid"`
	// Interval is the sampling interval asked for.
	Interval time.Duration `json:"interval_ns"`
	// Cores is how many CPUs the machine has: the most Cores can be.
	Cores int `json:"machine_cores"`
	// Wall is the time from the first reading to the last; CPU and Waiting
	// are the tree's CPU time and run queue delay over it.
	Wall    time.Duration `json:"wall_ns"`
	CPU     time.Duration `json:"cpu_ns"`
	Waiting time.Duration `json:"waiting_ns"`
	// Overhead is the sampler's own CPU time, left out of CPU and the
	// samples where it samples its own process: what it costs to watch.
	Overhead time.Duration `json:"overhead_ns,omitempty"`
	// MaxProcs is the most processes the tree had at a reading;
	// MaxThreads the most threads.
	MaxProcs   int         `json:"max_procs"`
	MaxThreads int         `json:"max_threads"`
	Samples    []CPUSample `json:"samples"`
	// Waits is where the tree's blocked threads waited, most
	// thread-samples first.
	Waits []WaitPlace `json:"waits,omitempty"`
}

// Mean is the tree's mean utilisation over the series, in cores.
func (s CPUSeries) Mean() float64 {
	if s.Wall <= 0 {
		return 0
	}
	return float64(s.CPU) / float64(s.Wall)
}

// MeanWaiting is the tree's mean wait for a CPU over the series, in cores.
func (s CPUSeries) MeanWaiting() float64 {
	if s.Wall <= 0 {
		return 0
	}
	return float64(s.Waiting) / float64(s.Wall)
}

// Peak is the highest utilisation of any sample, in cores.
func (s CPUSeries) Peak() float64 {
	var p float64
	for _, x := range s.Samples {
		p = max(p, x.Cores)
	}
	return p
}

// CPUAt is the tree's CPU time from the first reading to offset at,
// interpolated between the samples around it.
func (s CPUSeries) CPUAt(at time.Duration) time.Duration {
	var prevAt, prevCPU time.Duration
	for _, x := range s.Samples {
		if at <= x.At {
			if x.At == prevAt {
				return x.CPU
			}
			f := float64(at-prevAt) / float64(x.At-prevAt)
			return prevCPU + time.Duration(f*float64(x.CPU-prevCPU))
		}
		prevAt, prevCPU = x.At, x.CPU
	}
	return prevCPU
}

// CPUBetween is the tree's CPU time between two offsets of the series.
func (s CPUSeries) CPUBetween(from, to time.Duration) time.Duration {
	if to <= from {
		return 0
	}
	return max(0, s.CPUAt(to)-s.CPUAt(from))
}

// MeanBetween is the tree's mean utilisation between two offsets, in
// cores, from the samples whose intervals lie wholly between them: it
// leaves out the partial samples at the edges, which hold whatever the
// tree did just before or after (starting worker processes, say). With no
// such sample it interpolates the CPU time at the edges instead.
func (s CPUSeries) MeanBetween(from, to time.Duration) float64 {
	if to <= from {
		return 0
	}
	var cpu, span time.Duration
	prev := time.Duration(0)
	for i, x := range s.Samples {
		if i > 0 {
			prev = s.Samples[i-1].At
		}
		if prev >= from && x.At <= to {
			span += x.At - prev
			cpu += x.CPU - s.CPUAt(prev)
		}
	}
	if span <= 0 {
		return float64(s.CPUBetween(from, to)) / float64(to-from)
	}
	return float64(cpu) / float64(span)
}

// Sampler samples a process tree's CPU use at a fixed interval, from /proc,
// until stopped.
type Sampler struct {
	tree     *procTree
	interval time.Duration
	start    time.Time
	first    treeReading
	// self reports whether the tree is this process's: then the
	// sampler's own CPU time is left out.
	self bool
	stop chan struct{}
	done chan struct{}

	mu     sync.Mutex
	series CPUSeries
	// delays are the cumulative run queue delays at the samples.
	delays []time.Duration
	// threads accounts the threads' states.
	threads *threadTracker
	once    sync.Once
}

// StartSampler takes a first reading of process pid and its descendants
// and then one every interval, until Stop. It fails if the process cannot
// be read (it does not exist, or this is not Linux).
func StartSampler(pid int, interval time.Duration) (*Sampler, error) {
	if interval < MinInterval || interval > MaxInterval {
		return nil, fmt.Errorf("sampling interval %s out of range (%s to %s)", interval, MinInterval, MaxInterval)
	}
	t := newProcTree(pid)
	first, err := t.read()
	if err != nil {
		return nil, err
	}
	s := &Sampler{
		tree: t, interval: interval, start: time.Now(), first: first, self: pid == os.Getpid(),
		stop: make(chan struct{}), done: make(chan struct{}),
		series:  CPUSeries{PID: pid, Interval: interval, Cores: runtime.NumCPU(), MaxProcs: first.procs},
		threads: newThreadTracker(0, first.threads),
	}
	ready := make(chan struct{})
	go s.loop(ready)
	<-ready
	return s, nil
}

// Started is the time of the first reading: sample offsets count from it.
func (s *Sampler) Started() time.Time { return s.start }

// loop samples on a thread of its own, so that the thread's CPU clock is
// the sampler's cost: waking up, reading /proc.
func (s *Sampler) loop(ready chan<- struct{}) {
	defer close(s.done)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if s.self {
		// The sampler's own thread is left out of the thread states.
		s.mu.Lock()
		s.threads.skip = unix.Gettid()
		s.mu.Unlock()
	}
	close(ready)
	base := ThreadCPU()
	tk := time.NewTicker(s.interval)
	defer tk.Stop()
	for {
		select {
		case <-s.stop:
			s.sample(true, base)
			return
		case <-tk.C:
			s.sample(false, base)
		}
	}
}

// sample takes one reading and appends its interval. The last reading
// (final), if it comes less than half an interval after the one before,
// extends the last interval instead: a sliver of an interval would show
// the 10 ms rounding of other processes' CPU times as a spike.
func (s *Sampler) sample(final bool, base time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at := time.Since(s.start)
	r, err := s.tree.read()
	if err != nil {
		return
	}
	if s.self {
		s.series.Overhead = ThreadCPU() - base
	}
	n := len(s.series.Samples)
	if final && n > 0 && at-s.series.Samples[n-1].At < s.interval/2 {
		s.series.Samples = s.series.Samples[:n-1]
		s.delays = s.delays[:n-1]
		s.threads.undo()
		n--
	}
	var prevAt, prevCPU, prevDelay time.Duration
	if n > 0 {
		prevAt, prevCPU, prevDelay = s.series.Samples[n-1].At, s.series.Samples[n-1].CPU, s.delays[n-1]
	}
	dt := at - prevAt
	if dt <= 0 {
		return
	}
	cpu, delay := max(prevCPU, r.cpu-s.first.cpu-s.series.Overhead), r.delay-s.first.delay
	states := s.threads.step(r.threads, dt, bootTime())
	s.series.Samples = append(s.series.Samples, CPUSample{
		At:      at,
		Cores:   float64(cpu-prevCPU) / float64(dt),
		Waiting: float64(delay-prevDelay) / float64(dt),
		CPU:     cpu,
		Procs:   r.procs,
		Threads: states,
	})
	s.delays = append(s.delays, delay)
	s.series.MaxProcs = max(s.series.MaxProcs, r.procs)
	s.series.MaxThreads = max(s.series.MaxThreads, states.Threads)
	s.series.Waits = s.threads.places()
	s.series.Wall, s.series.CPU, s.series.Waiting = at, cpu, delay
}

// Snapshot returns the series so far.
func (s *Sampler) Snapshot() CPUSeries {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.series
	out.Samples = append([]CPUSample(nil), s.series.Samples...)
	return out
}

// Stop stops the sampling after a last reading and returns the series.
// Stopping again returns the same series.
func (s *Sampler) Stop() CPUSeries {
	s.once.Do(func() {
		close(s.stop)
		<-s.done
	})
	return s.Snapshot()
}
