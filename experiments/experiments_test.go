package experiments

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/boundlab/boundlab/internal/testlock"
)

func TestMain(m *testing.M) { testlock.Main(m) }

func TestParamErrors(t *testing.T) {
	cases := []struct {
		name, value, want string
	}{
		{"limit", "0", "--limit: 0 is out of range (allowed: an integer from 1 to 1000000)"},
		{"tasks", "-5", "--tasks: -5 is out of range"},
		{"latency", "banana", `--latency: "banana" is not a duration (write it like 100ms or 1s) (allowed: a duration from 1ms to 1m0s)`},
		{"limits", "1,x", `--limits: "x" is not an integer`},
		{"limits", "", "--limits: the list is empty"},
		{"models", "eventloop,threads", `--models: "threads" is not one of them (allowed: a comma-separated list of up to 4: eventloop, goroutines, gil, cpython)`},
		{"latencies", "10ms,2h", "--latencies: 2h0m0s is out of range"},
	}
	for _, c := range cases {
		p := Semaphore.Defaults()
		err := Set(&p, c.name, c.value)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Set(%s=%q) = %v, want it to contain %q", c.name, c.value, err, c.want)
		}
	}
	p := Semaphore.Defaults()
	if err := Set(&p, "concurrency", "3"); err == nil || !strings.Contains(err.Error(), `unknown parameter "concurrency" (known: tasks, latency, limit`) {
		t.Errorf("unknown parameter: %v", err)
	}
	// Values set in Go code are checked too.
	p.Limit = 0
	if err := Validate(&p); err == nil || !strings.Contains(err.Error(), "--limit: 0 is out of range") {
		t.Errorf("Validate: %v", err)
	}
	if _, err := Semaphore.Run(context.Background(), &p, nil); err == nil || !strings.Contains(err.Error(), "--limit") {
		t.Errorf("Semaphore.Run with limit 0: %v", err)
	}
}

func TestParamsRoundTrip(t *testing.T) {
	for _, q := range Questions() {
		p := q.NewParams(false)
		if err := Validate(p); err != nil {
			t.Errorf("%s defaults: %v", q.Name(), err)
		}
		if err := Validate(q.NewParams(true)); err != nil {
			t.Errorf("%s quick: %v", q.Name(), err)
		}
		// Every parameter's printed value parses back to itself.
		for _, prm := range p.Params() {
			before := prm.String()
			if err := prm.Set(before); err != nil {
				t.Errorf("%s --%s: %q does not parse back: %v", q.Name(), prm.Name, before, err)
			}
			if after := prm.String(); after != before {
				t.Errorf("%s --%s: %q became %q", q.Name(), prm.Name, before, after)
			}
		}
	}
}

func TestBindFlags(t *testing.T) {
	p := Semaphore.Defaults()
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	Bind(fs, &p)
	if err := fs.Parse([]string{"--limit", "50", "--latencies=10ms,1s", "--models", "goroutines"}); err != nil {
		t.Fatal(err)
	}
	if p.Limit != 50 || len(p.Latencies) != 2 || p.Latencies[1] != time.Second || p.Models[0] != "goroutines" {
		t.Fatalf("after flags: %+v", p)
	}
	if err := fs.Parse([]string{"--limit", "0"}); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Fatalf("--limit 0: %v", err)
	}
}

func TestSizes(t *testing.T) {
	for in, want := range map[string]int{"512": 512, "64KiB": 64 << 10, "8MiB": 8 << 20, "1k": 1024, "2MB": 2 << 20} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := ParseSize("lots"); err == nil {
		t.Error("ParseSize(lots) succeeded")
	}
	if FormatSize(64<<10) != "64KiB" || FormatSize(1000) != "1000B" {
		t.Errorf("FormatSize: %s %s", FormatSize(64<<10), FormatSize(1000))
	}
}

