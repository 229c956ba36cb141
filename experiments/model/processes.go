package model

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/internal/proc"
)

// MaxWorkers bounds the processes model's pool size.
const MaxWorkers = 256

// workerEnv, set to "1" in a process's environment, makes the model
// package's init turn that process into a worker (see worker.go).
const workerEnv = "BOUNDLAB_WORKER"

type processes struct{}

func init() { register(processes{}) }

func (processes) Name() Name { return Processes }

func (processes) Describe() string {
	return "a pool of worker processes (this binary re-executed), tasks and results serialised as JSON over pipes"
}

// taskMsg is what the parent sends a worker: one task.
type taskMsg struct {
	I       int    `json:"i"`
	Steps   []Step `json:"steps"`
	Payload []byte `json:"payload,omitempty"`
	// Trace asks for the CPU steps' scheduling (clockBurn).
	Trace bool `json:"trace,omitempty"`
}

// resultMsg is what a worker sends back: its hello (I < 0) or one task's
// outcome, with times on CLOCK_MONOTONIC.
type resultMsg struct {
	I        int       `json:"i"`
	PID      int       `json:"pid,omitempty"`
	Start    int64     `json:"start,omitempty"`
	End      int64     `json:"end,omitempty"`
	CPU      int64     `json:"cpu_ns,omitempty"`
	Segments []monoSeg `json:"segments,omitempty"`
	// Sched is the CPU steps' scheduling, asked for by taskMsg.Trace, and
	// Edge how far an edge of it may be off (clockBurn), in ns.
	Sched []monoSeg `json:"sched,omitempty"`
	Edge  int64     `json:"edge_ns,omitempty"`
	// Decode is the worker's time to decode the task. Encode, the time it
	// took to encode a result, comes in a trailer line after the result.
	Decode  int64  `json:"decode_ns,omitempty"`
	Encode  int64  `json:"encode_ns,omitempty"`
	Payload []byte `json:"payload,omitempty"`
	// RawLen is the length of a result sent raw after the trailer line: an
	// Encode step's JSON (see sendRaw).
	RawLen int `json:"raw_len,omitempty"`
	// PeakRSS, in the trailer, is the worker's own peak resident memory
	// so far (see workerPeak).
	PeakRSS int64   `json:"peak_rss,omitempty"`
	Err     string  `json:"error,omitempty"`
	ErrKind ErrKind `json:"error_kind,omitempty"`
}

type monoSeg struct {
	Kind  Kind  `json:"kind"`
	Start int64 `json:"start"`
	End   int64 `json:"end"`
}

// workerProc is the parent's handle on one worker.
type workerProc struct {
	child *proc.Child
	in    io.WriteCloser // the worker's task pipe
	out   *bufio.Reader  // the worker's result pipe
	outF  *os.File
	stat  WorkerStat
	spawn time.Time
	edge  time.Duration // the largest Edge of its traced results
}

// Run is a ProcessPoolExecutor: Concurrency worker processes are started
// and must all say hello before the clock starts (their start-up is Setup,
// reported apart); then tasks are submitted at once and each worker takes
// the next task when it returns a result.
func (m processes) Run(parent context.Context, tasks []Task, cfg Config) (*Run, error) {
	exe, err := planProcesses(tasks, cfg)
	if err != nil {
		return nil, err
	}
	// ctx ends when the caller cancels or when a worker fails.
	ctx, cancel := context.WithCancel(parent)
	defer cancel()

	setup0 := time.Now()
	procs := make([]*workerProc, cfg.Concurrency)
	killAll := killOnce(procs)
	stop := context.AfterFunc(ctx, killAll)
	defer stop()
	// Whatever happened, no worker outlives Run.
	defer reapAll(procs, killAll)

	if err := spawnPool(parent, cancel, exe, procs); err != nil {
		return nil, err
	}
	setup := time.Since(setup0)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("processes: stopped while starting workers: %w", err)
	}

	r := newRecorder(tasks, cfg)
	r.clocked = cfg.Trace
	serialise, failures := runPool(ctx, cancel, r, procs, tasks)
	if err := parent.Err(); err != nil {
		return nil, r.cancelled(m.Name(), err)
	}
	select {
	case err := <-failures:
		return nil, fmt.Errorf("processes: %w", err)
	default:
	}
	if err := closePool(procs); err != nil {
		return nil, err
	}
	run := r.finish(m.Name(), cfg)
	run.Totals.Setup = setup
	poolTotals(run, procs, serialise, cfg.Trace)
	return run, nil
}

