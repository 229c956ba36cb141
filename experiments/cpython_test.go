package experiments

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments/model"
)

func needPython(t *testing.T) {
	t.Helper()
	_, err := model.Probe(context.Background(), "")
	if errors.Is(err, model.ErrUnavailable) {
		t.Skipf("no Python: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// Scaling with CPython beside the models, live: it completes with CPython's
// threads and processes as two series, every claim judged (fidelity
// against CPython at 2 and 4 workers), CPython's speedups as measured with
// the calibrated figure beside them, and, where py-spy can sample, CPython's
// GIL seen held by its pool threads. Outcomes are the verdicts' business.
func TestScalingQuickCPython(t *testing.T) {
	needPython(t)
	p := Scaling.Quick()
	p.Models = []string{"cpython", "gil", "processes"}
	p.Payloads = []int{1 << 10, 64 << 10, 256 << 10}
	res, err := Scaling.Run(context.Background(), &p, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkJSON(t, res)
	checkVerdicts(t, &res.Report, Scaling.Claims(), p.Repeat, "parallel-cpu")
	names := map[string]int{}
	for _, pt := range res.Points {
		names[pt.Model]++
		if strings.HasPrefix(pt.Model, "cpython") && (len(pt.Calibrated) != p.Repeat || pt.Slowdown <= 0) {
			t.Errorf("CPython point without its calibrated figure: %+v", pt)
		}
	}
	if names["cpython threads"] != 3 || names["cpython processes"] != 3 || names["gil"] != 3 {
		t.Fatalf("points per series: %v", names)
	}
	if res.Python == nil || res.Python.Version == "" {
		t.Fatalf("python %+v", res.Python)
	}
	for _, id := range []string{"gil-fidelity", "processes-fidelity"} {
		n := 0
		for _, v := range res.Verdicts {
			if v.ClaimID == id {
				n++
				if !strings.Contains(v.Detail, "CPython") || !strings.Contains(v.Detail, "at the calibrated speed") {
					t.Errorf("%s detail %q does not name CPython and its calibrated figure", id, v.Detail)
				}
			}
		}
		if n != 2 { // at 2 and 4 workers
			t.Errorf("%d %s verdicts, want 2", n, id)
		}
	}
	if _, ok := res.Verdict(claimThreadsNoSpeedup.ID, "cpython threads"); !ok {
		t.Error("no threads-no-speedup verdict on CPython's threads")
	}
	g := res.GIL
	if g == nil || g.Model < 0 {
		t.Fatalf("no sampled GIL run: %+v", g)
	}
	if g.Note != "" {
		if _, err := pySpyPath(); err == nil && !strings.Contains(g.Note, "may not trace") {
			t.Fatalf("py-spy is here, yet: %s", g.Note)
		}
		t.Skipf("py-spy: %s", g.Note)
	}
	// The mechanism, whatever the machine's load: one GIL, held by the pool
	// threads while they compute (a thread descheduled by the OS still
	// holds it).
	pool := 0
	for _, th := range g.Threads {
		if strings.HasPrefix(th.Name, "ThreadPoolExecutor") {
			pool++
			if th.GIL == 0 {
				t.Errorf("pool thread %s never held the GIL in %d samples", th.Name, th.Samples)
			}
		}
	}
	if pool != p.SpyThreads || g.Held() < 0.5 || len(g.Samples) < 10 {
		t.Fatalf("%d pool threads, the GIL held in %.0f%% of %d samples; threads %+v", pool, 100*g.Held(), len(g.Samples), g.Threads)
	}
	for _, x := range g.Samples {
		if x.At < 0 || x.At > res.Runs[g.CPython].Totals.Wall {
			t.Fatalf("a sample at %v outside the run", x.At)
		}
	}
	if f := g.Findings(&res.Report); len(f) != 2 {
		t.Fatalf("findings %q", f)
	}
}

// The semaphore with asyncio beside the eventloop model: their runtimes
// agree at every limit of the quick sweep. CPython's own verdicts are
// findings: its cost per task shows at the high limits.
func TestSemaphoreQuickCPython(t *testing.T) {
	needPython(t)
	params := func() SemaphoreParams {
		p := Semaphore.Quick()
		p.Models = []string{"cpython", "eventloop"}
		return p
	}
	res := runQuickWith(t, Semaphore, params, "eventloop-fidelity", "semaphore-sweep/go", "latency-proportional/go")
	checkJSON(t, res)
	v, ok := res.Verdict(claimEventloopFidelity.ID, "eventloop")
	if !ok || !strings.Contains(v.Detail, "by limit: 10: ") {
		t.Fatalf("fidelity verdict %+v", v)
	}
	if len(res.Headline) != 2 || res.Headline[0].Model != "cpython asyncio" {
		t.Fatalf("headline %+v", res.Headline)
	}
}

// async-cpu with asyncio beside the eventloop model, live: asyncio's own
// loop is judged, and the model's lag against it, round by round.
func TestAsyncCPUQuickCPython(t *testing.T) {
	needPython(t)
	p := AsyncCPU.Quick()
	p.Models = []string{"eventloop", "cpython"}
	res, err := AsyncCPU.Run(context.Background(), &p, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkJSON(t, res)
	checkVerdicts(t, &res.Report, AsyncCPU.Claims(), p.Repeat, "parallel-cpu", "threads-no-speedup")
	if len(res.Points) != 2 || res.Points[1].Model != "cpython asyncio" || res.Points[1].MaxLoopLag <= 0 || len(res.Points[1].Calibrated) != p.Repeat {
		t.Fatalf("points %+v", res.Points)
	}
	if v, ok := res.Verdict(claimLagFidelity.ID, "eventloop"); !ok || v.Runs != p.Repeat {
		t.Fatalf("lag fidelity %+v", v)
	}
}

// Without an interpreter the cpython model is skipped with one line, and
// the other models run.
func TestCPythonMissingSkipped(t *testing.T) {
	t.Setenv(model.PythonEnv, "/nonexistent/python3")
	p := AsyncCPU.Defaults()
	p.Tasks, p.CPU, p.Repeat, p.Models = 2, 5*time.Millisecond, 1, []string{"cpython", "eventloop"}
	res, err := AsyncCPU.Run(context.Background(), &p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Points) != 1 || res.Points[0].Model != "eventloop" {
		t.Fatalf("points %+v", res.Points)
	}
	if notes := ownNotes(res.Notes); len(notes) != 1 || strings.Contains(notes[0], "\n") || !strings.HasPrefix(notes[0], "cpython: no interpreter /nonexistent/python3") {
		t.Fatalf("notes %q", res.Notes)
	}
	if _, ok := res.Verdict(claimLagFidelity.ID, "eventloop"); ok {
		t.Fatal("a fidelity verdict without CPython")
	}

	// The --python parameter names it too.
	t.Setenv(model.PythonEnv, "")
	p.Python = "no-such-python3.99"
	res, err = AsyncCPU.Run(context.Background(), &p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if notes := ownNotes(res.Notes); len(notes) != 1 || !strings.Contains(notes[0], "no-such-python3.99") {
		t.Fatalf("notes %q", res.Notes)
	}
}

// A free-threaded interpreter's threads are expected to scale: the
// threads-no-speedup verdict on them says so, parallel-cpu is judged
// instead, and the gil model is not held to them.
func TestFreeThreadedVerdicts(t *testing.T) {
	in := &model.Interpreter{Implementation: "cpython", Version: "3.13.1", FreeThreaded: true, GILEnabled: false}
	p := Scaling.Defaults()
	p.Workers = []int{1, 2}
	res := &ScalingResult{Report: newReport("scaling", "", &p), Cores: 2}
	res.Python = in
	run := res.record("workers=2", &model.Run{Model: "cpython", Flavor: model.FlavorThreads, Interpreter: in})
	res.Points = []ScalingPoint{
		{Model: "cpython threads", Workers: 1, SpeedupCI: SpeedupCI{Speedups: []float64{1}}, Wall: time.Second, Run: run},
		{Model: "cpython threads", Workers: 2, SpeedupCI: SpeedupCI{Speedups: []float64{1.9}}, Ideal: 2, Wall: time.Second / 2, Run: run},
		{Model: "gil", Workers: 1, SpeedupCI: SpeedupCI{Speedups: []float64{1}}, Wall: time.Second, Run: run},
		{Model: "gil", Workers: 2, SpeedupCI: SpeedupCI{Speedups: []float64{1}}, Ideal: 2, Wall: time.Second, Run: run},
	}
	j := judgeScaling(res)
	res.Verdicts, res.Notes = j.verdicts, j.notes
	v, ok := res.Verdict(claimThreadsNoSpeedup.ID, "cpython threads")
	if !ok || v.Holds || !strings.Contains(v.Detail, "without a GIL, so this is expected not to hold") {
		t.Fatalf("threads-no-speedup: %+v", v)
	}
	if v, ok := res.Verdict(claimParallelCPU.ID, "cpython threads"); !ok || !v.Holds {
		t.Fatalf("parallel-cpu: %+v", v)
	}
	if _, ok := res.Verdict(claimGILFidelity.ID, "gil"); ok {
		t.Fatal("the gil model was held to a free-threaded interpreter")
	}
	if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "gil-fidelity not judged") {
		t.Fatalf("notes %q", res.Notes)
	}
}

// Where the eventloop model misses asyncio, the verdict says by how much
// and why: how long each took to start the round's tasks.
func TestEventloopFidelityMiss(t *testing.T) {
	p := Semaphore.Defaults()
	res := &SemaphoreResult{Report: newReport("semaphore", "", &p)}
	run := func(name string, start time.Duration) int {
		r := &model.Run{Model: name}
		for i := range 4 {
			r.Spans = append(r.Spans, model.Span{Task: i, Start: time.Duration(i) * start})
		}
		return res.record("limit=4", r)
	}
	ms := time.Millisecond
	res.Limits = []SemaphorePoint{
		{Model: "eventloop", Tasks: 4, Limit: 4, Runtime: 101 * ms, Walls: []time.Duration{101 * ms}, Ideal: 100 * ms, Runs: []int{run("eventloop", 10*time.Microsecond)}},
		{Model: "cpython asyncio", Tasks: 4, Limit: 4, Runtime: 120 * ms, Walls: []time.Duration{120 * ms}, Ideal: 100 * ms, Runs: []int{run("cpython", 5*ms)}},
	}
	v, ok := res.judgeFidelity()
	if !ok || v.Outcome != DoesNotHold || !strings.Contains(v.Detail, "(-15.8%)") || !strings.Contains(v.Detail, "asyncio had started its first 4 tasks 15 ms after the run began (3.75 ms a task), the model 30 µs") {
		t.Fatalf("verdict %+v", v)
	}
}

// ownNotes are the notes a result has of its own: all but the one saying
// the machine was busy, which a shared machine adds when it is.
func ownNotes(notes []string) []string {
	var out []string
	for _, n := range notes {
		if !strings.HasPrefix(n, busyNote) {
			out = append(out, n)
		}
	}
	return out
}
