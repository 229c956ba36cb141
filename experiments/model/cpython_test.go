package model

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/boundlab/boundlab/internal/proc"
)

// needPython skips the test where no python3 is present. On this project's
// machines (and wherever Jupyter runs) one is.
func needPython(t *testing.T) *Interpreter {
	t.Helper()
	in, err := Probe(context.Background(), "")
	if errors.Is(err, ErrUnavailable) {
		t.Skipf("no Python: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func runPy(t *testing.T, flavor string, tasks []Task, conc int) *Run {
	t.Helper()
	return run(t, "cpython", tasks, Config{Concurrency: conc, Flavor: flavor})
}

func TestCPythonProbe(t *testing.T) {
	in := needPython(t)
	if in.Implementation == "" || in.Version == "" || in.Executable == "" || in.NsPerRound <= 0 || in.SwitchInterval <= 0 {
		t.Fatalf("interpreter facts %+v", in)
	}
	if in.FreeThreaded && in.GILEnabled {
		t.Logf("free-threaded build running with the GIL on: %s", in)
	}
	if !strings.Contains(in.String(), in.Version) {
		t.Fatalf("String() = %q", in.String())
	}
	t.Logf("%s: %.0f ns per round, slowest trial %.0f (Go: %.2f ns per round)", in, in.NsPerRound, in.SlowestNsPerRound, Calibrate().NsPerUnit/roundsPerUnit)
}

// A missing interpreter is one clear line, and errors.Is ErrUnavailable.
func TestCPythonUnavailable(t *testing.T) {
	tasks := []Task{NewTask(Wait(time.Millisecond))}
	t.Run("empty PATH", func(t *testing.T) {
		t.Setenv("PATH", "")
		t.Setenv(PythonEnv, "")
		_, err := mustGet(t, "cpython").Run(context.Background(), tasks, Config{Concurrency: 1})
		want := "cpython: no python3 on PATH (set BOUNDLAB_PYTHON to an interpreter)"
		if err == nil || err.Error() != want || !errors.Is(err, ErrUnavailable) {
			t.Fatalf("err = %v, want %q", err, want)
		}
	})
	t.Run("BOUNDLAB_PYTHON missing", func(t *testing.T) {
		t.Setenv(PythonEnv, "/nonexistent/python3")
		_, err := mustGet(t, "cpython").Run(context.Background(), tasks, Config{Concurrency: 1})
		if err == nil || !errors.Is(err, ErrUnavailable) || strings.Contains(err.Error(), "\n") ||
			!strings.Contains(err.Error(), "/nonexistent/python3") || !strings.Contains(err.Error(), "$BOUNDLAB_PYTHON") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("not a python", func(t *testing.T) {
		// An executable that is not Python fails the probe: unavailable too.
		fake := filepath.Join(t.TempDir(), "python3")
		if err := os.WriteFile(fake, []byte("#!/bin/sh\necho 'not python' >&2\nexit 3\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		_, err := mustGet(t, "cpython").Run(context.Background(), tasks, Config{Concurrency: 1, Python: fake})
		if err == nil || !errors.Is(err, ErrUnavailable) || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "not python") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestCPythonBadFlavor(t *testing.T) {
	_, err := mustGet(t, "cpython").Run(context.Background(), []Task{NewTask(Wait(time.Millisecond))}, Config{Concurrency: 1, Flavor: "greenlets"})
	if err == nil || !strings.Contains(err.Error(), `unknown flavor "greenlets" (known: threads, asyncio, processes)`) {
		t.Fatalf("err = %v", err)
	}
}

// "50 ms of CPU" computes for about 50 ms in Python too.
func TestCPythonCalibration(t *testing.T) {
	needPython(t)
	for _, flavor := range Flavors() {
		var best time.Duration
		for attempt := 0; attempt < 3; attempt++ {
			r := runPy(t, flavor, []Task{NewTask(CPUFor(50 * time.Millisecond))}, 1)
			sg := r.Spans[0].Segments
			if len(sg) != 1 || sg[0].Kind != KindCPU {
				t.Fatalf("%s: segments %+v", flavor, sg)
			}
			d := sg[0].End - sg[0].Start
			if best == 0 || d < best {
				best = d
			}
			if r.Spans[0].CPU < 30*time.Millisecond {
				t.Fatalf("%s: task CPU %v for a 50 ms step", flavor, r.Spans[0].CPU)
			}
		}
		if best < 40*time.Millisecond || best > 80*time.Millisecond {
			t.Errorf("%s: a 50 ms CPU step computed for %v", flavor, best)
		}
	}
}

// Python threads hold the GIL to compute: two threads take as long as one
// doing both, their CPU never overlaps, and they take turns.
func TestCPythonThreadsGIL(t *testing.T) {
	in := needPython(t)
	if in.GILFree() {
		t.Skipf("%s runs threads without a GIL", in)
	}
	tasks := Repeat(4, NewTask(CPUFor(40*time.Millisecond)))
	// The interpreter's speed swings on a shared machine: each run's wall is
	// taken per second of the CPU its tasks used (the same work in both),
	// and the best of three runs of each, interleaved, is compared.
	perCPU := func(r *Run) float64 { return float64(r.Totals.Wall) / float64(r.Totals.TaskCPU) }
	var one, two *Run
	for range 3 {
		if r := runPy(t, FlavorThreads, tasks, 1); one == nil || perCPU(r) < perCPU(one) {
			one = r
		}
		if r := runPy(t, FlavorThreads, tasks, 2); two == nil || perCPU(r) < perCPU(two) {
			two = r
		}
	}
	if s := perCPU(one) / perCPU(two); s > 1.2 {
		t.Fatalf("2 Python threads ran %.2fx faster than 1 (%v vs %v)", s, two.Totals.Wall, one.Totals.Wall)
	}
	// Whatever the machine's speed, the threads' CPU time fits in the wall
	// time once: one thread computes at a time.
	if p := float64(two.Totals.TaskCPU) / float64(two.Totals.Wall); p > 1.1 {
		t.Fatalf("2 Python threads used %.2f s of CPU per second", p)
	}
	if overlaps(two.Spans, KindCPU, 500*time.Microsecond) {
		t.Fatal("CPU segments of two Python threads overlap")
	}
	if two.Totals.Switches < 4 || !hasKind(two.Spans, KindGIL) {
		t.Fatalf("%d GIL waits found between two CPU-bound threads", two.Totals.Switches)
	}
	if hasKind(one.Spans, KindGIL) {
		t.Fatal("a GIL wait recorded with one thread")
	}
	if two.Totals.PeakRunning != 2 || workerCount(two) != 2 || two.Interpreter == nil || two.Flavor != FlavorThreads {
		t.Fatalf("peak running %d, %d workers, interpreter %v, flavor %q", two.Totals.PeakRunning, workerCount(two), two.Interpreter, two.Flavor)
	}
	checkSpans(t, two)
}

// Waits overlap in every flavor: five tasks waiting 100 ms take about
// 100 ms, and use next to no CPU.
func TestCPythonWaitsOverlap(t *testing.T) {
	needPython(t)
	for _, flavor := range Flavors() {
		r := runPy(t, flavor, Repeat(5, NewTask(Wait(100*time.Millisecond))), 5)
		if r.Totals.Wall < 100*time.Millisecond || r.Totals.Wall > 250*time.Millisecond {
			t.Errorf("%s: 5 waits of 100 ms at once took %v", flavor, r.Totals.Wall)
		}
		if !overlaps(r.Spans, KindWait, 0) {
			t.Errorf("%s: waits did not overlap", flavor)
		}
		if r.Series() != "cpython "+flavor {
			t.Errorf("series %q", r.Series())
		}
		checkSpans(t, r)
	}
}

// asyncio runs one task's code at a time, and a CPU step blocks its loop:
// the heartbeat fires late by about the step.
func TestCPythonAsyncio(t *testing.T) {
	needPython(t)
	task := NewTask(CPUFor(5*time.Millisecond), Wait(30*time.Millisecond), CPUFor(5*time.Millisecond))
	r := runPy(t, FlavorAsyncio, Repeat(10, task), 10)
	if overlaps(r.Spans, KindCPU, 0) {
		t.Fatal("asyncio: CPU segments of different tasks overlap")
	}
	if !overlaps(r.Spans, KindWait, 0) {
		t.Fatal("asyncio: waits did not overlap")
	}
	checkSpans(t, r)

	step := 60 * time.Millisecond
	r = runPy(t, FlavorAsyncio, Repeat(3, NewTask(Wait(15*time.Millisecond), CPUFor(step))), 1)
	if r.Totals.MaxLoopLag < step*8/10 || len(r.LoopLag) < 3 {
		t.Fatalf("asyncio: max loop lag %v in %d samples under %v CPU steps", r.Totals.MaxLoopLag, len(r.LoopLag), step)
	}
	for _, l := range r.LoopLag {
		if l.At < 0 || l.At > r.Totals.Wall || l.Lag < 0 {
			t.Fatalf("lag sample %+v outside the run (wall %v)", l, r.Totals.Wall)
		}
	}
}

// ProcessPoolExecutor computes in parallel, reports its workers, and its
// start-up is setup, not wall.
func TestCPythonProcesses(t *testing.T) {
	needPython(t)
	r := runPy(t, FlavorProcesses, Repeat(4, NewTask(CPUFor(60*time.Millisecond))), 2)
	if runtime.NumCPU() >= 2 && !overlaps(r.Spans, KindCPU, 0) {
		t.Fatal("processes: CPU never ran in parallel")
	}
	if len(r.Workers) != 2 || r.Totals.Setup <= 0 {
		t.Fatalf("workers %+v, setup %v", r.Workers, r.Totals.Setup)
	}
	tasks := 0
	for _, w := range r.Workers {
		if w.PID <= 0 || w.PID == os.Getpid() || w.PeakRSS <= 0 {
			t.Fatalf("worker %+v", w)
		}
		tasks += w.Tasks
	}
	if tasks != 4 || r.Totals.CPU() < 150*time.Millisecond {
		t.Fatalf("workers ran %d tasks; CPU %v for 240 ms of work", tasks, r.Totals.CPU())
	}
	checkSpans(t, r)
}

// Progress is reported, and reaches the batch size.
func TestCPythonProgress(t *testing.T) {
	needPython(t)
	var last, total int
	cfg := Config{Concurrency: 4, Flavor: FlavorAsyncio, Progress: func(d, n int) { last, total = d, n }}
	if _, err := mustGet(t, "cpython").Run(context.Background(), Repeat(20, NewTask(Wait(5*time.Millisecond))), cfg); err != nil {
		t.Fatal(err)
	}
	if last != 20 || total != 20 {
		t.Fatalf("last progress %d of %d", last, total)
	}
}

// A batch that would hang (a wait of an hour) is killed at the deadline,
// in every flavor, with every process it started: the interpreter and
// multiprocessing's workers.
func TestCPythonDeadlineKillsAll(t *testing.T) {
	needPython(t)
	for _, c := range []struct {
		flavor string
		task   Task
	}{
		{FlavorProcesses, NewTask(Wait(time.Hour))},
		{FlavorThreads, NewTask(CPUFor(time.Hour))},
		{FlavorAsyncio, NewTask(Wait(time.Hour))},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		seen := make(chan []int, 1)
		go func() {
			// Remember every descendant seen while the run is under way.
			all := map[int]bool{}
			for ctx.Err() == nil {
				for _, p := range proc.Descendants(os.Getpid()) {
					all[p] = true
				}
				time.Sleep(20 * time.Millisecond)
			}
			var pids []int
			for p := range all {
				pids = append(pids, p)
			}
			seen <- pids
		}()
		t0 := time.Now()
		_, err := mustGet(t, "cpython").Run(ctx, Repeat(4, c.task), Config{Concurrency: 2, Flavor: c.flavor})
		el := time.Since(t0)
		cancel()
		pids := <-seen
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "stopped after 0 of 4 tasks") {
			t.Errorf("%s: err = %v, want deadline exceeded after 0 of 4 tasks", c.flavor, err)
		}
		if el > 4*time.Second {
			t.Errorf("%s: took %v to stop", c.flavor, el)
		}
		want := 1
		if c.flavor == FlavorProcesses {
			want = 3 // the interpreter and two workers, at least
		}
		if len(pids) < want {
			t.Errorf("%s: saw %d processes during the run, want at least %d", c.flavor, len(pids), want)
		}
		deadline := time.Now().Add(2 * time.Second)
		for _, p := range pids {
			for alive(p) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if alive(p) {
				t.Errorf("%s: process %d outlived the run", c.flavor, p)
			}
		}
	}
}

// checkSpans checks what every run's spans must satisfy: each task queued,
// started and ended in that order inside the run, on a worker, with its
// segments inside it.
func checkSpans(t *testing.T, r *Run) {
	t.Helper()
	for _, s := range r.Spans {
		if s.Err != "" || s.Worker < 0 || s.Queued < 0 || s.Start < s.Queued || s.End < s.Start || s.End > r.Totals.Wall {
			t.Fatalf("%s: span %+v (wall %v)", r.Series(), s, r.Totals.Wall)
		}
		for _, g := range s.Segments {
			if g.Start < s.Start || g.End > s.End || g.End < g.Start {
				t.Fatalf("%s: segment %+v outside span %d [%v, %v]", r.Series(), g, s.Task, s.Start, s.End)
			}
		}
	}
	if r.Totals.Latency.N != len(r.Spans) {
		t.Fatalf("%s: latency summary of %d, want %d", r.Series(), r.Totals.Latency.N, len(r.Spans))
	}
}

func hasKind(spans []Span, k Kind) bool {
	for _, s := range spans {
		for _, g := range s.Segments {
			if g.Kind == k {
				return true
			}
		}
	}
	return false
}

func workerCount(r *Run) int {
	ws := map[int]bool{}
	for _, s := range r.Spans {
		ws[s.Worker] = true
	}
	return len(ws)
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && len(s) > i+2 && s[i+2] != 'Z'
}