// planProcesses checks the tasks and the configuration against the pool's
// bounds and finds this program, which each worker re-executes.
func planProcesses(tasks []Task, cfg Config) (string, error) {
	if err := validate(tasks, cfg); err != nil {
		return "", err
	}
	if cfg.Concurrency > MaxWorkers {
		return "", fmt.Errorf("processes: concurrency must be at most %d worker processes, got %d", MaxWorkers, cfg.Concurrency)
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("processes: find this program to re-execute: %w", err)
	}
	return exe, nil
}

// killOnce returns a function that kills every started worker of procs,
// the first time it is called.
func killOnce(procs []*workerProc) func() {
	var kill sync.Once
	return func() {
		kill.Do(func() {
			for _, p := range procs {
				if p != nil {
					p.child.Kill(syscall.SIGKILL)
				}
			}
		})
	}
}

// reapAll closes every started worker's task pipe and reaps it, killing
// all of them if one has not exited within reap's grace.
func reapAll(procs []*workerProc, killAll func()) {
	for _, p := range procs {
		if p == nil {
			continue
		}
		_ = p.in.Close()
	}
	for _, p := range procs {
		if p != nil {
			p.reap(killAll)
		}
	}
}

// spawnPool starts all workers of procs at once and waits for every
// hello; on failure it cancels the run and says why (the caller's
// cancellation first).
func spawnPool(parent context.Context, cancel context.CancelFunc, exe string, procs []*workerProc) error {
	errs := make(chan error, len(procs))
	for w := range procs {
		p, err := startWorker(exe)
		if err != nil {
			cancel()
			return fmt.Errorf("processes: start worker %d: %w", w, err)
		}
		procs[w] = p
		go func() { errs <- p.awaitHello(w) }()
	}
	for range procs {
		if err := <-errs; err != nil {
			cancel()
			if perr := parent.Err(); perr != nil {
				return fmt.Errorf("processes: stopped while starting workers: %w", perr)
			}
			return fmt.Errorf("processes: %w", err)
		}
	}
	return nil
}

// runPool starts the clock, queues every task at once and lets each worker
// take the next task when it has returned a result, until the queue is
// empty or ctx ends. It returns each worker's serialisation time and the
// workers' failures (a failure cancels the run).
func runPool(ctx context.Context, cancel context.CancelFunc, r *recorder, procs []*workerProc, tasks []Task) (*[MaxWorkers]time.Duration, chan error) {
	payloads := makePayloads(tasks)
	queue := make(chan int, len(tasks))
	r.begin()
	mono0 := measure.Mono()
	for i := range tasks {
		r.queued(i)
		queue <- i
	}
	close(queue)

	var wg sync.WaitGroup
	var serialise [MaxWorkers]time.Duration
	failures := make(chan error, len(procs))
	for w, p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range queue {
				if ctx.Err() != nil {
					return
				}
				d, err := dispatch(r, mono0, p, w, i, tasks[i], payloads[i])
				serialise[w] += d
				if err != nil {
					failures <- fmt.Errorf("worker %d (pid %d): %w", w, p.child.Pid(), err)
					cancel()
					return
				}
				p.stat.Tasks++
			}
		}()
	}
	wg.Wait()
	return &serialise, failures
}

// closePool closes the task pipes and reaps the workers before the books
// close, so their CPU time is counted among this process's children, and
// takes each worker's peak memory.
func closePool(procs []*workerProc) error {
	for _, p := range procs {
		_ = p.in.Close()
	}
	for _, p := range procs {
		if err := p.child.Wait(); err != nil {
			return fmt.Errorf("processes: worker pid %d: %w", p.child.Pid(), err)
		}
		// The worker's own report (workerPeak); rusage's ru_maxrss is only a
		// fallback, since it includes the parent's resident memory at the
		// moment of the exec.
		if ru, ok := p.child.Cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && p.stat.PeakRSS == 0 {
			p.stat.PeakRSS = ru.Maxrss * 1024
		}
	}
	return nil
}

// poolTotals adds the workers' stats, their serialisation time and, when
// traced, the trace's resolution (the coarsest of the clock's and the
// workers' edges) to run.
func poolTotals(run *Run, procs []*workerProc, serialise *[MaxWorkers]time.Duration, trace bool) {
	if trace {
		run.Trace = &TraceInfo{Source: TraceClock, Resolution: clockResolution()}
		for _, p := range procs {
			run.Trace.Resolution = max(run.Trace.Resolution, p.edge)
		}
	}
	for w, p := range procs {
		run.Workers = append(run.Workers, p.stat)
		run.Totals.Serialise += serialise[w]
	}
}

