package model

import (
	"container/heap"
	"context"
	"runtime"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
)

type eventloop struct{}

func init() { register(eventloop{}) }

func (eventloop) Name() Name { return EventLoop }

func (eventloop) Describe() string {
	return "asyncio-style: one OS thread, tasks as resumable state on a ready queue and a timer heap, epoll for waiting"
}

// Run is asyncio.gather over one task per element under an
// asyncio.Semaphore(Concurrency), on a single-threaded loop.
func (m eventloop) Run(ctx context.Context, tasks []Task, cfg Config) (*Run, error) {
	if err := validate(tasks, cfg); err != nil {
		return nil, err
	}
	p, err := newPoller()
	if err != nil {
		return nil, err
	}
	defer p.close()
	heartbeat := cfg.Heartbeat
	if heartbeat <= 0 {
		heartbeat = DefaultHeartbeat
	}
	tr, err := startTrace(cfg)
	if err != nil {
		return nil, err
	}
	defer tr.stop()
	l := &loop{ctx: ctx, p: p, tasks: tasks, r: newRecorder(tasks, cfg)}
	l.r.traced = tr != nil
	defer l.closeCalls()
	if err := l.startOffload(ctx, cfg); err != nil {
		return nil, err
	}
	defer l.stopOffload()
	stop := context.AfterFunc(ctx, p.wake)
	defer stop()

	res := make(chan error, 1)
	go func() {
		// The whole loop runs on this one OS thread.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		res <- l.run(cfg.Concurrency, heartbeat)
	}()
	if err := <-res; err != nil {
		return nil, l.r.cancelled(m.Name(), err)
	}
	l.stopOffload() // reaps the process executor's workers: their CPU and memory count
	run := l.r.finish(m.Name(), cfg)
	l.offloadTotals(run)
	run.LoopLag = l.lags
	for _, s := range l.lags {
		run.Totals.MaxLoopLag = max(run.Totals.MaxLoopLag, s.Lag)
	}
	if err := tr.apply(run, l.r.align); err != nil {
		return nil, err
	}
	return run, nil
}

// loop is a single-threaded event loop: a FIFO of ready callbacks, a heap of
// timers, and the OS poller to sleep in.
type loop struct {
	ctx   context.Context
	p     *poller
	r     *recorder
	tasks []Task

	ready  []func()
	timers timerHeap
	seq    int64

	// The semaphore: free slots and the FIFO of tasks waiting for one.
	free    []int
	waiters []*coro

	pending int // tasks not yet done
	lags    []LagSample

	calls map[int32]*sockCall // calls in flight, by socket

	off *offloads // executors for offloaded steps (offload.go)
}

// coro is a task's resumable state: which step comes next, which slot it
// holds, and when its current await began.
type coro struct {
	i     int
	step  int
	slot  int
	since time.Duration
}

func (l *loop) callSoon(f func()) { l.ready = append(l.ready, f) }

func (l *loop) callAt(when time.Time, f func()) {
	l.seq++
	heap.Push(&l.timers, timer{when: when, seq: l.seq, f: f})
}

func (l *loop) run(limit int, heartbeat time.Duration) error {
	l.free = make([]int, 0, limit)
	for s := limit - 1; s >= 0; s-- {
		l.free = append(l.free, s)
	}
	l.r.begin()
	// Create every task at once, as asyncio.gather does.
	for i := range l.tasks {
		l.r.queued(i)
		c := &coro{i: i, slot: -1}
		l.callSoon(func() { l.acquire(c) })
	}
	l.pending = len(l.tasks)
	l.scheduleHeartbeat(heartbeat)

	for l.pending > 0 {
		if err := l.ctx.Err(); err != nil {
			return err
		}
		timeout := time.Duration(-1)
		if len(l.ready) > 0 {
			timeout = 0
		} else if len(l.timers) > 0 {
			timeout = max(0, time.Until(l.timers[0].when))
		}
		l.releaseGIL()
		events, err := l.p.wait(timeout)
		l.acquireGIL()
		if err != nil {
			return err
		}
		l.dispatchIO(events)
		l.drainOffloaded()
		now := time.Now()
		for len(l.timers) > 0 && !l.timers[0].when.After(now) {
			t := heap.Pop(&l.timers).(timer)
			l.callSoon(t.f)
		}
		// Run the callbacks that are ready now; ones they schedule wait for
		// the next iteration, as in asyncio's _run_once.
		n := len(l.ready)
		for k := 0; k < n; k++ {
			l.ready[k]()
			if err := l.ctx.Err(); err != nil {
				return err
			}
		}
		l.ready = append(l.ready[:0], l.ready[n:]...)
	}
	// A heartbeat that fell due while the last tasks ran still reports its
	// lag: the loop was blocked all that time.
	now := time.Now()
	for len(l.timers) > 0 && !l.timers[0].when.After(now) {
		heap.Pop(&l.timers).(timer).f()
	}
	return nil
}

