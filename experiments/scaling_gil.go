package experiments

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/experiments/model"
	"github.com/boundlab/boundlab/experiments/pyprof"
	"github.com/boundlab/boundlab/internal/proc"
	"github.com/boundlab/boundlab/internal/project"
	"github.com/boundlab/boundlab/internal/units"
)

// RealGIL is CPython's GIL as py-spy saw it: one more run of CPython's
// threads, not judged, sampled by py-spy (each sample a dump of every
// thread: running or idle, holding the GIL or not), beside the gil model
// on the same tasks. Where py-spy could not sample, Note says why in one
// line and there are no samples.
type RealGIL struct {
	// Pool is the number of threads; Tasks × CPU the work, enough for
	// py-spy's dumps (tens of milliseconds apart) to find many moments.
	Pool           int           `json:"threads"`
	Tasks          int           `json:"tasks"`
	CPU            time.Duration `json:"cpu_ns"`
	SwitchInterval time.Duration `json:"switch_interval_ns"`
	// CPython and Model index Report.Runs: the sampled CPython run and the
	// gil model's run of the same tasks; -1 where it did not run.
	CPython int `json:"cpython_run"`
	Model   int `json:"model_run"`
	// PySpy is py-spy's version; Interval the sampling interval asked for
	// (a dump takes longer on a busy machine, and the next waits for it).
	PySpy    string        `json:"pyspy_version,omitempty"`
	Interval time.Duration `json:"interval_ns"`
	// Samples are py-spy's dumps taken while the run's tasks ran, their
	// times offsets from the CPython run's start, as its spans' are; End is
	// where the last one's stretch ends. Dropped counts the dumps taken
	// before the run's first task was submitted or after its last ended.
	Samples []pyprof.SpySample `json:"samples,omitempty"`
	End     time.Duration      `json:"end_ns,omitempty"`
	Dropped int                `json:"dropped,omitempty"`
	// Threads sums the samples per thread.
	Threads []pyprof.SpyThread `json:"thread_samples,omitempty"`
	// Note says why py-spy did not sample, where it did not.
	Note string `json:"note,omitempty"`
}

// spyFor is how long the sampled run computes at least: py-spy dumps a
// process every 30 to 50 ms on a busy machine, so a run of a second and a
// half gives it some thirty moments to find.
const spyFor = 1500 * time.Millisecond

// spyInterval is the sampling interval asked of py-spy: shorter than a
// dump takes, so that one follows another.
const spyInterval = 10 * time.Millisecond

// gilPlan is the sampled runs' setting.
type gilPlan struct {
	tasks  []model.Task
	weight float64
}

// spyPlan is the sampled runs' setting, or nil where there are none: no
// CPython threads among the series, SpyThreads 0, or an interpreter
// without a GIL (noted).
func (res *ScalingResult) spyPlan(p *ScalingParams, ss []series) *gilPlan {
	if p.SpyThreads == 0 || !slices.Contains(ss, series{model.CPython, model.FlavorThreads}) {
		return nil
	}
	if res.Python != nil && res.Python.GILFree() {
		res.Notes = append(res.Notes, fmt.Sprintf("py-spy not run: %s runs threads without a GIL, so there is none to see held", pyName(res.Python)))
		return nil
	}
	n := max(p.Tasks, int((spyFor+p.CPU-1)/p.CPU))
	return &gilPlan{tasks: model.Repeat(n, model.NewTask(model.CPUFor(p.CPU))), weight: (time.Duration(n) * p.CPU).Seconds()}
}

