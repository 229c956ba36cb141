package model

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
)

// procPool is the process executor's workers: the processes model's
// worker processes, driven one step at a time.
type procPool struct {
	procs []*workerProc
	// ser is each worker's serialisation time, both sides of its pipes.
	ser     []time.Duration
	stopCtx func() bool
	kill    sync.Once

	mono     sync.Once
	mono0    int64
	reapOnce sync.Once
}

// startPool starts n worker processes and waits until each has said hello.
// They are killed when ctx ends.
func startPool(ctx context.Context, n int) (*procPool, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find this program to re-execute: %w", err)
	}
	pool := &procPool{procs: make([]*workerProc, 0, n), ser: make([]time.Duration, n)}
	pool.stopCtx = context.AfterFunc(ctx, pool.killAll)
	errs := make(chan error, n)
	for w := range n {
		p, err := startWorker(exe)
		if err != nil {
			pool.stop()
			return nil, fmt.Errorf("start worker %d: %w", w, err)
		}
		pool.procs = append(pool.procs, p)
		go func() { errs <- p.awaitHello(w) }()
	}
	for range n {
		if err := <-errs; err != nil {
			pool.stop()
			if cerr := ctx.Err(); cerr != nil {
				return nil, fmt.Errorf("stopped while starting workers: %w", cerr)
			}
			return nil, err
		}
	}
	return pool, nil
}

func (pp *procPool) killAll() {
	pp.kill.Do(func() {
		for _, p := range pp.procs {
			p.child.Kill(syscall.SIGKILL)
		}
	})
}

// stop closes the workers' task pipes and reaps them, killing any that do
// not exit within two seconds.
func (pp *procPool) stop() {
	pp.reapOnce.Do(func() {
		pp.stopCtx()
		for _, p := range pp.procs {
			_ = p.in.Close()
		}
		for _, p := range pp.procs {
			p.reap(pp.killAll)
			if ru, ok := p.child.Cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && p.stat.PeakRSS == 0 {
				p.stat.PeakRSS = ru.Maxrss * 1024 // no report: see workerPeak
			}
			_ = p.outF.Close()
		}
	})
}

// stats are the workers' statistics; their peak memory is known once they
// have been reaped.
func (pp *procPool) stats() []WorkerStat {
	out := make([]WorkerStat, len(pp.procs))
	for i, p := range pp.procs {
		out[i] = p.stat
	}
	return out
}

// serialised is the pool's total serialisation time.
func (pp *procPool) serialised() time.Duration {
	var t time.Duration
	for _, d := range pp.ser {
		t += d
	}
	return t
}

// procWorker feeds worker process w: one offloaded step at a time, over its
// pipes. After a pipe fails, the jobs it would have taken fail with the
// same error, so that no task waits for a dead worker.
func (l *loop) procWorker(x *executor, w int) {
	var broken error
	for c := range x.jobs {
		if broken != nil {
			l.post(c, broken)
			continue
		}
		terr, err := l.dispatchStep(x.procs, w, c)
		if err != nil {
			p := x.procs.procs[w]
			broken = fmt.Errorf("process executor worker %d (pid %d): %w", w, p.stat.PID, err)
			terr = broken
		}
		l.post(c, terr)
	}
}

// dispatchStep sends the coro's current step to worker w, waits for its
// result and records its segments on the task's span, on the loop's
// timeline. It returns the step's own error (terr) apart from a failure of
// the pipes (err).
func (l *loop) dispatchStep(pp *procPool, w int, c *coro) (terr, err error) {
	p := pp.procs[w]
	r := l.r
	pp.mono.Do(func() { pp.mono0 = measure.Mono() - int64(r.now()) })
	off := func(mono int64) time.Duration { return time.Duration(mono - pp.mono0) }

	start := r.now()
	b, err := json.Marshal(taskMsg{I: c.i, Steps: []Step{l.step(c)}, Trace: r.traced})
	if err != nil {
		return nil, fmt.Errorf("encode task %d: %w", c.i, err)
	}
	enc := r.now() - start
	if _, err := p.in.Write(append(b, '\n')); err != nil {
		return nil, fmt.Errorf("send task %d: %w", c.i, err)
	}
	line, err := p.out.ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("read result of task %d: %w", c.i, err)
	}
	decStart := r.now()
	var res, trailer resultMsg
	if err := json.Unmarshal(line, &res); err != nil {
		return nil, fmt.Errorf("decode result of task %d: %w", c.i, err)
	}
	dec := r.now() - decStart
	if err := readMsg(p.out, &trailer); err != nil {
		return nil, fmt.Errorf("read result trailer of task %d: %w", c.i, err)
	}
	if _, err := readRaw(p.out, res.RawLen); err != nil {
		return nil, fmt.Errorf("read raw result of task %d: %w", c.i, err)
	}
	dec = r.now() - decStart
	span := &r.spans[c.i]
	span.Segments = append(span.Segments, onTimeline(res.Segments, off)...)
	span.Sched = append(span.Sched, onTimeline(res.Sched, off)...)
	span.CPU += time.Duration(res.CPU)
	// The result's trip back: the worker's encoding, the pipe, and this
	// side's decoding.
	span.Segments = append(span.Segments, Segment{Kind: KindSerialise, Start: off(res.End), End: decStart + dec})
	pp.ser[w] += enc + dec + time.Duration(res.Decode+trailer.Encode)
	p.stat.Tasks++
	p.stat.PeakRSS = max(p.stat.PeakRSS, trailer.PeakRSS)
	if res.Err != "" {
		return errors.New(res.Err), nil
	}
	return nil, nil
}

// workerPeak is a worker process's own peak resident memory, which it
// reports after each result. The parent cannot take it from the worker's
// rusage once it has reaped it: Linux carries the parent's high-water mark
// into ru_maxrss across the exec that started the worker (the processes
// share their memory until then), so a worker of a parent holding 300 MiB
// would "peak" at 300 MiB. /proc/self/status's VmHWM is the worker's own.
func workerPeak() int64 { return measure.PeakRSS() }