// scheduleHeartbeat arms the lag probe: a timer every period whose lateness
// is the loop's lag, as asyncio monitoring does with call_later.
func (l *loop) scheduleHeartbeat(period time.Duration) {
	due := time.Now().Add(period)
	l.callAt(due, func() {
		now := time.Now()
		l.lags = append(l.lags, LagSample{At: due.Sub(l.r.t0), Lag: now.Sub(due)})
		if l.pending > 0 {
			l.scheduleHeartbeat(period)
		}
	})
}

// acquire is `async with sem`: take a free slot and go on without yielding,
// or join the waiters.
func (l *loop) acquire(c *coro) {
	if len(l.free) == 0 {
		l.waiters = append(l.waiters, c)
		return
	}
	c.slot = l.free[len(l.free)-1]
	l.free = l.free[:len(l.free)-1]
	l.r.started(c.i, c.slot)
	l.advance(c)
}

// release hands the slot to the first waiter, whose continuation is
// scheduled on the ready queue, as asyncio wakes a waiter's future.
func (l *loop) release(slot int) {
	if len(l.waiters) == 0 {
		l.free = append(l.free, slot)
		return
	}
	w := l.waiters[0]
	l.waiters = l.waiters[1:]
	w.slot = slot
	l.callSoon(func() {
		l.r.started(w.i, w.slot)
		l.advance(w)
	})
}

// advance runs the task's steps until it awaits or ends. CPU steps run right
// here, on the loop's thread: nothing else runs meanwhile.
func (l *loop) advance(c *coro) {
	steps := l.tasks[c.i].Steps
	for c.step < len(steps) {
		s := steps[c.step]
		c.step++
		if s.Offload != "" && l.off != nil {
			l.offload(c, s) // run_in_executor: resumed by drainOffloaded
			return
		}
		switch s.Kind {
		case KindCPU:
			l.r.traceCPU(c.i)
			start := l.r.now()
			c0 := measure.ThreadCPU()
			burn(s.Units, checkEvery, func() bool { return l.ctx.Err() == nil })
			l.r.spans[c.i].CPU += measure.ThreadCPU() - c0
			l.r.segment(c.i, KindCPU, start)
			if err := l.ctx.Err(); err != nil {
				return
			}
		case KindWait:
			c.since = l.r.now()
			l.callAt(time.Now().Add(s.Duration), func() {
				l.r.segment(c.i, KindWait, c.since)
				l.advance(c)
			})
			l.r.parked()
			return
		case KindCall:
			l.startCall(c, s)
			return
		case KindEncode:
			_ = threadEncode(l.ctx, l.r, c.i, s) // blocks the loop
			if err := l.ctx.Err(); err != nil {
				return
			}
		}
	}
	l.r.ended(c.i, nil)
	l.pending--
	l.release(c.slot)
}

type timer struct {
	when time.Time
	seq  int64
	f    func()
}

type timerHeap []timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].when.Equal(h[j].when) {
		return h[i].seq < h[j].seq
	}
	return h[i].when.Before(h[j].when)
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)   { *h = append(*h, x.(timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}
