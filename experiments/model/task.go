package model

import (
	"context"
	"fmt"
	"time"
)

// Kind names what a step does.
type Kind string

// The step kinds. CPU computes; Wait waits on a timer, using no CPU.
const (
	KindCPU    Kind = "cpu"
	KindWait   Kind = "wait"
	KindCall   Kind = "call"   // a request over a loopback socket: see Call
	KindEncode Kind = "encode" // JSON-encode a document of Bytes bytes: see Encode
)

// Step is one piece of a task's program.
type Step struct {
	Kind Kind `json:"kind"`
	// Units of deterministic computation (KindCPU). See Units and Calibrate.
	Units int64 `json:"units,omitempty"`
	// Duration of the wait (KindWait); the client-side timeout (KindCall).
	Duration time.Duration `json:"duration_ns,omitempty"`
	// Addr is the server a call connects to, host:port (KindCall).
	Addr string `json:"addr,omitempty"`
	// Bytes is the size of the JSON document to encode (KindEncode).
	Bytes int `json:"bytes,omitempty"`
	// Offload, on a CPU or Encode step, makes the eventloop model hand the
	// step to an executor and await it (see Executor); other models ignore it.
	Offload Executor `json:"offload,omitempty"`
}

// CPU returns a step of n units of computation.
func CPU(n int64) Step { return Step{Kind: KindCPU, Units: n} }

// CPUFor returns a step that computes for about d on this machine, using the
// calibration (see Calibrate).
func CPUFor(d time.Duration) Step { return CPU(Calibrate().UnitsFor(d)) }

// Wait returns a step that waits d without using CPU, the lecture's simulated
// I/O.
func Wait(d time.Duration) Step { return Step{Kind: KindWait, Duration: d} }

// String describes the step for error messages and listings.
func (s Step) String() string {
	switch s.Kind {
	case KindCPU:
		return fmt.Sprintf("cpu(%d units)", s.Units)
	case KindWait:
		return fmt.Sprintf("wait(%s)", s.Duration)
	case KindCall:
		return fmt.Sprintf("call(%s, timeout %s)", s.Addr, s.Duration)
	case KindEncode:
		return encodeString(s)
	}
	return string(s.Kind)
}

// Task is a short program of steps. Payload is the size in bytes of the
// task's argument and of its result: the processes model copies both across
// a pipe, serialised; the in-process models share them by reference.
type Task struct {
	Steps   []Step `json:"steps"`
	Payload int    `json:"payload_bytes,omitempty"`
}

// NewTask returns a task running steps in order.
func NewTask(steps ...Step) Task { return Task{Steps: steps} }

// Repeat returns n copies of t.
func Repeat(n int, t Task) []Task {
	ts := make([]Task, n)
	for i := range ts {
		ts[i] = t
	}
	return ts
}

// validate checks a batch before a model runs it.
func validate(tasks []Task, cfg Config) error {
	if cfg.Concurrency < 1 {
		return fmt.Errorf("concurrency must be at least 1, got %d", cfg.Concurrency)
	}
	if cfg.Concurrency > MaxConcurrency {
		return fmt.Errorf("concurrency must be at most %d, got %d", MaxConcurrency, cfg.Concurrency)
	}
	for i, t := range tasks {
		if t.Payload < 0 {
			return fmt.Errorf("task %d: payload must be at least 0 bytes, got %d", i, t.Payload)
		}
		for j, s := range t.Steps {
			switch s.Kind {
			case KindCPU:
				if s.Units < 0 {
					return fmt.Errorf("task %d step %d: cpu units must be at least 0, got %d", i, j, s.Units)
				}
			case KindWait:
				if s.Duration < 0 {
					return fmt.Errorf("task %d step %d: wait must be at least 0, got %s", i, j, s.Duration)
				}
			case KindCall:
				if err := validateCall(s); err != nil {
					return fmt.Errorf("task %d step %d: %w", i, j, err)
				}
			case KindEncode:
				if err := validateEncode(s); err != nil {
					return fmt.Errorf("task %d step %d: %w", i, j, err)
				}
			default:
				return fmt.Errorf("task %d step %d: unknown step kind %q", i, j, s.Kind)
			}
			if err := validateOffload(s); err != nil {
				return fmt.Errorf("task %d step %d: %w", i, j, err)
			}
		}
	}
	return nil
}

// sleep is a Wait step on the calling goroutine (the gil model's threads
// and the worker processes' too): it waits d, or until ctx is done.
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