// awaitHello waits for worker w's first message, which says it is ready,
// and records its spawn time.
func (p *workerProc) awaitHello(w int) error {
	var hello resultMsg
	if err := readMsg(p.out, &hello); err != nil {
		return fmt.Errorf("worker %d (pid %d) did not start: %w", w, p.child.Pid(), err)
	}
	p.stat.Spawn = time.Since(p.spawn)
	return nil
}

// startWorker starts one worker: this executable with workerEnv set, its
// task pipe on fd 3 and its result pipe on fd 4, in its own process group
// (so a terminal's Ctrl-C reaches the parent, which kills it) and with a
// parent-death signal (so it dies if the parent is killed outright).
func startWorker(exe string) (*workerProc, error) {
	taskR, taskW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	resR, resW, err := os.Pipe()
	if err != nil {
		taskR.Close()
		taskW.Close()
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = cleanEnviron(workerEnv)
	cmd.Stdin = nil
	cmd.Stdout = nil
	cmd.Stderr = os.Stderr
	cmd.ExtraFiles = []*os.File{taskR, resW}
	spawn := time.Now()
	child, err := proc.Start(cmd, syscall.SIGKILL)
	taskR.Close()
	resW.Close()
	if err != nil {
		taskW.Close()
		resR.Close()
		return nil, err
	}
	p := &workerProc{child: child, in: taskW, out: bufio.NewReaderSize(resR, 1<<16), outF: resR, spawn: spawn}
	p.stat.PID = child.Pid()
	return p, nil
}

// reap waits for the worker to exit, calling kill if it has not within
// two seconds.
func (p *workerProc) reap(kill func()) {
	done := make(chan struct{})
	go func() { _ = p.child.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		kill()
		<-done
	}
}

// dispatch sends task i to worker p, waits for its result and records the
// span. It returns the serialisation time spent on both sides.
func dispatch(r *recorder, mono0 int64, p *workerProc, w, i int, t Task, payload []byte) (time.Duration, error) {
	r.started(i, w)
	start := r.now()
	b, err := json.Marshal(taskMsg{I: i, Steps: t.Steps, Payload: payload, Trace: r.clocked})
	if err != nil {
		return 0, fmt.Errorf("encode task %d: %w", i, err)
	}
	enc := r.now() - start
	r.segment(i, KindSerialise, start)
	if _, err := p.in.Write(append(b, '\n')); err != nil {
		return enc, fmt.Errorf("send task %d: %w", i, err)
	}
	var res, trailer resultMsg
	line, err := p.out.ReadBytes('\n')
	if err != nil {
		return enc, fmt.Errorf("read result of task %d: %w", i, err)
	}
	decStart := r.now()
	if err := json.Unmarshal(line, &res); err != nil {
		return enc, fmt.Errorf("decode result of task %d: %w", i, err)
	}
	dec := r.now() - decStart
	if err := readMsg(p.out, &trailer); err != nil {
		return enc, fmt.Errorf("read result trailer of task %d: %w", i, err)
	}
	res.Encode = trailer.Encode
	p.stat.PeakRSS = max(p.stat.PeakRSS, trailer.PeakRSS)
	if _, err := readRaw(p.out, res.RawLen); err != nil {
		return enc, fmt.Errorf("read raw result of task %d: %w", i, err)
	}
	dec = r.now() - decStart
	off := func(mono int64) time.Duration { return time.Duration(mono - mono0) }
	r.spans[i].Segments = append(r.spans[i].Segments, onTimeline(res.Segments, off)...)
	r.spans[i].Sched = append(r.spans[i].Sched, onTimeline(res.Sched, off)...)
	p.edge = max(p.edge, time.Duration(res.Edge))
	r.spans[i].CPU = time.Duration(res.CPU)
	// The result's serialisation: the worker's encoding, the pipe, and the
	// parent's decoding.
	r.spans[i].Segments = append(r.spans[i].Segments, Segment{Kind: KindSerialise, Start: off(res.End), End: decStart + dec})
	var terr error
	if res.Err != "" {
		terr = kindError(res.ErrKind, res.Err)
	}
	r.ended(i, terr)
	return enc + dec + time.Duration(res.Decode+res.Encode), nil
}

// makePayloads builds each task's argument: Payload random bytes.
func makePayloads(tasks []Task) [][]byte {
	out := make([][]byte, len(tasks))
	rng := rand.New(rand.NewPCG(1, 2))
	for i, t := range tasks {
		if t.Payload == 0 {
			continue
		}
		b := make([]byte, t.Payload)
		for k := range b {
			b[k] = byte(rng.Uint32())
		}
		out[i] = b
	}
	return out
}

func readMsg(r *bufio.Reader, v any) error {
	line, err := r.ReadBytes('\n')
	if err != nil {
		return err
	}
	return json.Unmarshal(line, v)
}