// The comparisons on a single figure: at, inside and outside each bound.
func TestJudgeRules(t *testing.T) {
	judge := func(c Claim, value, expected float64) Outcome {
		return c.Judge(Measurement{Model: "m", Value: value, Expected: expected, Unit: "x"}).Outcome
	}
	for _, c := range []struct {
		claim           Claim
		value, expected float64
		want            Outcome
	}{
		{Claim{Compare: Within, Tolerance: 0.1}, 1.09, 1, Holds},
		{Claim{Compare: Within, Tolerance: 0.1}, 1.11, 1, DoesNotHold},
		{Claim{Compare: Within, Tolerance: 0.1}, 0.89, 1, DoesNotHold},
		{Claim{Compare: AtMost, Tolerance: 0.01}, 1.0099, 1, Holds},
		{Claim{Compare: AtMost, Tolerance: 0.01}, 1.011, 1, DoesNotHold},
		{Claim{Compare: AtLeast, Tolerance: 0.15}, 1.71, 2, Holds},
		{Claim{Compare: AtLeast, Tolerance: 0.15}, 1.69, 2, DoesNotHold},
		{Claim{Compare: Between, Tolerance: 0.01, Slack: 0.001}, 0.9995, 1, Holds},
		{Claim{Compare: Between, Tolerance: 0.01, Slack: 0.001}, 0.998, 1, DoesNotHold},
		{Claim{Compare: Between, Tolerance: 0.01, Slack: 0.001}, 1.011, 1, DoesNotHold},
	} {
		if got := judge(c.claim, c.value, c.expected); got != c.want {
			t.Errorf("%s %v (tol %v): %v against %v: %s, want %s", c.claim.Compare, c.claim.Slack, c.claim.Tolerance, c.value, c.expected, got, c.want)
		}
	}
}