// spyGIL runs the plan's tasks on SpyThreads gil threads, then on as many
// CPython threads with py-spy sampling the interpreter, and returns what
// it saw. Where py-spy is missing or may not trace, the result has a Note
// (and the report one line), and the rest of the experiment stands.
func (res *ScalingResult) spyGIL(ctx context.Context, tr *tracker, p *ScalingParams, plan *gilPlan) (*RealGIL, error) {
	g := &RealGIL{Pool: p.SpyThreads, Tasks: len(plan.tasks), CPU: p.CPU, SwitchInterval: p.SwitchInterval,
		CPython: -1, Model: -1, Interval: spyInterval}
	label := fmt.Sprintf("gil timeline, threads=%d", p.SpyThreads)
	cfg := model.Config{Concurrency: p.SpyThreads, SwitchInterval: p.SwitchInterval}
	run, err := runModel(ctx, tr, fmt.Sprintf("%s, %d threads, the tasks py-spy watches on CPython", model.GILThreads, p.SpyThreads), plan.weight, model.GILThreads, plan.tasks, cfg)
	if err != nil {
		return nil, err
	}
	g.Model = res.record(label, run)
	pyspy, err := pySpyPath()
	if err != nil {
		g.skip(res, err)
		return g, nil
	}
	sp := &spying{pyspy: pyspy}
	sp.ctx, sp.cancel = context.WithCancel(ctx)
	cfg.Flavor, cfg.Python, cfg.Started = model.FlavorThreads, p.Python, sp.started
	run, err = runModel(ctx, tr, fmt.Sprintf("%s, %d threads, sampled by py-spy", model.PythonSeries(model.FlavorThreads), p.SpyThreads), plan.weight, model.CPython, plan.tasks, cfg)
	spied, spyErr := sp.stop()
	if err != nil {
		return nil, err
	}
	g.CPython = res.record(label, run)
	if spyErr != nil {
		g.skip(res, spyErr)
		return g, nil
	}
	// Onto the run's clock: py-spy's samples are offsets from its first
	// dump; the run's from the script's t0, Setup after the interpreter
	// started.
	shift := sp.spyStart(spied) - (sp.launched + int64(run.Totals.Setup))
	g.keep(spied, time.Duration(shift), run.Totals.Wall)
	if len(g.Samples) == 0 {
		g.skip(res, fmt.Errorf("none of its %d dumps fell inside the run's %s", len(spied.Samples), units.Duration(run.Totals.Wall)))
	}
	return g, nil
}

// skip records why py-spy did not sample: one line in the result's notes.
func (g *RealGIL) skip(res *ScalingResult, err error) {
	g.Samples, g.Threads = nil, nil
	g.Note = fmt.Sprintf("py-spy did not sample CPython's threads, so the real GIL is not drawn (the rest ran): %v", err)
	res.Notes = append(res.Notes, g.Note)
}

// keep takes py-spy's samples that fell inside the run, shifted by shift
// onto its clock, and sums them per thread.
func (g *RealGIL) keep(s *pyprof.Spied, shift, wall time.Duration) {
	g.PySpy = s.Version
	names := map[uint64]string{}
	for _, t := range s.Threads {
		names[t.Ident] = t.Name
		if t.TID == s.PID && t.TID != 0 {
			// py-spy names a thread when it first sees it, and it sees the
			// main thread before the script has imported threading; on
			// Linux the main thread's id is the process's.
			names[t.Ident] = "MainThread"
		}
	}
	index := map[uint64]int{}
	for _, x := range s.Samples {
		at := x.At + shift
		if at < 0 || at > wall {
			g.Dropped++
			continue
		}
		g.Samples = append(g.Samples, pyprof.SpySample{At: at, Threads: x.Threads})
		for _, st := range x.Threads {
			i, ok := index[st.Ident]
			if !ok {
				i = len(g.Threads)
				index[st.Ident] = i
				g.Threads = append(g.Threads, pyprof.SpyThread{TID: st.TID, Ident: st.Ident, Name: names[st.Ident]})
			}
			t := &g.Threads[i]
			t.Samples++
			if st.Active {
				t.Active++
			}
			if st.GIL {
				t.GIL++
			}
		}
	}
	g.End = wall
	slices.SortStableFunc(g.Threads, func(a, b pyprof.SpyThread) int { return strings.Compare(a.Name, b.Name) })
}

// Timeline is which thread held the GIL when, on the run's clock: a span
// per stretch of samples that found the same holder (Ident 0: none).
func (g *RealGIL) Timeline() []pyprof.GILSpan {
	s := pyprof.Spied{Samples: g.Samples, Elapsed: g.End}
	return s.GILTimeline()
}

// Held is the share of the samples that found some thread holding the
// GIL.
func (g *RealGIL) Held() float64 {
	s := pyprof.Spied{Samples: g.Samples}
	return s.GILHeld()
}

