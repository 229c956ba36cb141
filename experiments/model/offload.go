package model

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
)

// Executor names a pool that the eventloop model hands an offloaded step to,
// as asyncio's loop.run_in_executor does: the task awaits the step's result
// while the loop goes on; when the step ends, the executor signals the loop
// through its poller's wake-up (an eventfd), and the task resumes on the
// loop.
type Executor string

// The executors.
const (
	// ExecThreads is a pool of OS threads (goroutines locked to threads)
	// that run steps in parallel with one another and with the loop: Go's
	// threads, or a C library that releases the GIL while it works.
	ExecThreads Executor = "threads"
	// ExecGILThreads is CPython's ThreadPoolExecutor: a pool of OS threads
	// that must hold a GIL shared with the loop's thread to run a step. An
	// Encode step holds it from start to end (the C JSON encoder never
	// releases it), so the loop, which needs the GIL to run anything, waits
	// as long as the encoding; a CPU step gives it up at the switch interval.
	ExecGILThreads Executor = "gil-threads"
	// ExecProcesses is ProcessPoolExecutor: a pool of worker processes (this
	// program re-executed, as for the processes model), started before the
	// clock starts; the step goes over a pipe as JSON and its result (an
	// Encode step's JSON) comes back the same way.
	ExecProcesses Executor = "processes"
)

// offloadSep joins a series' name and its executor's: see Series.Offload.
const offloadSep = "+"

// Offload names series s offloading its steps to executor ex: s's name,
// and where ex is not none "+" and the executor's, e.g.
// "eventloop+processes", "cpython asyncio+threads" (the json experiment's
// variants). ParseOffload reads it back.
func (s Series) Offload(ex Executor) string {
	if ex == "" {
		return s.String()
	}
	return s.String() + offloadSep + string(ex)
}

// ParseOffload reads back a name Series.Offload made: its series and its
// executor (none where the name has no "+").
func ParseOffload(name string) (Series, Executor) {
	base, ex, _ := strings.Cut(name, offloadSep)
	return ParseSeries(base), Executor(ex)
}

// Executors lists the executors.
func Executors() []Executor { return []Executor{ExecThreads, ExecGILThreads, ExecProcesses} }

// DefaultExecutor is the executor pools' size when Config.Executor is zero:
// one per core, ProcessPoolExecutor's default.
func DefaultExecutor() int { return runtime.NumCPU() }

func validateOffload(s Step) error {
	if s.Offload == "" {
		return nil
	}
	if s.Kind != KindCPU && s.Kind != KindEncode {
		return fmt.Errorf("only cpu and encode steps can be offloaded, not %s", s.Kind)
	}
	if !slices.Contains(Executors(), s.Offload) {
		return fmt.Errorf("unknown executor %q (known: threads, gil-threads, processes)", s.Offload)
	}
	return nil
}

// Offloaded returns the step marked to run in executor e on the eventloop
// model.
func (s Step) Offloaded(e Executor) Step {
	s.Offload = e
	return s
}

// offloads are a loop's executors and the completions they hand back.
type offloads struct {
	pools map[Executor]*executor
	// gil is the lock the gil-threads pool shares with the loop's thread;
	// held tells whether the loop holds it (loop thread only).
	gil  *GIL
	held bool

	mu   sync.Mutex
	done []completion

	setup   time.Duration
	stopped bool
}

// completion is an offloaded step that ended: the task to resume, or to end
// with err.
type completion struct {
	c   *coro
	err error
}

// executor is one pool.
type executor struct {
	kind  Executor
	size  int
	jobs  chan *coro
	wg    sync.WaitGroup
	procs *procPool // ExecProcesses
}

// loopGILID is the loop thread's id on the GIL it shares with a
// gil-threads pool, whose threads are 0 to size-1.
const loopGILID = 1 << 30

// startOffload starts the executors the batch's offloaded steps need, before
// the clock starts (their start-up is Setup). It is a no-op for a batch
// that offloads nothing.
func (l *loop) startOffload(ctx context.Context, cfg Config) error {
	var kinds []Executor
	for _, t := range l.tasks {
		for _, s := range t.Steps {
			if s.Offload != "" && !slices.Contains(kinds, s.Offload) {
				kinds = append(kinds, s.Offload)
			}
		}
	}
	if len(kinds) == 0 {
		return nil
	}
	size := cfg.Executor
	if size <= 0 {
		size = DefaultExecutor()
	}
	if size > MaxWorkers {
		return fmt.Errorf("eventloop: executor size must be at most %d, got %d", MaxWorkers, size)
	}
	t0 := time.Now()
	l.off = &offloads{pools: map[Executor]*executor{}}
	for _, k := range kinds {
		x := &executor{kind: k, size: size, jobs: make(chan *coro, len(l.tasks))}
		l.off.pools[k] = x
		switch k {
		case ExecThreads:
			for range size {
				x.wg.Add(1)
				go func() { defer x.wg.Done(); l.threadWorker(x) }()
			}
		case ExecGILThreads:
			l.off.gil = NewGIL(cfg.SwitchInterval)
			for w := range size {
				x.wg.Add(1)
				go func() { defer x.wg.Done(); l.gilWorker(x, w) }()
			}
		case ExecProcesses:
			pool, err := startPool(ctx, size)
			if err != nil {
				l.stopOffload()
				return fmt.Errorf("eventloop: process executor: %w", err)
			}
			x.procs = pool
			for w := range size {
				x.wg.Add(1)
				go func() { defer x.wg.Done(); l.procWorker(x, w) }()
			}
		}
	}
	l.off.setup = time.Since(t0)
	return nil
}