// Repeated runs are judged by their median's 95% interval: inside the
// range, outside it, or across a bound; a busy machine makes a timed
// verdict inconclusive whatever its figure.
func TestJudgeIntervals(t *testing.T) {
	c := Claim{ID: "c", Text: "claim", Compare: AtMost, Tolerance: 0.01}
	cases := []struct {
		name     string
		m        Measurement
		want     Outcome
		reason   string
		runs     int
		low      float64
		inDetail string
	}{
		{"all under", Measurement{Samples: []float64{1.001, 1.002, 1.003, 1.004, 1.005, 1.006}}, Holds, "", 6, 1.001, "median of 6 runs, 95% interval between order statistics"},
		{"all over", Measurement{Samples: []float64{1.02, 1.03, 1.04, 1.05, 1.06, 1.07}}, DoesNotHold, "", 6, 1.02, ""},
		{"straddling", Measurement{Samples: []float64{1.001, 1.002, 1.003, 1.004, 1.005, 1.02}}, Inconclusive, "the runs vary more than the claim's margin", 6, 1.001, ""},
		{"too few runs", Measurement{Samples: []float64{1.0, 1.008, 1.009}}, Inconclusive, "too few runs (3)", 3, 0, "Student's t"},
		{"one run", Measurement{Samples: []float64{1.005}}, Holds, "", 1, 1.005, "one run"},
		{"busy, would hold", Measurement{Samples: []float64{1.001, 1.002, 1.003, 1.004, 1.005, 1.006}, Busy: 0.4}, Inconclusive, "other work used 40% of the machine's cores during the runs, more than the 25% a timed figure allows: the figure alone would hold", 6, 1.001, ""},
		{"busy, would not hold", Measurement{Value: 1.5, Busy: 0.3}, Inconclusive, "would not hold", 1, 1.5, ""},
		{"quiet enough", Measurement{Value: 1.005, Busy: 0.25}, Holds, "", 1, 1.005, ""},
		{"straddling, and busy", Measurement{Samples: []float64{1.001, 1.002, 1.003, 1.004, 1.005, 1.02}, Busy: 0.5}, Inconclusive, "straddles the bound 1.01: the runs vary more than the claim's margin: a noisy machine, or a figure that truly sits at the bound; other work also used 50% of the machine's cores", 6, 1.001, ""},
		{"nothing measured", Measurement{Value: math.NaN()}, Inconclusive, "nothing was measured", 1, 0, ""},
	}
	for _, tc := range cases {
		tc.m.Model, tc.m.Expected, tc.m.Unit = "m", 1, "s"
		v := c.Judge(tc.m)
		if v.Outcome != tc.want || v.Holds != (tc.want == Holds) || !strings.Contains(v.Reason, tc.reason) || (tc.reason == "") != (v.Reason == "") ||
			v.Runs != tc.runs || (tc.low != 0 && v.Low != tc.low) || !strings.Contains(v.Detail, tc.inDetail) {
			t.Errorf("%s: %+v", tc.name, v)
		}
		if _, err := json.Marshal(v); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestLookup(t *testing.T) {
	for _, name := range []string{"async-cpu", "scaling", "semaphore"} {
		if q, err := Lookup(name); err != nil || q.Name() != name {
			t.Error(name, err)
		}
	}
	if q, _ := Lookup("semaphore"); q != Experiment(Semaphore) {
		t.Error("Lookup(semaphore) is not Semaphore")
	}
	if _, err := Lookup("nope"); err == nil || !strings.Contains(err.Error(), "known: async-cpu, scaling, semaphore") {
		t.Errorf("Lookup(nope): %v", err)
	}
}

// runQuick runs q's quick parameters and returns the result whose named
// verdicts all hold (or are inconclusive because the machine was busy),
// trying up to three times: the measurements are of real time on a shared
// machine, and a broken mechanism fails every attempt.
// goQuick is q's quick parameters on Go's models alone: a question's
// default models include cpython wherever it can run it, and CPython's
// quick runs have their own tests (cpython_test.go).
func goQuick[P, R any](q *Question[P, R]) func() P {
	return func() P {
		p := q.Quick()
		for _, pp := range q.params(&p).Params() {
			if pp.Name == "models" {
				var keep []string
				for _, m := range strings.Split(pp.String(), ",") {
					if m != "cpython" {
						keep = append(keep, m)
					}
				}
				if err := pp.Set(strings.Join(keep, ",")); err != nil {
					panic(err)
				}
			}
		}
		return p
	}
}

func runQuick[P, R any](t *testing.T, q *Question[P, R], mustHold ...string) *R {
	t.Helper()
	return runQuickWith(t, q, q.Quick, mustHold...)
}

// runQuickWith is runQuick with parameters from params.
func runQuickWith[P, R any](t *testing.T, q *Question[P, R], params func() P, mustHold ...string) *R {
	t.Helper()
	var last *R
	for attempt := 1; attempt <= 3; attempt++ {
		var reports int
		p := params()
		res, err := q.Run(context.Background(), &p, func(Progress) { reports++ })
		if err != nil {
			t.Fatalf("%s: %v", q.Name(), err)
		}
		if reports == 0 {
			t.Fatalf("%s: no progress reported", q.Name())
		}
		last = res
		failing := failingVerdicts(q.result(res).Base(), mustHold)
		if len(failing) == 0 {
			return res
		}
		t.Logf("%s attempt %d: verdicts not holding: %s", q.Name(), attempt, strings.Join(failing, "; "))
	}
	t.Fatalf("%s: verdicts did not hold in 3 attempts", q.Name())
	return last
}

// failingVerdicts lists the verdicts on the claims ids that do not hold,
// and the claims without a verdict. A verdict left inconclusive because
// other work kept the machine busy is not held against the model: it is
// the feature, on a shared machine. An id written "claim/go" asks only the
// Go models' verdicts to hold (CPython's are findings).
func failingVerdicts(r *Report, ids []string) []string {
	var out []string
	for _, id := range ids {
		id, goOnly := strings.CutSuffix(id, "/go")
		found := false
		for _, v := range r.Verdicts {
			if v.ClaimID != id || goOnly && strings.HasPrefix(v.Model, "cpython") {
				continue
			}
			found = true
			if v.Outcome != Holds && !(v.Outcome == Inconclusive && v.Busy > busyShare) {
				out = append(out, v.ClaimID+"/"+v.Model+": "+string(v.Outcome)+", measured "+v.Estimate()+", expected "+v.Rule()+" ("+v.Reason+")")
			}
		}
		if !found {
			out = append(out, id+": no verdict")
		}
	}
	return out
}

// The JSON of a result has the stamp, the runs with spans and totals, and a
// top-level verdicts list with the fields scripts rely on.
func checkJSON(t *testing.T, res Result) {
	t.Helper()
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Question string                       `json:"question"`
		Params   map[string]string            `json:"params"`
		Stamp    map[string]any               `json:"stamp"`
		Verdicts []map[string]json.RawMessage `json:"verdicts"`
		Runs     []struct {
			Model  string           `json:"model"`
			Spans  []map[string]any `json:"spans"`
			Totals map[string]any   `json:"totals"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Question == "" || len(doc.Params) == 0 || doc.Stamp["cores"] == nil || len(doc.Runs) == 0 || len(doc.Verdicts) == 0 {
		t.Fatalf("JSON lacks question, params, stamp, runs or verdicts: %.300s", b)
	}
	for _, v := range doc.Verdicts {
		for _, k := range []string{"claim", "model", "measured", "low", "high", "runs", "outcome", "expected", "holds"} {
			if _, ok := v[k]; !ok {
				t.Fatalf("verdict lacks %q: %v", k, v)
			}
		}
	}
	for _, r := range doc.Runs {
		if r.Model == "" || len(r.Spans) == 0 || r.Totals["wall_ns"] == nil {
			t.Fatalf("run lacks model, spans or totals")
		}
	}
}

func TestSemaphoreQuick(t *testing.T) {
	res := runQuickWith(t, Semaphore, goQuick(Semaphore), "semaphore-near-ideal", "semaphore-sweep", "latency-proportional", "sleep-no-cpu")
	checkJSON(t, res)
	p := Semaphore.Quick()
	if len(res.Headline) != 2 || len(res.Limits) != 2*len(p.Limits) || len(res.Latencies) != 2*len(p.Latencies) {
		t.Fatalf("points: %d headline, %d limits, %d latencies", len(res.Headline), len(res.Limits), len(res.Latencies))
	}
	for _, h := range res.Headline {
		if len(h.Runs) != p.Repeat || len(h.Walls) != p.Repeat || h.Low > h.Runtime || h.High < h.Runtime {
			t.Fatalf("headline %s: %d runs, runtime %v [%v, %v]", h.Model, len(h.Runs), h.Runtime, h.Low, h.High)
		}
	}
	// The repeats are interleaved: each round runs every model once.
	for k := range p.Repeat {
		a, b := res.Runs[res.Headline[0].Runs[k]], res.Runs[res.Headline[1].Runs[k]]
		if res.Headline[1].Runs[k] != res.Headline[0].Runs[k]+1 || a.Model == b.Model {
			t.Fatalf("round %d: runs %d (%s) and %d (%s)", k, res.Headline[0].Runs[k], a.Model, res.Headline[1].Runs[k], b.Model)
		}
	}
	for _, pt := range res.Limits {
		if pt.Runtime < pt.Ideal {
			t.Fatalf("runtime %v below the formula's %v: waits were cut short", pt.Runtime, pt.Ideal)
		}
	}
	if res.Stamp.Load == nil || res.Stamp.Load.Wall <= 0 {
		t.Fatalf("no load in the stamp: %+v", res.Stamp)
	}
	for _, v := range res.Verdicts {
		if v.ClaimID == "semaphore-near-ideal" && v.Runs != p.Repeat {
			t.Errorf("near-ideal on %s from %d runs", v.Model, v.Runs)
		}
	}
}

// Cancelling an experiment stops it promptly with the context's error.
func TestCancelExperiment(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	p := Semaphore.Defaults()
	_, err := Semaphore.Run(ctx, &p, nil)
	if err == nil || ctx.Err() == nil {
		t.Fatalf("err = %v", err)
	}
	if time.Since(t0) > 3*time.Second {
		t.Fatalf("took %v to stop", time.Since(t0))
	}
}

// A result written as JSON decodes back into its typed form, parameters
// included: one model's runs one after another, all at once, and traced.
func TestDecodeResult(t *testing.T) {
	p := AsyncCPU.Defaults()
	p.Tasks, p.CPU, p.Models, p.Repeat = 2, 5*time.Millisecond, []string{"eventloop"}, 1
	res, err := AsyncCPU.Run(context.Background(), &p, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, b := roundTrip(t, AsyncCPU, res)
	if paramsOf[AsyncCPUParams](&got.Report).Tasks != 2 || len(got.Points) != 1 || len(got.Runs) != 3 || len(got.Verdicts) != len(res.Verdicts) {
		t.Fatalf("decoded %+v", got.Points)
	}
	if got.Runs[0].Spans[0].Segments[0].Kind != "cpu" {
		t.Fatalf("spans not decoded: %+v", got.Runs[0].Spans[0])
	}
	if _, err := Semaphore.Decode(b); err == nil {
		t.Fatal("decoded an async-cpu result as a semaphore one")
	}
}

// A yes-or-no parameter stands alone as a flag, and takes =false.
func TestBoolFlag(t *testing.T) {
	p := Sleeping.Defaults()
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	Bind(fs, &p)
	if err := fs.Parse([]string{"--sequential=false"}); err != nil || p.Sequential {
		t.Fatalf("--sequential=false: %v, %v", err, p.Sequential)
	}
	if err := fs.Parse([]string{"--sequential"}); err != nil || !p.Sequential {
		t.Fatalf("--sequential: %v, %v", err, p.Sequential)
	}
	if err := fs.Parse([]string{"--sequential=perhaps"}); err == nil || !strings.Contains(err.Error(), `"perhaps" is not true or false`) {
		t.Fatalf("--sequential=perhaps: %v", err)
	}
}
