package model

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
)

// GIL is a global interpreter lock with CPython's hand-over protocol (the
// "new GIL" of CPython 3.2 and later):
//
//   - A thread that wants the lock and finds it held waits up to the switch
//     interval; if in that time nobody else took the lock, it sets a drop
//     request and keeps waiting.
//   - The holder checks for a drop request between small chunks of
//     computation (CPython checks at bytecode boundaries); seeing one, it
//     releases the lock and waits until another thread has taken it
//     (FORCE_SWITCHING), then queues to take it again.
//   - A thread that blocks (a wait, I/O) releases the lock first and takes it
//     again afterwards.
type GIL struct {
	interval time.Duration

	mu       sync.Mutex
	locked   bool
	holder   int
	switches int64
	freed    chan struct{} // closed when the lock is released
	switched chan struct{} // closed when a different thread takes the lock

	dropRequest atomic.Bool
}

// NewGIL returns an unlocked GIL with the given switch interval.
func NewGIL(interval time.Duration) *GIL {
	if interval <= 0 {
		interval = DefaultSwitchInterval
	}
	return &GIL{interval: interval, holder: -1, freed: make(chan struct{}), switched: make(chan struct{})}
}

// Acquire takes the lock for thread id, waiting as CPython's take_gil does.
func (g *GIL) Acquire(id int) {
	g.mu.Lock()
	for g.locked {
		seen := g.switches
		freed := g.freed
		g.mu.Unlock()
		t := time.NewTimer(g.interval)
		timedOut := false
		select {
		case <-freed:
			t.Stop()
		case <-t.C:
			timedOut = true
		}
		g.mu.Lock()
		if timedOut && g.locked && g.switches == seen {
			g.dropRequest.Store(true)
		}
	}
	g.locked = true
	if g.holder != id {
		g.holder = id
		g.switches++
		close(g.switched)
		g.switched = make(chan struct{})
	}
	g.dropRequest.Store(false)
	g.mu.Unlock()
}

// Release gives the lock up, as a thread does before it blocks.
func (g *GIL) Release() {
	g.mu.Lock()
	g.release()
	g.mu.Unlock()
}

func (g *GIL) release() {
	g.locked = false
	close(g.freed)
	g.freed = make(chan struct{})
}

// DropRequested reports whether a waiting thread has asked the holder to
// drop the lock (CPython's eval_breaker after the switch interval).
func (g *GIL) DropRequested() bool { return g.dropRequest.Load() }

// drop releases the lock as CPython's drop_gil does with FORCE_SWITCHING:
// if another thread asked for it, wait until one has taken it.
func (g *GIL) drop(id int) {
	g.mu.Lock()
	forced := g.dropRequest.Load() && g.holder == id
	switched := g.switched
	g.release()
	g.mu.Unlock()
	if forced {
		<-switched
	}
}

// Yield is what the holder id does on a drop request: release, wait until
// another thread has taken the lock, and queue for it again.
func (g *GIL) Yield(id int) {
	g.drop(id)
	g.Acquire(id)
}

// Switches counts hand-overs between different threads so far.
func (g *GIL) Switches() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.switches
}

type gilModel struct{}

func init() { register(gilModel{}) }

func (gilModel) Name() Name { return GILThreads }

func (gilModel) Describe() string {
	return "CPython-style threads: a pool of OS threads, CPU steps only while holding one global interpreter lock"
}

// Run is a ThreadPoolExecutor: Concurrency OS threads take tasks from one
// queue, submitted all at once. A thread holds the GIL while it runs task
// code and releases it only to wait, or when asked to after the switch
// interval.
func (m gilModel) Run(ctx context.Context, tasks []Task, cfg Config) (*Run, error) {
	tr, err := startTraced(tasks, cfg)
	if err != nil {
		return nil, err
	}
	defer tr.stop()
	r := newRecorder(tasks, cfg)
	r.traced = tr != nil
	g := NewGIL(cfg.SwitchInterval)
	queue := make(chan int, len(tasks))
	var wg sync.WaitGroup
	r.begin()
	for i := range tasks {
		r.queued(i)
		queue <- i
	}
	close(queue)
	for w := range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Locked to the end: the thread exits with the goroutine, as a
			// pool's threads do at shutdown, instead of idling in this
			// process (thousands of them would tax every later run).
			runtime.LockOSThread()
			gilThread(ctx, r, g, w, tasks, queue)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, r.cancelled(m.Name(), err)
	}
	run := r.finish(m.Name(), cfg)
	run.Totals.Switches = g.Switches()
	if err := tr.apply(run, r.align); err != nil {
		return nil, err
	}
	return run, nil
}

// gilThread is one worker thread's life: take the GIL, run tasks from the
// queue until it is empty, give the GIL up.
func gilThread(ctx context.Context, r *recorder, g *GIL, w int, tasks []Task, queue <-chan int) {
	g.Acquire(w)
	defer g.Release()
	for i := range queue {
		if ctx.Err() != nil {
			return
		}
		r.started(i, w)
		var err error
		for _, s := range tasks[i].Steps {
			if err = gilStep(ctx, r, g, w, i, s); err != nil {
				break
			}
		}
		r.ended(i, err)
	}
}

// gilStep runs one step on thread w, which holds the GIL on entry and exit.
func gilStep(ctx context.Context, r *recorder, g *GIL, w, i int, s Step) error {
	switch s.Kind {
	case KindCPU:
		r.traceCPU(i)
		start := r.now()
		c0 := measure.ThreadCPU()
		burn(s.Units, gilCheckEvery, func() bool {
			if g.DropRequested() {
				r.spans[i].CPU += measure.ThreadCPU() - c0
				r.segment(i, KindCPU, start)
				waitFrom := r.now()
				g.Yield(w)
				r.segment(i, KindGIL, waitFrom)
				r.traceCPU(i)
				start = r.now()
				c0 = measure.ThreadCPU()
			}
			return ctx.Err() == nil
		})
		r.spans[i].CPU += measure.ThreadCPU() - c0
		r.segment(i, KindCPU, start)
		return ctx.Err()
	case KindWait:
		return withoutGIL(r, g, w, i, KindWait, func() error { return sleep(ctx, s.Duration) })
	case KindCall:
		return gilCall(ctx, r, g, w, i, s)
	case KindEncode:
		// The C encoder runs no bytecode: it holds the GIL throughout.
		return threadEncode(ctx, r, i, s)
	}
	return nil
}

// gilCheckEvery is how many CPU units run between drop-request checks:
// about 50 µs, fine next to the 5 ms switch interval, as CPython's checks at
// bytecode boundaries are.
const gilCheckEvery = 32

// withoutGIL runs a blocking step of task i on the gil model's thread w as
// CPython runs a blocking call: with the GIL released. The step is a
// segment of kind k; taking the GIL back afterwards, when that meant
// waiting for it over 50 µs, is a "gil" segment.
func withoutGIL(r *recorder, g *GIL, w, i int, k Kind, block func() error) error {
	start := r.now()
	g.Release()
	err := block()
	r.segment(i, k, start)
	waitFrom := r.now()
	g.Acquire(w)
	if r.now()-waitFrom > 50*time.Microsecond {
		r.segment(i, KindGIL, waitFrom)
	}
	return err
}
