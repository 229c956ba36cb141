package model

import (
	"context"
	"sync"
	"time"
)

// checkEvery is how many CPU units run between cancellation checks (and, in
// the gil model, between checks for a drop request): about a millisecond.
const checkEvery = 1024

type goroutines struct{}

func init() { register(goroutines{}) }

func (goroutines) Name() string { return "goroutines" }

func (goroutines) Describe() string {
	return "Go's runtime: a goroutine per task, a semaphore of slots, CPU in parallel on GOMAXPROCS threads"
}

// Run starts one goroutine per task at once (every task is live from the
// start, as with asyncio.gather); a semaphore of Concurrency slots lets that
// many run their steps at a time.
func (g goroutines) Run(ctx context.Context, tasks []Task, cfg Config) (*Run, error) {
	if err := validate(tasks, cfg); err != nil {
		return nil, err
	}
	tr, err := startTrace(cfg)
	if err != nil {
		return nil, err
	}
	defer tr.stop()
	r := newRecorder(tasks, cfg)
	r.traced = tr != nil
	slots := make(chan int, cfg.Concurrency)
	for s := range cfg.Concurrency {
		slots <- s
	}
	var wg sync.WaitGroup
	r.begin()
	for i := range tasks {
		r.queued(i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			var slot int
			select {
			case slot = <-slots:
			case <-ctx.Done():
				return
			}
			r.started(i, slot)
			var err error
			for _, s := range tasks[i].Steps {
				if err = goStep(ctx, r, i, s); err != nil {
					break
				}
			}
			r.ended(i, err)
			slots <- slot
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, r.cancelled(g.Name(), err)
	}
	run := r.finish(g.Name(), cfg)
	if err := tr.apply(run, r.align); err != nil {
		return nil, err
	}
	return run, nil
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

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
