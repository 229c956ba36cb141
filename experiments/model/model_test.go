package model

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/boundlab/boundlab/internal/testlock"
)

func TestMain(m *testing.M) { testlock.Main(m) }

func mustGet(t *testing.T, name Name) Model {
	t.Helper()
	m, err := Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func run(t *testing.T, name Name, tasks []Task, cfg Config) *Run {
	t.Helper()
	r, err := mustGet(t, name).Run(context.Background(), tasks, cfg)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(r.Spans) != len(tasks) {
		t.Fatalf("%s: %d spans for %d tasks", name, len(r.Spans), len(tasks))
	}
	return r
}

func TestRegistry(t *testing.T) {
	want := []string{"cpython", "eventloop", "gil", "goroutines", "processes"}
	if got := Strings(Names()...); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	if _, err := Get("threads"); err == nil || !strings.Contains(err.Error(), "known: cpython, eventloop, gil, goroutines, processes") {
		t.Fatalf("Get(unknown) error = %v", err)
	}
}

func TestInvalidBatch(t *testing.T) {
	for _, name := range Names() {
		m := mustGet(t, name)
		if _, err := m.Run(context.Background(), Repeat(2, NewTask(Wait(time.Millisecond))), Config{Concurrency: 0}); err == nil || !strings.Contains(err.Error(), "concurrency must be at least 1") {
			t.Errorf("%s: concurrency 0: err = %v", name, err)
		}
		if _, err := m.Run(context.Background(), []Task{NewTask(Wait(-time.Second))}, Config{Concurrency: 1}); err == nil || !strings.Contains(err.Error(), "wait must be at least 0") {
			t.Errorf("%s: negative wait: err = %v", name, err)
		}
	}
}

func TestCalibration(t *testing.T) {
	c := Calibrate()
	if c.NsPerUnit <= 0 {
		t.Fatalf("ns per unit = %v", c.NsPerUnit)
	}
	if u := c.UnitsFor(50 * time.Millisecond); u < 1 {
		t.Fatalf("UnitsFor(50ms) = %d", u)
	}
	// A calibrated step really computes for at least the time asked (the
	// calibration takes the fastest trial, so noise can only lengthen it).
	d := 40 * time.Millisecond
	t0 := time.Now()
	burn(c.UnitsFor(d), 0, nil)
	if el := time.Since(t0); el < d*8/10 {
		t.Fatalf("CPUFor(%v) computed for only %v", d, el)
	}
}

// Two gil threads on CPU work finish no faster than 1.2x of one thread doing
// both: the lock serialises them.
func TestGILSerialisesCPU(t *testing.T) {
	tasks := Repeat(2, NewTask(CPUFor(100*time.Millisecond)))
	one := run(t, "gil", tasks, Config{Concurrency: 1})
	two := run(t, "gil", tasks, Config{Concurrency: 2})
	if speedup := float64(one.Totals.Wall) / float64(two.Totals.Wall); speedup > 1.2 {
		t.Fatalf("gil: 2 threads ran %.2fx faster than 1 (%v vs %v); CPU work did not serialise", speedup, two.Totals.Wall, one.Totals.Wall)
	}
	if overlaps(two.Spans, KindCPU, 100*time.Microsecond) {
		t.Fatal("gil: CPU segments of two threads overlap in time")
	}
	// Both threads ran at once, taking turns: hand-overs happened.
	if two.Spans[0].Worker == two.Spans[1].Worker {
		t.Fatal("gil: one thread ran both tasks")
	}
	if two.Totals.Switches < 4 {
		t.Fatalf("gil: %d switches between two CPU-bound threads over 200 ms", two.Totals.Switches)
	}
}

// The holder gives the GIL up after the switch interval, not before: with
// two CPU-bound threads the slices between hand-overs last at least about
// the interval, and a longer interval means fewer switches.
func TestGILSwitchInterval(t *testing.T) {
	tasks := Repeat(2, NewTask(CPUFor(120*time.Millisecond)))
	short := run(t, "gil", tasks, Config{Concurrency: 2, SwitchInterval: 2 * time.Millisecond})
	long := run(t, "gil", tasks, Config{Concurrency: 2, SwitchInterval: 20 * time.Millisecond})
	if short.Totals.Switches <= long.Totals.Switches {
		t.Fatalf("switches: %d at 2 ms, %d at 20 ms; want more at the shorter interval", short.Totals.Switches, long.Totals.Switches)
	}
	var slices []time.Duration
	for _, s := range long.Spans {
		for _, sg := range s.Segments {
			if sg.Kind == KindCPU {
				slices = append(slices, sg.End-sg.Start)
			}
		}
	}
	sort.Slice(slices, func(i, j int) bool { return slices[i] < slices[j] })
	if med := slices[len(slices)/2]; med < 16*time.Millisecond {
		t.Fatalf("median CPU slice %v at a 20 ms switch interval; the holder gave up the GIL early", med)
	}
}

// A wait releases the GIL: five threads each waiting 200 ms finish in about
// 200 ms, not 1 s.
func TestGILReleasesOnWait(t *testing.T) {
	r := run(t, "gil", Repeat(5, NewTask(Wait(200*time.Millisecond))), Config{Concurrency: 5})
	if r.Totals.Wall > 400*time.Millisecond {
		t.Fatalf("gil: 5 threads waiting 200 ms took %v", r.Totals.Wall)
	}
}

// The event loop runs one task's code at a time: no two CPU segments
// overlap, while waits do, and while a task waits the loop runs the
// others' code: read from the spans, in the order things happened, not
// from how long the run took.
func TestEventloopOneAtATime(t *testing.T) {
	task := NewTask(CPUFor(5*time.Millisecond), Wait(30*time.Millisecond), CPUFor(5*time.Millisecond))
	r := run(t, "eventloop", Repeat(10, task), Config{Concurrency: 10})
	if overlaps(r.Spans, KindCPU, 0) {
		t.Fatal("eventloop: CPU segments of different tasks overlap")
	}
	if !overlaps(r.Spans, KindWait, 0) {
		t.Fatal("eventloop: waits did not overlap")
	}
	// The first task's wait starts when its first step ends; the loop
	// then runs the next task's first step before that wait is over.
	inside := 0
	for _, w := range r.Spans {
		for _, ws := range w.Segments {
			if ws.Kind != KindWait {
				continue
			}
			for _, o := range r.Spans {
				for _, cs := range o.Segments {
					if o.Task != w.Task && cs.Kind == KindCPU && cs.Start >= ws.Start && cs.End <= ws.End {
						inside++
					}
				}
			}
		}
	}
	if inside == 0 {
		t.Fatal("eventloop: no task computed while another waited: the loop waited with it")
	}
}

// A CPU step blocks the loop: the heartbeat comes late by about the step.
func TestEventloopLag(t *testing.T) {
	step := 60 * time.Millisecond
	r := run(t, "eventloop", Repeat(3, NewTask(Wait(15*time.Millisecond), CPUFor(step))), Config{Concurrency: 1})
	if r.Totals.MaxLoopLag < step*9/10 {
		t.Fatalf("eventloop: max loop lag %v under %v CPU steps", r.Totals.MaxLoopLag, step)
	}
	if len(r.LoopLag) < 3 {
		t.Fatalf("eventloop: %d lag samples", len(r.LoopLag))
	}
}

// Goroutines run CPU steps in parallel where there are cores to do it.
func TestGoroutinesParallel(t *testing.T) { checkParallel(t, "goroutines") }

// eachModel runs f for every model as a subtest; the cpython model's is
// skipped, saying why, where no Python interpreter is found (as the other
// CPython tests are).
func eachModel(t *testing.T, f func(t *testing.T, name Name)) {
	for _, name := range Names() {
		t.Run(string(name), func(t *testing.T) {
			if name == CPython {
				needPython(t)
			}
			f(t, name)
		})
	}
}

// No model runs more tasks at once than its concurrency, and each reaches it.
func TestConcurrencyLimit(t *testing.T) {
	eachModel(t, func(t *testing.T, name Name) {
		r := run(t, name, Repeat(12, NewTask(Wait(20*time.Millisecond))), Config{Concurrency: 3})
		if r.Totals.PeakRunning != 3 {
			t.Errorf("%s: peak running %d, want 3", name, r.Totals.PeakRunning)
		}
		workers := map[int]bool{}
		for _, s := range r.Spans {
			workers[s.Worker] = true
		}
		if len(workers) != 3 {
			t.Errorf("%s: %d workers used, want 3", name, len(workers))
		}
	})
}

// Every model stops promptly when its context is cancelled.
func TestCancel(t *testing.T) {
	eachModel(t, func(t *testing.T, name Name) {
		for _, task := range []Task{NewTask(Wait(time.Minute)), NewTask(CPUFor(time.Minute))} {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			t0 := time.Now()
			_, err := mustGet(t, name).Run(ctx, Repeat(4, task), Config{Concurrency: 2})
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s %s: err = %v, want deadline exceeded", name, task.Steps[0], err)
			}
			if el := time.Since(t0); el > 3*time.Second {
				t.Errorf("%s %s: took %v to stop", name, task.Steps[0], el)
			}
		}
	})
}

