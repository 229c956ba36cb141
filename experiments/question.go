package experiments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/experiments/model"
)

// Experiment is a question seen without its types: what a program needs to
// list the questions, run one by name with parameters from flags, and read
// a saved result (the command line, the handout builder). Every Question is
// one; Questions and Lookup return them.
type Experiment interface {
	// Name is the experiment's name on the command line, e.g. "semaphore";
	// Title the question in a few words; Lecture which of the lecture's
	// questions or takeaways it tests; Summary what it does, in one line.
	Name() string
	Title() string
	Lecture() string
	Summary() string
	// Claims are the lecture's claims the experiment judges.
	Claims() []Claim
	// NewParams returns fresh parameters: the lecture's setting, or with
	// quick a run of a few seconds, used by tests and quick handouts.
	NewParams(quick bool) Params
	// RunParams runs the experiment with parameters from NewParams.
	RunParams(ctx context.Context, p Params, progress ProgressFunc) (Result, error)
	// DecodeResult reads a result saved as JSON (the form `boundlab run
	// --json` writes), its Params rebuilt from the saved values.
	DecodeResult(b []byte) (Result, error)
}

// Question is one of the lecture's questions as a runnable experiment,
// with parameters of type P and a result of type R:
//
//	p := experiments.Semaphore.Defaults()
//	p.Limit = 50
//	res, err := experiments.Semaphore.Run(ctx, &p, nil) // res is a *SemaphoreResult
//
// A question measures (its runs fill the result's figures), then judges:
// a pure function of the result turns the figures into verdicts.
type Question[P, R any] struct {
	about    about
	defaults func() P
	quick    func(*P)
	measure  func(context.Context, *P, *R, *tracker) error
	judge    func(*R) judgement
	params   func(*P) Params
	result   func(*R) Result
}

// about is what a question says of itself.
type about struct {
	name, title, lecture, summary string
	claims                        []Claim
}

// define makes a question from its parts and registers it: defaults
// returns the lecture's setting, quick turns it into a run of a few
// seconds, measure runs the experiment and fills the result's figures,
// judge turns them into verdicts (a pure function of the result, so that
// recorded results can be judged in tests).
func define[P, R any, PP interface {
	*P
	Params
}, RP interface {
	*R
	Result
}](a about, defaults func() P, quick func(PP), measure func(context.Context, PP, RP, *tracker) error, judge func(RP) judgement) *Question[P, R] {
	q := &Question[P, R]{
		about:    a,
		defaults: defaults,
		quick:    func(p *P) { quick(p) },
		measure:  func(ctx context.Context, p *P, r *R, tr *tracker) error { return measure(ctx, p, r, tr) },
		judge:    func(r *R) judgement { return judge(r) },
		params:   func(p *P) Params { return PP(p) },
		result:   func(r *R) Result { return RP(r) },
	}
	if _, dup := registry[a.name]; dup {
		panic("experiments: two questions named " + a.name)
	}
	registry[a.name] = q
	return q
}

// Name is the experiment's name on the command line, e.g. "semaphore".
func (q *Question[P, R]) Name() string { return q.about.name }

// Title is the question in a few words.
func (q *Question[P, R]) Title() string { return q.about.title }

// Lecture says which of the lecture's questions or takeaways it tests.
func (q *Question[P, R]) Lecture() string { return q.about.lecture }

// Summary says in one line what the experiment does.
func (q *Question[P, R]) Summary() string { return q.about.summary }

// Claims are the lecture's claims the experiment judges, each with its
// rule and tolerance: a copy, which the caller may change.
func (q *Question[P, R]) Claims() []Claim { return slices.Clone(q.about.claims) }

// Defaults returns the lecture's setting.
func (q *Question[P, R]) Defaults() P { return q.defaults() }

// Quick returns a setting that runs in seconds, for tests and quick
// handouts.
func (q *Question[P, R]) Quick() P {
	p := q.defaults()
	q.quick(&p)
	return p
}