// stopOffload shuts the executors down: no new jobs, the threads end, the
// worker processes are reaped.
func (l *loop) stopOffload() {
	if l.off == nil || l.off.stopped {
		return
	}
	l.off.stopped = true
	for _, x := range l.off.pools {
		close(x.jobs)
	}
	if g := l.off.gil; g != nil && l.off.held {
		// Threads may be waiting for the lock the loop holds.
		g.Release()
		l.off.held = false
	}
	for _, x := range l.off.pools {
		x.wg.Wait()
		if x.procs != nil {
			x.procs.stop()
		}
	}
}

// offloadTotals adds the executors' start-up, workers and serialisation to
// a finished run.
func (l *loop) offloadTotals(run *Run) {
	if l.off == nil {
		return
	}
	run.Totals.Setup += l.off.setup
	for _, k := range Executors() {
		x := l.off.pools[k]
		if x == nil || x.procs == nil {
			continue
		}
		run.Workers = append(run.Workers, x.procs.stats()...)
		run.Totals.Serialise += x.procs.serialised()
	}
	if l.off.gil != nil {
		run.Totals.Switches = l.off.gil.Switches()
	}
}

// offload hands the coro's current step to its executor; the coro resumes
// when drainOffloaded finds it done.
func (l *loop) offload(c *coro, s Step) {
	c.since = l.r.now()
	l.off.pools[s.Offload].jobs <- c // buffered for every task: never blocks
}

// post hands a finished step back to the loop and wakes it.
func (l *loop) post(c *coro, err error) {
	l.off.mu.Lock()
	l.off.done = append(l.off.done, completion{c: c, err: err})
	l.off.mu.Unlock()
	l.p.wake()
}

// drainOffloaded schedules the tasks whose offloaded steps ended: each
// resumes on the loop, as a future's result wakes its awaiting task.
func (l *loop) drainOffloaded() {
	if l.off == nil {
		return
	}
	l.off.mu.Lock()
	done := l.off.done
	l.off.done = nil
	l.off.mu.Unlock()
	for _, d := range done {
		c, err := d.c, d.err
		if err != nil {
			l.callSoon(func() { l.failTask(c, err) })
			continue
		}
		l.callSoon(func() { l.advance(c) })
	}
}

// failTask ends a task whose offloaded step failed.
func (l *loop) failTask(c *coro, err error) {
	l.r.ended(c.i, err)
	l.pending--
	l.release(c.slot)
}

// releaseGIL gives the GIL up before the loop blocks in the poller, as
// CPython's selector does around epoll_wait; acquireGIL takes it back after.
func (l *loop) releaseGIL() {
	if l.off == nil || l.off.gil == nil || !l.off.held {
		return
	}
	l.off.gil.drop(loopGILID)
	l.off.held = false
}

func (l *loop) acquireGIL() {
	if l.off == nil || l.off.gil == nil || l.off.held {
		return
	}
	l.off.gil.Acquire(loopGILID)
	l.off.held = true
}

// step is the coro's current step: the one it awaits.
func (l *loop) step(c *coro) Step {
	s := l.tasks[c.i].Steps[c.step-1]
	s.Offload = ""
	return s
}

// threadWorker is one thread of an ExecThreads pool.
func (l *loop) threadWorker(x *executor) {
	runtime.LockOSThread() // to the end: the thread exits with the pool
	for c := range x.jobs {
		s := l.step(c)
		var err error
		switch s.Kind {
		case KindEncode:
			err = threadEncode(l.ctx, l.r, c.i, s)
		case KindCPU:
			err = threadCPU(l.ctx, l.r, c.i, s)
		}
		l.post(c, err)
	}
}

// gilWorker is thread w of an ExecGILThreads pool: it takes the GIL to run
// the step and drops it after, as a ThreadPoolExecutor thread does.
func (l *loop) gilWorker(x *executor, w int) {
	runtime.LockOSThread() // to the end: the thread exits with the pool
	g := l.off.gil
	for c := range x.jobs {
		from := l.r.now()
		g.Acquire(w)
		if l.r.now()-from > 50*time.Microsecond {
			l.r.segment(c.i, KindGIL, from)
		}
		err := gilStep(l.ctx, l.r, g, w, c.i, l.step(c))
		g.drop(w)
		l.post(c, err)
	}
}

// threadCPU computes a CPU step on a thread of its own, reading the
// thread's CPU clock.
func threadCPU(ctx context.Context, r *recorder, i int, s Step) error {
	r.traceCPU(i)
	start := r.now()
	c0 := measure.ThreadCPU()
	burn(s.Units, checkEvery, func() bool { return ctx.Err() == nil })
	r.spans[i].CPU += measure.ThreadCPU() - c0
	r.segment(i, KindCPU, start)
	return ctx.Err()
}