// A goroutines batch cancelled while its tasks are still starting their
// waits stops promptly: a task that parks on its timer just after the
// cancellation fired the waiting timers still sees it.
func TestGoroutinesCancelWhileStarting(t *testing.T) {
	tasks := Repeat(2000, NewTask(Wait(time.Hour)))
	for _, after := range []time.Duration{0, 100 * time.Microsecond, 500 * time.Microsecond, 2 * time.Millisecond} {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(after, cancel)
		t0 := time.Now()
		_, err := mustGet(t, "goroutines").Run(ctx, tasks, Config{Concurrency: 2000})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled after %v: err = %v, want context.Canceled", after, err)
		}
		if el := time.Since(t0); el > 5*time.Second {
			t.Errorf("cancelled after %v: took %v to stop", after, el)
		}
		cancel()
	}
}

// children lists the PIDs whose parent is this process.
func children(t *testing.T) []int {
	t.Helper()
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var pids []int
	me := os.Getpid()
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		s := string(b)
		rest := s[strings.LastIndexByte(s, ')')+2:] // "S ppid ..."
		fields := strings.Fields(rest)
		if len(fields) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(fields[1]); ppid == me {
			pid, _ := strconv.Atoi(strings.Fields(s)[0])
			pids = append(pids, pid)
		}
	}
	return pids
}

