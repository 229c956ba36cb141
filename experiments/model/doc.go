// Package model runs a batch of tasks under one of four concurrency models,
// or on CPython itself, and records what happened: one span per task (who ran it, when it was
// queued, started and ended, the CPU it used, and the segments of waiting,
// computing and lock-waiting inside it) and the batch's totals.
//
// Each model is a real mechanism, not a formula:
//
//   - goroutines: Go's runtime as it is; CPU steps run in parallel on
//     GOMAXPROCS threads.
//   - gil: OS threads that must hold one global interpreter lock to run CPU
//     steps, as CPython's threads do; a wait releases it, and a holder gives
//     it up after a switch interval when another thread asks for it.
//   - eventloop: one OS thread runs every task; tasks are resumable state on
//     a ready queue and a timer heap, waiting happens in the OS poller, a task
//     yields only at an await point, and a CPU step blocks the whole loop.
//   - processes: real OS worker processes (the running binary re-executed as
//     a worker), with tasks and results serialised across pipes.
//
// And one is the original the others are held to:
//
//   - cpython: the same tasks run by an embedded Python script on a real
//     python3, with ThreadPoolExecutor, asyncio or ProcessPoolExecutor
//     (Config.Flavor), its CPU loop calibrated so that a step of 50 ms
//     computes for 50 ms in Python too. Without a usable interpreter its Run
//     returns an error that errors.Is ErrUnavailable.
//
// A task is a short program of steps, each real work: CPU computes, Wait
// sleeps on a timer without using CPU, Encode serialises a JSON document
// (encoding/json; json.dumps on cpython). On the eventloop model a CPU or
// Encode step may be offloaded to an executor (Step.Offload: Go's threads,
// GIL-sharing threads, or worker processes), as loop.run_in_executor does.
//
// MeasureLive and PythonLive measure what live tasks hold in memory, each
// batch in a fresh process, with a breakdown by allocation site or type.
package model
