package model

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// checkEvery is how many CPU units run between cancellation checks (and, in
// the gil model, between checks for a drop request): about a millisecond.
const checkEvery = 1024

type goroutines struct{}

func init() { register(goroutines{}) }

func (goroutines) Name() Name { return Goroutines }

func (goroutines) Describe() string {
	return "Go's runtime: a goroutine per task, a semaphore of slots, CPU in parallel on GOMAXPROCS threads"
}

// Run starts one goroutine per task at once (every task is live from the
// start, as with asyncio.gather); a semaphore of Concurrency slots lets that
// many run their steps at a time.
func (g goroutines) Run(ctx context.Context, tasks []Task, cfg Config) (*Run, error) {
	tr, err := startTraced(tasks, cfg)
	if err != nil {
		return nil, err
	}
	defer tr.stop()
	b := &goBatch{ctx: ctx, r: newRecorder(tasks, cfg), tasks: tasks, slots: make(chan int, cfg.Concurrency)}
	b.r.traced = tr != nil
	for s := range cfg.Concurrency {
		b.slots <- s
	}
	b.wg.Add(len(tasks))
	b.r.begin()
	b.waiting = newWaiters(len(tasks))
	stop := context.AfterFunc(ctx, b.wakeAll)
	for i := range tasks {
		b.r.queued(i)
		go b.task(i)
	}
	b.wg.Wait()
	stop()
	if err := ctx.Err(); err != nil {
		return nil, b.r.cancelled(g.Name(), err)
	}
	run := b.r.finish(g.Name(), cfg)
	if err := tr.apply(run, b.r.align); err != nil {
		return nil, err
	}
	return run, nil
}

// goBatch is a batch running on the goroutines model.
type goBatch struct {
	ctx   context.Context
	r     *recorder
	tasks []Task
	slots chan int
	wg    sync.WaitGroup
	// waiting holds each task's timer while it waits on it, so that
	// wakeAll can fire them when ctx is done.
	waiting []atomic.Pointer[time.Timer]
}

// newWaiters makes the registry of waiting timers (a function of its own,
// so that the memory profile names it).
func newWaiters(n int) []atomic.Pointer[time.Timer] { return make([]atomic.Pointer[time.Timer], n) }

// task runs task i on its own goroutine: it takes a slot, runs its steps in
// order and gives the slot back. Its stack stays shallow, so that a
// goroutine waiting in a step keeps the 2 KiB stack it starts with.
func (b *goBatch) task(i int) {
	slot, ok := b.acquire()
	if !ok {
		b.wg.Done()
		return
	}
	b.r.started(i, slot)
	var err error
	steps := b.tasks[i].Steps
	for k := range steps {
		if steps[k].Kind == KindWait {
			err = b.wait(i, steps[k].Duration)
		} else {
			err = goStep(b.ctx, b.r, i, steps[k])
		}
		if err != nil {
			break
		}
	}
	b.r.ended(i, err)
	b.slots <- slot
	b.wg.Done()
}

// acquire takes a slot, at once if one is free, else when one is given back
// or ctx is done (ok false).
func (b *goBatch) acquire() (slot int, ok bool) {
	select {
	case slot = <-b.slots:
		return slot, true
	default:
	}
	select {
	case slot = <-b.slots:
		return slot, true
	case <-b.ctx.Done():
		return 0, false
	}
}

// wait is a Wait step: task i's goroutine parks on a timer of d. To honour
// cancellation it receives from the timer's channel alone, and wakeAll
// fires the timer at once when ctx is done: a receive from one channel
// costs the goroutine one channel wait and a shallow stack, where a select
// on the timer and ctx.Done() cost two and grew its stack to 4 KiB.
func (b *goBatch) wait(i int, d time.Duration) error {
	start := b.r.now()
	b.r.parked()
	if d > 0 {
		t := time.NewTimer(d)
		b.waiting[i].Store(t)
		// A ctx done before the Store is seen here; one done after it
		// finds the timer in wakeAll.
		if b.ctx.Err() == nil {
			<-t.C
		} else {
			t.Stop()
		}
		b.waiting[i].Store(nil)
	}
	b.r.segment(i, KindWait, start)
	return b.ctx.Err()
}

// wakeAll fires the timer of every waiting task now: ctx is done.
func (b *goBatch) wakeAll() {
	for i := range b.waiting {
		if t := b.waiting[i].Load(); t != nil {
			t.Reset(0)
		}
	}
}

// goStep runs one step on the calling goroutine.
func goStep(ctx context.Context, r *recorder, i int, s Step) error {
	if s.Kind == KindCPU {
		r.traceCPU(i)
	}
	start := r.now()
	switch s.Kind {
	case KindCPU:
		err := compute(ctx, s.Units)
		r.segment(i, KindCPU, start)
		return err
	case KindWait:
		r.parked()
		err := sleep(ctx, s.Duration)
		r.segment(i, KindWait, start)
		return err
	case KindCall:
		return goCallStep(ctx, r, i, s, start)
	case KindEncode:
		return goEncode(ctx, r, i, s)
	}
	return nil
}

// compute burns units on the calling goroutine, checking ctx about every
// millisecond.
//
// It does not read a CPU clock: a goroutine has none of its own, and pinning
// it to a thread to read one (runtime.LockOSThread) changes what is being
// measured: with more goroutines than Ps, every preemption of a pinned
// goroutine becomes an OS thread hand-off, and 8 tasks on 2 cores ran 1.66x
// faster than one after another instead of 1.97x. Per-task CPU is therefore
// left at zero on this model; the run's totals have the process's CPU, and
// a traced run (Config.Trace) when each task's goroutine was on a CPU, from
// Go's execution tracer.
func compute(ctx context.Context, units int64) error {
	burn(units, checkEvery, func() bool { return ctx.Err() == nil })
	return ctx.Err()
}