// Run runs the experiment with parameters p (which it checks first, and
// does not change) and returns its result: the figures, every run, and a
// verdict per claim and model. progress, if not nil, is told how far it has
// got. Cancelling ctx stops it promptly with ctx's error.
func (q *Question[P, R]) Run(ctx context.Context, p *P, progress ProgressFunc) (*R, error) {
	pp := *p
	if err := Validate(q.params(&pp)); err != nil {
		return nil, err
	}
	res := new(R)
	r := q.result(res).Base()
	*r = newReport(q.about.name, q.about.title, q.params(&pp))
	load := measure.StartLoad()
	tr := newTracker(progress)
	if err := q.measure(ctx, &pp, res, tr); err != nil {
		return nil, err
	}
	l := load.Stop()
	r.Stamp.Load, r.Elapsed = &l, l.Wall
	j := q.judge(res)
	r.Verdicts = j.verdicts
	r.Notes = append(r.Notes, j.notes...)
	if l.Share() > busyShare {
		r.Notes = append(r.Notes, fmt.Sprintf("%s%s over the run; timed verdicts whose runs saw other work take more than %.0f%% of the cores are inconclusive",
			busyNote, l, 100*busyShare))
	}
	tr.finish()
	return res, nil
}

// busyNote starts the note a result gets when other work kept the machine
// busy over the whole run.
const busyNote = "the machine was busy: "

// Decode reads a result of q saved as JSON (the form `boundlab run --json`
// writes). Its Params are rebuilt from the saved parameter values.
func (q *Question[P, R]) Decode(b []byte) (*R, error) {
	res := new(R)
	if err := json.Unmarshal(b, res); err != nil {
		return nil, fmt.Errorf("decode %s result: %w", q.about.name, err)
	}
	r := q.result(res).Base()
	if r.Question != q.about.name {
		return nil, fmt.Errorf("decode %s result: it is a result of %q", q.about.name, r.Question)
	}
	p := q.defaults()
	for name, v := range r.ParamValues {
		if err := Set(q.params(&p), name, v); err != nil {
			return nil, fmt.Errorf("decode %s result: %w", q.about.name, err)
		}
	}
	r.Params = q.params(&p)
	for i, v := range r.Verdicts {
		if v.Outcome == "" { // saved before verdicts had outcomes
			r.Verdicts[i].Outcome, r.Verdicts[i].Low, r.Verdicts[i].High, r.Verdicts[i].Runs = DoesNotHold, v.Measured, v.Measured, 1
			if v.Holds {
				r.Verdicts[i].Outcome = Holds
			}
		}
		if v.Source == "" { // saved before verdicts carried their claim's source
			for _, c := range q.about.claims {
				if c.ID == v.ClaimID {
					r.Verdicts[i].Brief, r.Verdicts[i].Source, r.Verdicts[i].Quote, r.Verdicts[i].Cite = c.Brief(), c.Source, c.Quote, c.Cite
				}
			}
		}
	}
	return res, nil
}

// NewParams returns fresh parameters: Defaults, or Quick.
func (q *Question[P, R]) NewParams(quick bool) Params {
	p := q.defaults()
	if quick {
		q.quick(&p)
	}
	return q.params(&p)
}

// RunParams is Run with parameters from NewParams.
func (q *Question[P, R]) RunParams(ctx context.Context, p Params, progress ProgressFunc) (Result, error) {
	pp, ok := any(p).(*P)
	if !ok {
		return nil, fmt.Errorf("%s: parameters of type %T, want %T", q.about.name, p, pp)
	}
	res, err := q.Run(ctx, pp, progress)
	if err != nil {
		return nil, err
	}
	return q.result(res), nil
}

// DecodeResult is Decode, for a caller that does not know the type.
func (q *Question[P, R]) DecodeResult(b []byte) (Result, error) {
	res, err := q.Decode(b)
	if err != nil {
		return nil, err
	}
	return q.result(res), nil
}

// Result is implemented by each question's result type (by embedding
// Report).
type Result interface {
	// Base returns the parts every result has.
	Base() *Report
	// Tables returns the result's figures as tables, beside its verdicts.
	Tables() []Table
}

// RunRecord is one model run inside a result, with the setting it ran at.
type RunRecord struct {
	// Label says what varied, e.g. "limit=100" or "workers=4".
	Label string `json:"label"`
	*model.Run
}

