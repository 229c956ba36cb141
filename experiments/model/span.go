package model

import (
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
)

// Segment kinds beyond the step kinds: time a thread spent waiting to take
// the GIL, and time spent serialising a task or result for a pipe.
const (
	KindGIL       Kind = "gil-wait"
	KindSerialise Kind = "serialise"
)

// Scheduling kinds, the segments of Span.Sched: inside a CPU step, when the
// task's goroutine or thread was on a CPU, and when it was ready to run but
// waiting for one (runnable: the scheduler had no CPU free for it).
const (
	KindOnCPU    Kind = "on-cpu"
	KindRunnable Kind = "runnable"
)

// Segment is a stretch of time inside a task: a step running, or the task
// waiting for the GIL. Times are offsets from the run's start.
type Segment struct {
	Kind  Kind          `json:"kind"`
	Start time.Duration `json:"start_ns"`
	End   time.Duration `json:"end_ns"`
}

// Span is what happened to one task. Times are offsets from the run's start.
type Span struct {
	Task int `json:"task"`
	// Worker is the thread, process or semaphore slot that ran the task.
	Worker int `json:"worker"`
	// Queued is when the task was created or submitted.
	Queued time.Duration `json:"queued_ns"`
	// Start is when it began to run (got a worker or a semaphore slot).
	Start time.Duration `json:"start_ns"`
	// End is when it finished.
	End time.Duration `json:"end_ns"`
	// CPU is the CPU time its steps used, read from the running thread's
	// clock. It is zero on the goroutines model, where a task has no thread
	// of its own (see compute).
	CPU      time.Duration `json:"cpu_ns"`
	Segments []Segment     `json:"segments,omitempty"`
	// Sched, in a traced run (Config.Trace), splits the task's CPU steps
	// into when its goroutine or thread was on a CPU (KindOnCPU) and when
	// it was runnable, waiting for a CPU (KindRunnable), in time order; a
	// stretch of a step in neither (a goroutine blocked by the garbage
	// collector, say) has no segment here. Run.Trace says where it came
	// from. Empty in a run that was not traced, and in results saved before
	// it existed.
	Sched []Segment `json:"sched,omitempty"`
	// Err says why the task did not complete, if it did not.
	Err string `json:"error,omitempty"`
	// ErrKind classifies Err for counting: see ErrKind.
	ErrKind ErrKind `json:"error_kind,omitempty"`
}

// Latency is the time from queued to done.
func (s Span) Latency() time.Duration { return s.End - s.Queued }

// LagSample is one heartbeat of an event loop: a timer due At fired Lag late.
type LagSample struct {
	At  time.Duration `json:"at_ns"`
	Lag time.Duration `json:"lag_ns"`
}

// WorkerStat describes one worker process.
type WorkerStat struct {
	PID int `json:"pid"`
	// Spawn is the time from starting the process to its first message.
	Spawn time.Duration `json:"spawn_ns"`
	// PeakRSS is the worker's peak resident memory in bytes.
	PeakRSS int64 `json:"peak_rss_bytes"`
	Tasks   int   `json:"tasks"`
}

// Totals are the batch-level measurements of a run.
type Totals struct {
	// Wall is the time from the first task's submission to the last task's
	// end. Setup that happens before any task can run (spawning worker
	// processes; starting the Python interpreter) is not in it, but in
	// Setup.
	Wall  time.Duration `json:"wall_ns"`
	Setup time.Duration `json:"setup_ns"`
	// CPUUser and CPUSys are the process's CPU time during Wall, worker
	// processes included.
	CPUUser time.Duration `json:"cpu_user_ns"`
	CPUSys  time.Duration `json:"cpu_sys_ns"`
	// TaskCPU is the sum of the spans' CPU time.
	TaskCPU time.Duration `json:"task_cpu_ns"`
	// PeakRSS is this process's peak resident memory during the run, in bytes
	// (worker processes' peaks are in Run.Workers).
	PeakRSS int64 `json:"peak_rss_bytes"`
	// StartRSS is this process's resident memory as the clock started:
	// PeakRSS less StartRSS is what the run added.
	StartRSS int64 `json:"start_rss_bytes,omitempty"`
	// GCCycles and GCPause are the garbage collector's work during the run.
	GCCycles int64         `json:"gc_cycles"`
	GCPause  time.Duration `json:"gc_pause_ns"`
	// PeakLive is the most tasks alive at once (created, not finished);
	// PeakRunning the most holding a worker or slot at once.
	PeakLive    int `json:"peak_live_tasks"`
	PeakRunning int `json:"peak_running_tasks"`
	// Latency summarises each task's time from queued to done.
	Latency measure.Summary `json:"latency"`
	// Failed counts tasks that did not complete; Errors counts them by kind
	// of error (too many open files, refused, timeout, reset, other).
	Failed int             `json:"failed"`
	Errors map[ErrKind]int `json:"errors,omitempty"`
	// Serialise is the total time spent encoding and decoding tasks and
	// results (processes model).
	Serialise time.Duration `json:"serialise_ns,omitempty"`
	// Switches counts GIL hand-overs between threads (gil model), or, on the
	// cpython model's threads, the waits to run found inside CPU steps.
	Switches int64 `json:"gil_switches,omitempty"`
	// OtherCPU is the CPU time the rest of the machine (other processes)
	// used during the run, at /proc/stat's 10 ms resolution: on a shared
	// machine, how much the run had to share its cores.
	OtherCPU time.Duration `json:"other_cpu_ns"`
	// MaxLoopLag is the largest heartbeat lag (eventloop model, cpython
	// asyncio).
	MaxLoopLag time.Duration `json:"max_loop_lag_ns,omitempty"`
}

// CPU is the total CPU time, user and system.
func (t Totals) CPU() time.Duration { return t.CPUUser + t.CPUSys }

// Run is the result of running one batch under one model.
type Run struct {
	Model string `json:"model"`
	// Flavor is the cpython model's mechanism (threads, asyncio, processes);
	// empty for the other models.
	Flavor      string       `json:"flavor,omitempty"`
	Concurrency int          `json:"concurrency"`
	Tasks       int          `json:"tasks"`
	Spans       []Span       `json:"spans"`
	Totals      Totals       `json:"totals"`
	LoopLag     []LagSample  `json:"loop_lag,omitempty"`
	Workers     []WorkerStat `json:"workers,omitempty"`
	// Interpreter is the Python interpreter that ran the batch (cpython
	// model).
	Interpreter *Interpreter `json:"interpreter,omitempty"`
	// Trace, in a traced run (Config.Trace), says where the spans' Sched
	// came from and how exact it is; nil in a run not traced.
	Trace *TraceInfo `json:"trace,omitempty"`
}

// Series is the name a run goes by in results and charts: the model's name,
// and for the cpython model its flavor too ("cpython threads"), since one
// question may run several.
func (r *Run) Series() string {
	return SeriesOf(Name(r.Model), r.Flavor).String()
}