// Cancelling a processes run kills every worker: none is left running or
// unreaped.
func TestProcessesNoOrphans(t *testing.T) {
	if len(children(t)) != 0 {
		t.Skip("this test process already has children")
	}
	ctx, cancel := context.WithCancel(context.Background())
	seen := make(chan []int, 1)
	go func() {
		for {
			if kids := children(t); len(kids) == 4 {
				seen <- kids
				time.Sleep(100 * time.Millisecond) // let them take tasks
				cancel()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	_, err := mustGet(t, "processes").Run(ctx, Repeat(8, NewTask(Wait(time.Minute))), Config{Concurrency: 4})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	kids := <-seen
	for _, pid := range kids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("worker %d still exists after cancellation (kill 0: %v)", pid, err)
		}
	}
	if left := children(t); len(left) != 0 {
		t.Errorf("children left: %v", left)
	}
}

// A worker that dies mid-run fails the run with an error naming it; the run
// does not hang and the other workers are cleaned up.
func TestProcessesWorkerDies(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() {
		for {
			if kids := children(t); len(kids) == 2 {
				time.Sleep(100 * time.Millisecond)
				_ = syscall.Kill(kids[0], syscall.SIGKILL)
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	_, err := mustGet(t, "processes").Run(ctx, Repeat(4, NewTask(Wait(3*time.Second))), Config{Concurrency: 2})
	if err == nil || !strings.Contains(err.Error(), "worker") {
		t.Fatalf("err = %v, want an error naming the worker", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the run hung until the deadline")
	}
	if left := children(t); len(left) != 0 {
		t.Errorf("children left: %v", left)
	}
}

// The processes model copies payloads both ways: serialisation time grows
// with the payload, and workers report spawn time and memory.
func TestProcessesSerialise(t *testing.T) {
	small := run(t, "processes", Repeat(4, Task{Steps: []Step{CPU(1)}, Payload: 1 << 10}), Config{Concurrency: 2})
	big := run(t, "processes", Repeat(4, Task{Steps: []Step{CPU(1)}, Payload: 4 << 20}), Config{Concurrency: 2})
	if big.Totals.Serialise <= small.Totals.Serialise*10 {
		t.Fatalf("serialise: %v for 1 KiB payloads, %v for 4 MiB", small.Totals.Serialise, big.Totals.Serialise)
	}
	for _, w := range big.Workers {
		if w.Spawn <= 0 || w.PeakRSS <= 0 || w.PID <= 0 {
			t.Fatalf("worker stat %+v", w)
		}
	}
	if big.Totals.Setup <= 0 {
		t.Fatal("no setup time reported")
	}
}

// Processes run CPU work in parallel, and their CPU time (the children's)
// is counted.
func TestProcessesParallel(t *testing.T) {
	r := checkParallel(t, "processes")
	if r.Totals.CPU() < 120*time.Millisecond {
		t.Fatalf("processes: CPU %v for 160 ms of work; children not counted", r.Totals.CPU())
	}
}

// checkParallel checks that model m computes two CPU-bound tasks in
// parallel: their CPU time over the wall time (how many cores the run kept
// busy) is above 1, which no time-slicing of one core can give, where one
// at a time it stays at 1 at most. Overlapping wall intervals would not
// tell: time-slicing on one core overlaps too. A shared machine may deny
// a run its second core for a while, so the best of up to five counts.
func checkParallel(t *testing.T, m Name) *Run {
	t.Helper()
	if runtime.GOMAXPROCS(0) < 2 || runtime.NumCPU() < 2 {
		t.Skip("needs 2 cores")
	}
	cores := func(r *Run) float64 { return float64(r.Totals.CPU()) / float64(r.Totals.Wall) }
	tasks := Repeat(2, NewTask(CPUFor(80*time.Millisecond)))
	if one := run(t, m, tasks, Config{Concurrency: 1}); cores(one) > 1.15 {
		t.Fatalf("%s: one at a time kept %.2f cores busy; the CPU accounting counts more than the tasks", m, cores(one))
	}
	var best *Run
	for range 5 {
		r := run(t, m, tasks, Config{Concurrency: 2})
		if best == nil || cores(r) > cores(best) {
			best = r
		}
		if cores(best) > 1.3 {
			return best
		}
	}
	t.Fatalf("%s: two CPU-bound tasks kept at most %.2f cores busy in five runs (CPU %v in %v): they never computed in parallel",
		m, cores(best), best.Totals.CPU(), best.Totals.Wall)
	return nil
}