// Report is what every result carries: the question, the parameters, where
// and when it was measured, every model run, and the verdicts.
type Report struct {
	Question    string            `json:"question"`
	Title       string            `json:"title"`
	Params      Params            `json:"-"`
	ParamValues map[string]string `json:"params"`
	Stamp       measure.Stamp     `json:"stamp"`
	Calibration model.Calibration `json:"calibration"`
	Elapsed     time.Duration     `json:"elapsed_ns"`
	Verdicts    []Verdict         `json:"verdicts"`
	Runs        []RunRecord       `json:"runs"`
	// Python is the interpreter the cpython model ran, if it ran.
	Python *model.Interpreter `json:"python,omitempty"`
	// Notes are what to read the result with, one line each: a model
	// skipped for want of an interpreter, a claim left unjudged and why.
	Notes []string `json:"notes,omitempty"`
}

// Base returns r itself.
func (r *Report) Base() *Report { return r }

// Tables returns no tables: a result with figures to show beyond its
// verdicts and charts has its own Tables.
func (r *Report) Tables() []Table { return nil }

// Verdict returns the verdict on claim id for model, if there is one.
func (r *Report) Verdict(id, model string) (Verdict, bool) {
	return firstWhere(r.Verdicts, func(v Verdict) bool { return v.ClaimID == id && v.Model == model })
}

func newReport(name, title string, p Params) Report {
	return Report{
		Question:    name,
		Title:       title,
		Params:      p,
		ParamValues: paramValues(p),
		Stamp:       measure.NewStamp(),
		Calibration: model.Calibrate(),
	}
}

// record appends a run and returns its index in Runs.
func (r *Report) record(label string, run *model.Run) int {
	r.Runs = append(r.Runs, RunRecord{Label: label, Run: run})
	return len(r.Runs) - 1
}

// busy is the share of the machine's cores (0 to 1) that other work used
// while the runs at the given indexes ran: their other processes' CPU time
// (and steal) over their wall time, over the cores. It is what a timed
// Measurement's Busy is.
func (r *Report) busy(runs ...int) float64 {
	var other, wall time.Duration
	for _, i := range runs {
		if i < 0 || i >= len(r.Runs) || r.Runs[i].Run == nil {
			continue
		}
		other += r.Runs[i].Totals.OtherCPU
		wall += r.Runs[i].Totals.Wall
	}
	if wall <= 0 || r.Stamp.Cores <= 0 {
		return 0
	}
	return float64(other) / float64(wall) / float64(r.Stamp.Cores)
}

// registry holds every question, by name.
var registry = map[string]Experiment{}

// Questions lists the experiments in lecture order.
func Questions() []Experiment {
	qs := make([]Experiment, 0, len(registry))
	for _, q := range registry {
		qs = append(qs, q)
	}
	sort.Slice(qs, func(i, j int) bool {
		if qs[i].Lecture() != qs[j].Lecture() {
			return qs[i].Lecture() < qs[j].Lecture()
		}
		return qs[i].Name() < qs[j].Name()
	})
	return qs
}

// Lookup returns the experiment called name.
func Lookup(name string) (Experiment, error) {
	if q, ok := registry[name]; ok {
		return q, nil
	}
	var names []string
	for _, q := range Questions() {
		names = append(names, q.Name())
	}
	return nil, fmt.Errorf("unknown experiment %q (known: %s)", name, strings.Join(names, ", "))
}

// runModel runs one batch on the named model, as one stage of progress.
func runModel(ctx context.Context, tr *tracker, stage string, weight float64, name model.Name, tasks []model.Task, cfg model.Config) (*model.Run, error) {
	m, err := model.Get(name)
	if err != nil {
		return nil, err
	}
	cfg.Progress = tr.stage(stage, weight)
	run, err := m.Run(ctx, tasks, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", stage, err)
	}
	return run, nil
}

// series is one line of a result: a model, and for the cpython model the
// mechanism it runs (one question may run several). It is a model.Series
// with this package's methods.
type series struct {
	model  model.Name
	flavor string
}

// String is the series' name in results and charts, e.g. "gil" or
// "cpython threads"; it is model.Run.Series of its runs.
func (s series) String() string { return model.SeriesOf(s.model, s.flavor).String() }