// Findings says what the samples show, in two sentences generated from
// them: each CPython thread's share of the samples holding the GIL, and the
// gil model's threads on the same tasks; or the note, where py-spy did not
// sample.
func (g *RealGIL) Findings(r *Report) []string {
	if g == nil {
		return nil
	}
	if g.Note != "" || len(g.Samples) == 0 {
		return []string{g.Note}
	}
	var shares []string
	for _, t := range g.Threads {
		shares = append(shares, fmt.Sprintf("%s in %.0f%%", t.Name, 100*t.GILShare()))
	}
	if n := len(shares); n > 1 {
		shares[n-1] = "and " + shares[n-1]
	}
	wall := time.Duration(0)
	if g.CPython >= 0 && r.Runs[g.CPython].Run != nil {
		wall = r.Runs[g.CPython].Totals.Wall
	}
	out := []string{fmt.Sprintf("py-spy sampled CPython's %d-thread pool %d times during its %s run of %d tasks × %s, and found a thread holding the GIL in %.0f%% of the samples: %s.",
		g.Pool, len(g.Samples), units.Duration(wall), g.Tasks, g.CPU, 100*g.Held(), strings.Join(shares, ", "))}
	if g.Model >= 0 && r.Runs[g.Model].Run != nil {
		run := r.Runs[g.Model].Run
		held, most := holding(run)
		var hs []string
		for _, w := range workers(run) {
			hs = append(hs, fmt.Sprintf("%.0f%% (thread %d)", 100*ratio(held[w], run.Totals.Wall), w))
		}
		out = append(out, fmt.Sprintf("On the same tasks the gil model's %d threads held its lock for %s of its %s run, at most %d at once, handing it over %d times at its %s switch interval.",
			len(hs), strings.Join(hs, " and "), units.Duration(run.Totals.Wall), most, run.Totals.Switches, g.SwitchInterval))
	}
	return out
}

// holding is how long each worker of a gil model's run held its lock (its
// CPU segments: a gil thread computes only holding it), and the most that
// held it at once.
func holding(run *model.Run) (map[int]time.Duration, int) {
	held := map[int]time.Duration{}
	var iv []measure.Interval
	for _, s := range run.Spans {
		for _, sg := range s.Segments {
			if sg.Kind == model.KindCPU && sg.End > sg.Start {
				held[s.Worker] += sg.End - sg.Start
				iv = append(iv, measure.Interval{Start: sg.Start, End: sg.End})
			}
		}
	}
	return held, measure.MostAtOnce(iv, 0)
}

// workers lists the workers that ran a task in run, in order.
func workers(run *model.Run) []int {
	var ws []int
	for _, s := range run.Spans {
		ws = append(ws, s.Worker)
	}
	slices.Sort(ws)
	return slices.Compact(ws)
}

// spying attaches py-spy to the cpython model's interpreter as soon as it
// has started (model.Config.Started), retrying while the interpreter is
// still loading, until the run ends.
type spying struct {
	pyspy  string
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// launched is when the interpreter had started (CLOCK_MONOTONIC ns);
	// wallRef and monoRef one moment on both clocks, just before the spy
	// that attached started.
	launched int64
	wallRef  time.Time
	monoRef  int64
	spy      *pyprof.Spy
	err      error
}

// started is model.Config.Started: it notes the time and attaches in the
// background.
func (s *spying) started(pid int) {
	s.launched = measure.Mono()
	s.wg.Add(1)
	go s.attach(pid)
}

func (s *spying) attach(pid int) {
	defer s.wg.Done()
	for {
		wall, mono := time.Now(), measure.Mono()
		spy, err := pyprof.StartSpy(s.ctx, s.pyspy, pid, spyInterval)
		if err == nil {
			s.spy, s.wallRef, s.monoRef = spy, wall, mono
			return
		}
		var se *pyprof.SpyError
		if errors.As(err, &se) && (se.Missing || se.Denied) || s.ctx.Err() != nil {
			s.err = err
			return
		}
		if _, running, ok := proc.Identify(pid); !ok || !running {
			s.err = fmt.Errorf("the interpreter ended before py-spy could attach: %w", err)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stop ends the sampling and returns what py-spy saw, or why it saw
// nothing.
func (s *spying) stop() (*pyprof.Spied, error) {
	s.cancel()
	s.wg.Wait()
	switch {
	case s.spy != nil:
		return s.spy.Stop(), nil
	case s.err != nil:
		return nil, s.err
	}
	return nil, errors.New("the interpreter did not start")
}

// spyStart is when py-spy's first dump began (CLOCK_MONOTONIC ns): its
// samples' times count from there.
func (s *spying) spyStart(spied *pyprof.Spied) int64 {
	return s.monoRef + int64(spied.Started.Sub(s.wallRef))
}

// pySpyPath finds py-spy as the command line does: $BOUNDLAB_PYSPY, the
// checkout's .venv (the checkout from $BOUNDLAB_ROOT, which the notebooks
// run with, or holding the working directory), or PATH.
func pySpyPath() (string, error) {
	root := os.Getenv("BOUNDLAB_ROOT")
	if root == "" {
		if wd, err := os.Getwd(); err == nil {
			if r, err := project.Root(wd); err == nil {
				root = r
			}
		}
	}
	return pyprof.FindPySpy(root)
}
