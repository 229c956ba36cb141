package experiments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/experiments/model"
)

// Question is one of the lecture's questions as a runnable experiment.
type Question struct {
	// Name is the experiment's name on the command line, e.g. "semaphore".
	Name string
	// Title is the question in a few words.
	Title string
	// Lecture says which of the lecture's questions or takeaways it tests.
	Lecture string
	// Summary says in one line what the experiment does.
	Summary string
	// Claims are the lecture's claims the experiment judges.
	Claims []Claim
	// Defaults returns fresh parameters holding the lecture's values.
	Defaults func() Params
	// Quick returns fresh parameters for a run of a few seconds, used by
	// tests and quick handouts.
	Quick func() Params
	// Run runs the experiment.
	Run func(ctx context.Context, p Params, progress ProgressFunc) (Result, error)
	// NewResult returns an empty result of the question's type, to decode a
	// saved result's JSON into.
	NewResult func() Result
}

// DecodeResult reads a result of q saved as JSON (the form `boundlab run
// --json` writes). Its Params are rebuilt from the saved parameter values.
func (q *Question) DecodeResult(b []byte) (Result, error) {
	res := q.NewResult()
	if err := json.Unmarshal(b, res); err != nil {
		return nil, fmt.Errorf("decode %s result: %w", q.Name, err)
	}
	r := res.Base()
	if r.Question != q.Name {
		return nil, fmt.Errorf("decode %s result: it is a result of %q", q.Name, r.Question)
	}
	p := q.Defaults()
	for name, v := range r.ParamValues {
		if err := Set(p, name, v); err != nil {
			return nil, fmt.Errorf("decode %s result: %w", q.Name, err)
		}
	}
	r.Params = p
	return res, nil
}

// Result is implemented by each question's result type.
type Result interface {
	// Base returns the parts every result has.
	Base() *Report
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

// Holds reports whether every verdict holds.
func (r *Report) Holds() bool {
	for _, v := range r.Verdicts {
		if !v.Holds {
			return false
		}
	}
	return true
}

// Verdict returns the verdict on claim id for model, if there is one.
func (r *Report) Verdict(id, model string) (Verdict, bool) {
	for _, v := range r.Verdicts {
		if v.ClaimID == id && v.Model == model {
			return v, true
		}
	}
	return Verdict{}, false
}

func newReport(name string, p Params) Report {
	q := questions[name]
	return Report{
		Question:    q.Name,
		Title:       q.Title,
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

func (r *Report) judge(c Claim, model string, measured, expected float64, unit, detail string) {
	r.Verdicts = append(r.Verdicts, c.Judge(model, measured, expected, unit, detail))
}

var questions = map[string]*Question{}

func register(q *Question) *Question {
	questions[q.Name] = q
	return q
}

// Questions lists the experiments in lecture order.
func Questions() []*Question {
	qs := make([]*Question, 0, len(questions))
	for _, q := range questions {
		qs = append(qs, q)
	}
	sort.Slice(qs, func(i, j int) bool {
		if qs[i].Lecture != qs[j].Lecture {
			return qs[i].Lecture < qs[j].Lecture
		}
		return qs[i].Name < qs[j].Name
	})
	return qs
}

// Lookup returns the experiment called name.
func Lookup(name string) (*Question, error) {
	if q, ok := questions[name]; ok {
		return q, nil
	}
	var names []string
	for _, q := range Questions() {
		names = append(names, q.Name)
	}
	return nil, fmt.Errorf("unknown experiment %q (known: %s)", name, strings.Join(names, ", "))
}

// runModel runs one batch on the named model, as one stage of progress.
func runModel(ctx context.Context, tr *tracker, stage string, weight float64, name string, tasks []model.Task, cfg model.Config) (*model.Run, error) {
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
// mechanism it runs (one question may run several).
type series struct{ model, flavor string }

// String is the series' name in results and charts, e.g. "gil" or
// "cpython threads"; it is model.Run.Series of its runs.
func (s series) String() string {
	if s.flavor == "" {
		return s.model
	}
	return s.model + " " + s.flavor
}

// config sets the series' flavor and interpreter on cfg.
func (s series) config(cfg model.Config, python string) model.Config {
	cfg.Flavor = s.flavor
	if s.model == "cpython" {
		cfg.Python = python
	}
	return cfg
}

// eventLoop reports whether the series runs tasks on one event loop.
func (s series) eventLoop() bool {
	return s.model == "eventloop" || s.flavor == model.FlavorAsyncio
}

// expandModels turns the models asked for into series, cpython into one per
// flavor given. Where cpython cannot run (no interpreter) it is left out
// with a note and the other models run.
func (r *Report) expandModels(ctx context.Context, models []string, python string, flavors ...string) ([]series, error) {
	var out []series
	for _, m := range models {
		if m != "cpython" {
			out = append(out, series{model: m})
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
			out = append(out, series{model: m, flavor: f})
		}
	}
	return out, nil
}

// corrected reports whether the series' figures are taken at the calibrated
// CPU speed (see slowdown): CPython's are. Its interpreter's speed on a
// shared machine swings by half for a second at a time, while Go's tight
// loop, and so the Go models, stay within a few per cent of calibration.
func (s series) corrected() bool { return s.model == "cpython" }

// slowdown is how much slower than calibrated a run's CPU steps computed:
// its tasks' CPU time over the calibrated time of their work. It is 0 where
// the model does not measure per-task CPU (goroutines) or there is no work.
func slowdown(run *model.Run, work time.Duration) float64 {
	if run == nil || run.Totals.TaskCPU <= 0 || work <= 0 {
		return 0
	}
	return ratio(run.Totals.TaskCPU, work)
}

// atSpeed is d taken at the calibrated speed: d over the slowdown, or d as
// it is when the slowdown is unknown.
func atSpeed(d time.Duration, slow float64) float64 {
	if slow <= 0 {
		return float64(d)
	}
	return float64(d) / slow
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

// ratio is a/b as a float.
func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

// seconds converts d to floating-point seconds.
func seconds(d time.Duration) float64 { return d.Seconds() }

// maxConcurrentCPU is the most tasks computing at the same moment, read off
// the spans' CPU segments.
func maxConcurrentCPU(spans []model.Span) int {
	type edge struct {
		at    time.Duration
		delta int
	}
	var es []edge
	for _, s := range spans {
		for _, sg := range s.Segments {
			if sg.Kind == model.KindCPU && sg.End > sg.Start {
				es = append(es, edge{sg.Start, 1}, edge{sg.End, -1})
			}
		}
	}
	sort.Slice(es, func(i, j int) bool {
		if es[i].at != es[j].at {
			return es[i].at < es[j].at
		}
		return es[i].delta < es[j].delta
	})
	cur, best := 0, 0
	for _, e := range es {
		cur += e.delta
		best = max(best, cur)
	}
	return best
}

func paramValues(p Params) map[string]string {
	m := map[string]string{}
	for _, x := range p.Params() {
		m[x.Name] = x.String()
	}
	return m
}
