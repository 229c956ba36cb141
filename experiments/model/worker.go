package model

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/boundlab/boundlab/experiments/measure"
)

// init turns this process into a worker of the processes model when it was
// started as one. Any program that links this package (the CLI, a test
// binary, a notebook cell's compiled program) can so serve as its own
// worker.
func init() {
	if os.Getenv(workerEnv) != "1" {
		return
	}
	in, out := os.NewFile(3, "tasks"), os.NewFile(4, "results")
	if err := serveWorker(in, out); err != nil {
		fmt.Fprintln(os.Stderr, "boundlab worker:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// serveWorker says hello, then runs tasks from in and writes results to out,
// one JSON line each, until in ends.
func serveWorker(in io.Reader, out io.Writer) error {
	runtime.LockOSThread() // one thread: its CPU clock is the task's CPU
	w := bufio.NewWriter(out)
	send := func(m resultMsg) error {
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		if _, err := w.Write(append(b, '\n')); err != nil {
			return err
		}
		return w.Flush()
	}
	if err := send(resultMsg{I: -1, PID: os.Getpid()}); err != nil {
		return fmt.Errorf("hello: %w", err)
	}
	rd := bufio.NewReaderSize(in, 1<<16)
	for {
		line, err := rd.ReadBytes('\n')
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read task: %w", err)
		}
		d0 := measure.Mono()
		var t taskMsg
		if err := json.Unmarshal(line, &t); err != nil {
			return fmt.Errorf("decode task: %w", err)
		}
		res := resultMsg{I: t.I, Decode: measure.Mono() - d0, Start: measure.Mono()}
		c0 := measure.ThreadCPU()
		var encoded []byte // an Encode step's JSON: the task's result
		for _, s := range t.Steps {
			s0 := measure.Mono()
			switch s.Kind {
			case KindCPU:
				if t.Trace {
					segs, edge := clockBurn(s.Units)
					res.Sched = append(res.Sched, segs...)
					res.Edge = max(res.Edge, int64(edge))
				} else {
					burn(s.Units, 0, nil)
				}
			case KindWait:
				_ = sleep(context.Background(), s.Duration)
			case KindCall:
				res.Err, res.ErrKind = workerCall(s)
			case KindEncode:
				encoded, res.Err = workerEncode(s, &s0)
			default:
				res.Err = fmt.Sprintf("step kind %q not supported by the processes model", s.Kind)
			}
			res.Segments = append(res.Segments, monoSeg{Kind: s.Kind, Start: s0, End: measure.Mono()})
			if res.Err != "" {
				break
			}
		}
		res.CPU = int64(measure.ThreadCPU() - c0)
		res.Payload = t.Payload   // the result: the argument, returned
		res.RawLen = len(encoded) // sent raw, after the trailer
		res.End = measure.Mono()
		// The result, then a trailer line saying how long its encoding took.
		e0 := measure.Mono()
		b, err := json.Marshal(res)
		if err != nil {
			return fmt.Errorf("encode result: %w", err)
		}
		enc := measure.Mono() - e0
		if _, err := w.Write(append(b, '\n')); err != nil {
			return fmt.Errorf("send result: %w", err)
		}
		if err := send(resultMsg{I: t.I, Encode: enc, PeakRSS: workerPeak()}); err != nil {
			return fmt.Errorf("send result: %w", err)
		}
		if err := sendRaw(w, encoded); err != nil {
			return fmt.Errorf("send result: %w", err)
		}
	}
}