// config sets the series' flavor and interpreter on cfg.
func (s series) config(cfg model.Config, python string) model.Config {
	cfg.Flavor = s.flavor
	if s.model == model.CPython {
		cfg.Python = python
	}
	return cfg
}

// coresText says what the prediction of a parallel speedup counts: the
// machine's cores, and, where GOMAXPROCS is lower, how many of them Go's
// goroutines may use (a process of its own per worker is not held to it).
func coresText(st measure.Stamp, s series) string {
	t := fmt.Sprintf("%d cores on the machine", st.Cores)
	if st.Usable() < st.Cores {
		t += fmt.Sprintf(", %d under its CPU limit of %.3g", st.Usable(), st.CPULimit)
	}
	if s.model == model.Goroutines && st.GOMAXPROCS > 0 && st.GOMAXPROCS < st.Usable() {
		t += fmt.Sprintf(", of which GOMAXPROCS %d lets goroutines use %d", st.GOMAXPROCS, st.GOMAXPROCS)
	}
	return t
}

// seriesOf is the series named name, e.g. "cpython asyncio".
func seriesOf(name string) series {
	s := model.ParseSeries(name)
	return series{model: s.Model, flavor: s.Flavor}
}

// python reports whether the series (or variant) named name is CPython's.
func python(name string) bool { return model.ParseSeries(name).Model == model.CPython }

// paramsOf returns r's parameters as a *P, or a zero P where r has none of
// that type (a result built by hand).
func paramsOf[P any](r *Report) *P {
	if p, ok := any(r.Params).(*P); ok {
		return p
	}
	return new(P)
}

// eventLoop reports whether the series runs tasks on one event loop.
func (s series) eventLoop() bool {
	return model.SeriesOf(s.model, s.flavor).EventLoop()
}

// expandModels turns the models asked for into series, cpython into one per
// flavor given. Where cpython cannot run (no interpreter) it is left out
// with a note and the other models run.
func (r *Report) expandModels(ctx context.Context, models []string, python string, flavors ...string) ([]series, error) {
	var out []series
	for _, m := range models {
		if model.Name(m) != model.CPython {
			out = append(out, series{model: model.Name(m)})
			continue
		}
		in, err := model.Probe(ctx, python)
		if errors.Is(err, model.ErrUnavailable) {
			r.Notes = append(r.Notes, err.Error()+"; skipped it, the other models ran")
			continue
		}
		if err != nil {
			return nil, err
		}
		r.Python = in
		if in.GILFree() {
			r.Notes = append(r.Notes, fmt.Sprintf("%s: its threads run Python code in parallel; the GIL is a property of an interpreter, not of threads", in))
		}
		for _, f := range flavors {
			out = append(out, series{model: model.CPython, flavor: f})
		}
	}
	return out, nil
}

// busyCores says how many cores, on average, other processes on the
// machine kept busy during run, e.g. "0.85".
func busyCores(run *model.Run) string {
	if run == nil || run.Totals.Wall <= 0 {
		return "?"
	}
	return fmt.Sprintf("%.2f", ratio(run.Totals.OtherCPU, run.Totals.Wall))
}

// relDiff is how far measured is from expected, as a signed percentage.
func relDiff(measured, expected float64) string {
	return fmt.Sprintf("%+.1f%%", 100*(measured/expected-1))
}

// pyName names the interpreter in a verdict's detail, e.g. "CPython 3.11.7".
func pyName(in *model.Interpreter) string {
	if in == nil {
		return "CPython"
	}
	impl := "CPython"
	if in.Implementation != "" && in.Implementation != "cpython" {
		impl = in.Implementation
	}
	s := impl + " " + in.Version
	if in.FreeThreaded {
		s += " free-threaded"
	}
	return s
}

// secondsOf converts durations to seconds.
func secondsOf(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = d.Seconds()
	}
	return out
}

// durationOf converts seconds to a duration.
func durationOf(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// appendNew appends x to xs unless it is there already.
func appendNew[T comparable](xs []T, x T) []T {
	if slices.Contains(xs, x) {
		return xs
	}
	return append(xs, x)
}

// ratio is a/b as a float.
func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

func paramValues(p Params) map[string]string {
	m := map[string]string{}
	for _, x := range p.Params() {
		m[x.Name] = x.String()
	}
	return m
}
