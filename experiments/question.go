package experiments

import (
	"context"
	"encoding/json"
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
