package experiments

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments/decision"
	"github.com/boundlab/boundlab/internal/golden"
)

// The four workloads, measured for real: the sampler and the profiler see
// each run, the spans say where the tasks' time went, and every claim gets
// a verdict on every workload it is about. The outcomes that do not hang
// on the machine's load are checked: the waiting workload is never found
// busy, the clear workloads are never misdiagnosed (unless other work kept
// the machine busy; a noisy run may leave any of them undecided: its
// start-up's CPU can put the waiting workload's interval across 0.05
// cores), and the computing workload is never found to leave its cores
// idle. The near-threshold
// workload's verdict may go any way: that it can is the point. No figure
// here hangs on how fast the machine is.
func TestDiagnosisQuick(t *testing.T) {
	p := Diagnosis.Quick()
	reports := 0
	res, err := Diagnosis.Run(context.Background(), &p, func(Progress) { reports++ })
	if err != nil {
		t.Fatal(err)
	}
	checkJSON(t, res)
	if reports == 0 || len(res.Workloads) != 4 || len(res.Runs) != 4 {
		t.Fatalf("%d progress reports, %d workloads, %d runs", reports, len(res.Workloads), len(res.Runs))
	}
	t.Log("\n" + verdictLines(res.Verdicts))
	for _, w := range res.Workloads {
		d := w.Diagnosis
		t.Logf("%s (%s): %s, demand %.3f [%.3f, %.3f], margin %.3f, wall %v, wait share %.2f", w.Name, w.Truth, d.Class, d.Demand, d.Low, d.High, d.Margin, w.Wall, w.WaitShare)
		if w.Wall < p.Length*9/10 {
			t.Errorf("%s: wall %v for a workload of %v", w.Name, w.Wall, p.Length)
		}
		if n := len(w.Usage.Samples); n < 2 || d.Windows != min(n, decision.Windows) {
			t.Errorf("%s: %d samples, %d windows", w.Name, n, d.Windows)
		}
		if d.Low > d.Demand || d.High < d.Demand {
			t.Errorf("%s: demand %.3f outside its interval [%.3f, %.3f]", w.Name, d.Demand, d.Low, d.High)
		}
		if w.Profile == nil {
			t.Fatalf("%s: no profile (notes: %q)", w.Name, res.Notes)
		}
		switch w.Name {
		case "C":
			// The profile sees the computing: most of the workload's CPU,
			// in the function that computes, itself first. Its cumulative
			// share counts what the runtime ran on its stack: on a busy
			// machine the scheduler preempts it often, and the samples in
			// the preemption handler it injects (runtime.asyncPreempt,
			// called from burn's instruction) took 23–34% of the flat time
			// in runs here while others used most of the cores.
			if len(w.Profile.Top) == 0 || w.Profile.Top[0].Name != "model.burn" || w.Profile.Top[0].CumShare < 0.8 || w.Profile.Total < w.CPU/2 {
				t.Errorf("%s: profile %d samples, %v of %v CPU, top %+v", w.Name, w.Profile.Samples, w.Profile.Total, w.CPU, w.Profile.Top)
			}
			if w.WaitShare > 0.01 || w.Truth != decision.CPUBound {
				t.Errorf("%s: wait share %.2f, truth %s", w.Name, w.WaitShare, w.Truth)
			}
		case "B":
			if w.Profile.Total > w.Wall/20 {
				t.Errorf("%s: %v of CPU profiled in %v of waiting", w.Name, w.Profile.Total, w.Wall)
			}
			if w.WaitShare < 0.99 || !strings.Contains(d.Recommendation.Rule, "moderate concurrency (50 waits at once) → threads") {
				t.Errorf("%s: wait share %.2f, rule %q", w.Name, w.WaitShare, d.Recommendation.Rule)
			}
		case "A", "D":
			// The spans' clocks: a task computing, then waiting (less of
			// its time, where the machine stretched its computing).
			if w.WaitShare < 0.02 || w.WaitShare > 0.8 || w.Truth != decision.Mixed {
				t.Errorf("%s: wait share %.2f, truth %s", w.Name, w.WaitShare, w.Truth)
			}
		}
	}
	for _, want := range []struct {
		claim, model string
		ok           []Outcome
	}{
		{"diagnosis-right", "workload A", []Outcome{Holds, Inconclusive}},
		{"diagnosis-right", "workload B", []Outcome{Holds, Inconclusive}},
		{"diagnosis-right", "workload C", []Outcome{Holds, Inconclusive}},
		{"diagnosis-right", "workload D", []Outcome{Holds, DoesNotHold, Inconclusive}},
		{"cpu-bound-full", "workload C", []Outcome{Holds, Inconclusive}},
		{"io-bound-idle", "workload B", []Outcome{Holds, Inconclusive}},
	} {
		v, ok := res.Verdict(want.claim, want.model)
		switch {
		case !ok:
			t.Errorf("no verdict on %s for %s", want.claim, want.model)
		case v.Outcome == Inconclusive && v.Busy > busyShare:
			t.Logf("%s, %s: inconclusive on a busy machine", want.claim, want.model)
		case !slices.Contains(want.ok, v.Outcome):
			t.Errorf("%s, %s: %s, want one of %v\n%s", want.claim, want.model, v.Outcome, want.ok, verdictLines([]Verdict{v}))
		}
	}
	if len(res.Verdicts) != 6 {
		t.Errorf("%d verdicts, want 6", len(res.Verdicts))
	}
	ts := res.Tables()
	if len(ts) != 7 || len(ts[0].Rows) != 4 || !strings.Contains(ts[5].Text(), "model.burn") {
		t.Errorf("%d tables:\n%s", len(ts), tablesText(ts))
	}
	// The result decodes back, series and profiles included.
	got, _ := roundTrip(t, Diagnosis, res)
	if len(got.Workloads) != 4 || len(got.Workloads[2].Usage.Samples) != len(res.Workloads[2].Usage.Samples) || got.Workloads[2].Profile == nil {
		t.Errorf("decoded %+v", got.Workloads)
	}
	if paramsOf[DiagnosisParams](&got.Report).Length != p.Length {
		t.Errorf("decoded params %+v", got.Params)
	}
}

// TestRecordDiagnosis runs the quick diagnosis experiment and records it as
// testdata, with -record.
func TestRecordDiagnosis(t *testing.T) {
	if !*record {
		t.Skip("records only with -record")
	}
	p := Diagnosis.Quick()
	res, err := Diagnosis.Run(context.Background(), &p, nil)
	if err != nil {
		t.Fatal(err)
	}
	save(t, "diagnosis-quick", res)
}

// setUsage rewrites workload name's samples: each sample i's cores used
// and queued, from f; the series' totals and the diagnosis follow.
func setUsage(r *DiagnosisResult, name string, f func(i int) (used, queued float64)) {
	for k := range r.Workloads {
		w := &r.Workloads[k]
		if w.Name != name {
			continue
		}
		s := &w.Usage
		var prev, cpu, delay time.Duration
		for i := range s.Samples {
			x := &s.Samples[i]
			x.Cores, x.Waiting = f(i)
			dt := x.At - prev
			cpu += time.Duration(x.Cores * float64(dt))
			delay += time.Duration(x.Waiting * float64(dt))
			x.CPU, prev = cpu, x.At
		}
		s.CPU, s.Waiting, s.Wall = cpu, delay, prev
		w.Diagnosis = w.diagnose()
	}
}

// steady is a sample pattern that repeats every two samples: a round of
// the quick setting (100 ms) is two samples of 50 ms.
func steady(a, b float64) func(i int) (float64, float64) {
	return func(i int) (float64, float64) {
		if i%2 == 0 {
			return a, 0
		}
		return b, 0
	}
}

// swinging is a round of mean m, the rounds alternating m+d and m−d, two
// at a time: window means that move by ±d over the run.
func swinging(m, d float64) func(i int) (float64, float64) {
	return func(i int) (float64, float64) {
		if i/4%2 == 0 {
			return m + d, 0
		}
		return m - d, 0
	}
}

// crowd returns r's runs as if other work had used the given share of the
// machine's cores meanwhile.
func crowd(r *Report, share float64) {
	for i := range r.Runs {
		if r.Runs[i].Run != nil {
			t := &r.Runs[i].Totals
			t.OtherCPU = time.Duration(share * float64(r.Stamp.Cores) * float64(t.Wall))
		}
	}
}

// The diagnosis's judge on a recorded quick run and on copies of it edited
// so that each claim holds, does not hold, or cannot be decided: every
// outcome of every claim, without timing anything.
func TestJudgeDiagnosis(t *testing.T) {
	cases := []struct {
		name, claim, model string
		quiet              bool // false: other work used 60% of the cores
		edit               func(r *DiagnosisResult)
		want               Outcome
		why                string
	}{
		// diagnosis-right: the demand's interval inside the range of the
		// class the workload is.
		{"as recorded, on a quiet machine", "diagnosis-right", "A", true, nil, Holds, "diagnosed mixed"},
		{"as recorded, on a quiet machine", "diagnosis-right", "B", true, nil, Holds, "diagnosed I/O-bound"},
		{"as recorded, on a quiet machine", "diagnosis-right", "C", true, nil, Holds, "diagnosed CPU-bound"},
		{"three quarters of a core, steadily: 0.05 inside", "diagnosis-right", "D", true, func(r *DiagnosisResult) { setUsage(r, "D", steady(1, 0.5)) }, Holds, "inside the range of mixed"},
		{"three quarters of a core, moving ±0.1 over the run", "diagnosis-right", "D", true, func(r *DiagnosisResult) { setUsage(r, "D", swinging(0.75, 0.1)) }, Inconclusive, "straddles the bound 0"},
		{"crowded out: 0.9 cores of demand", "diagnosis-right", "D", true, func(r *DiagnosisResult) {
			setUsage(r, "D", func(int) (float64, float64) { return 0.6, 0.3 })
		}, DoesNotHold, "diagnosed CPU-bound"},
		{"a waiting workload that computes: half a core", "diagnosis-right", "B", true, func(r *DiagnosisResult) { setUsage(r, "B", steady(1, 0)) }, DoesNotHold, "diagnosed mixed"},
		{"as recorded, other work using 60% of the cores", "diagnosis-right", "A", false, nil, Inconclusive, "other work used"},

		// cpu-bound-full: at least 90% of its cores used, time queued not
		// counted; a shortfall queued for a CPU leaves it undecided.
		{"both cores busy throughout", "cpu-bound-full", "C", true, func(r *DiagnosisResult) { setUsage(r, "C", steady(2, 1.98)) }, Holds, ""},
		{"one core left idle", "cpu-bound-full", "C", true, func(r *DiagnosisResult) { setUsage(r, "C", steady(1, 1)) }, DoesNotHold, "1.00 of 2 cores used"},
		{"a core's worth queued for a CPU others held", "cpu-bound-full", "C", true, func(r *DiagnosisResult) {
			setUsage(r, "C", func(int) (float64, float64) { return 1.2, 0.8 })
		}, Inconclusive, "the shortfall is a neighbour's load"},
		{"around the bound", "cpu-bound-full", "C", true, func(r *DiagnosisResult) { setUsage(r, "C", swinging(1.8, 0.15)) }, Inconclusive, "straddles the bound 0.9"},
		{"around the bound, the rest queued", "cpu-bound-full", "C", true, func(r *DiagnosisResult) {
			setUsage(r, "C", func(i int) (float64, float64) {
				u, _ := swinging(1.8, 0.15)(i)
				return u, 2 - u
			})
		}, Inconclusive, "straddles the bound 0.9: the figure moved over the run's 10 windows more than its distance from the bound: a noisy machine, or a figure that truly sits near the bound; and what it fell short by, its threads spent queued"},
		{"both cores busy, other work using 60% of them", "cpu-bound-full", "C", false, func(r *DiagnosisResult) { setUsage(r, "C", steady(2, 1.98)) }, Inconclusive, "other work used"},

		// io-bound-idle: at most 5% of a core.
		{"as recorded, other work using 60% of the cores: no busy rule", "io-bound-idle", "B", false, nil, Holds, ""},
		{"a third of a core", "io-bound-idle", "B", false, func(r *DiagnosisResult) { setUsage(r, "B", steady(0.33, 0.33)) }, DoesNotHold, ""},
		{"around the bound", "io-bound-idle", "B", false, func(r *DiagnosisResult) { setUsage(r, "B", swinging(0.05, 0.04)) }, Inconclusive, "straddles the bound 0.05"},
	}
	for _, c := range cases {
		r := recorded(t, Diagnosis, "diagnosis-quick")
		quiet(&r.Report)
		if !c.quiet {
			crowd(&r.Report, 0.6)
		}
		if c.edit != nil {
			c.edit(r)
		}
		var v Verdict
		found := false
		for _, x := range judgeDiagnosis(r).verdicts {
			if x.ClaimID == c.claim && x.Model == "workload "+c.model {
				v, found = x, true
			}
		}
		if !found {
			t.Errorf("%s, %s: no verdict on workload %s", c.claim, c.name, c.model)
			continue
		}
		if v.Outcome != c.want || !strings.Contains(v.Reason+" "+v.Detail, c.why) {
			t.Errorf("%s, workload %s, %s: %s (%s), want %s with %q\n%s", c.claim, c.model, c.name, v.Outcome, v.Estimate(), c.want, c.why, verdictLines([]Verdict{v}))
		}
	}
}

// The recorded run is what the judge says of it: its verdicts judged again
// are the ones recorded, and the workloads' truths follow from their
// program.
func TestDiagnosisRecorded(t *testing.T) {
	r := recorded(t, Diagnosis, "diagnosis-quick")
	again := judgeDiagnosis(r).verdicts
	if len(again) != len(r.Verdicts) || len(again) != 6 {
		t.Fatalf("%d verdicts judged again, %d recorded", len(again), len(r.Verdicts))
	}
	for i, v := range again {
		if v.Outcome != r.Verdicts[i].Outcome || v.Measured != r.Verdicts[i].Measured {
			t.Errorf("judged again: %s, recorded %s", verdictLines(again[i:i+1]), verdictLines(r.Verdicts[i:i+1]))
		}
	}
	for _, w := range r.Workloads {
		if w.Diagnosis != w.diagnose() {
			t.Errorf("%s: recorded diagnosis %+v, the classifier now says %+v", w.Name, w.Diagnosis, w.diagnose())
		}
		if w.Truth != decision.ClassOf(w.Planned) {
			t.Errorf("%s: it is %s, built to use %.2f cores", w.Name, w.Truth, w.Planned)
		}
	}
}

// The verdict lines and the tables of the recorded run, as recorded (other
// work used under a quarter of the cores), and as if others had used 60%
// of them: the verdicts the busy rule applies to are inconclusive.
func TestDiagnosisGolden(t *testing.T) {
	r := recorded(t, Diagnosis, "diagnosis-quick")
	golden.Check(t, "diagnosis-verdicts", verdictLines(judgeDiagnosis(r).verdicts))
	golden.Check(t, "diagnosis-tables", tablesText(r.Tables()))
	crowd(&r.Report, 0.6)
	golden.Check(t, "diagnosis-verdicts-busy", verdictLines(judgeDiagnosis(r).verdicts))
}

// What the diagnosis lists is what it judges.
func TestDiagnosisClaimsListed(t *testing.T) {
	r := recorded(t, Diagnosis, "diagnosis-quick")
	listed := map[string]bool{}
	for _, c := range Diagnosis.Claims() {
		listed[c.ID] = true
	}
	judged := map[string]bool{}
	for _, v := range judgeDiagnosis(r).verdicts {
		judged[v.ClaimID] = true
		if !listed[v.ClaimID] {
			t.Errorf("judged %s, which Claims does not list", v.ClaimID)
		}
	}
	for id := range listed {
		if !judged[id] {
			t.Errorf("listed %s, never judged", id)
		}
	}
}

// Bad parameters are refused before anything runs; the workloads are
// built as their parameters say.
func TestDiagnosisParams(t *testing.T) {
	p := Diagnosis.Defaults()
	p.Share = 0
	if _, err := Diagnosis.Run(context.Background(), &p, nil); err == nil || !strings.Contains(err.Error(), "--share: 0 is out of range") {
		t.Errorf("share 0: %v", err)
	}
	p = Diagnosis.Defaults()
	if err := Set(&p, "near", "100"); err == nil || !strings.Contains(err.Error(), "100 is out of range") {
		t.Errorf("near 100: %v", err)
	}
	if err := Set(&p, "interval", "5ms"); err == nil || !strings.Contains(err.Error(), "5ms is out of range") {
		t.Errorf("interval 5ms: %v", err)
	}
	// The workloads last about as long as each other; what each is
	// follows from the cores it is built to use.
	ws := diagnosisWorkloads(&p, 2)
	if len(ws) != 4 {
		t.Fatalf("workloads %+v", ws)
	}
	for i, want := range []struct {
		class   decision.Class
		planned float64
	}{{decision.Mixed, 0.5}, {decision.IOBound, 0}, {decision.CPUBound, 2}, {decision.Mixed, 0.75}} {
		if ws[i].truth() != want.class || ws[i].planned() != want.planned {
			t.Errorf("workload %s: %s, %.2f cores; want %s, %.2f", ws[i].name, ws[i].truth(), ws[i].planned(), want.class, want.planned)
		}
	}
	if ws[1].concurrency != p.Tasks || ws[2].concurrency != 2 || len(ws[0].tasks[0].Steps) != 2*diagnosisRounds {
		t.Errorf("workloads %+v", ws)
	}
	if d := ws[1].tasks[0].Steps[0].Duration * diagnosisRounds; d != p.Length {
		t.Errorf("waiting workload lasts %v", d)
	}
	// Shares past a threshold make a workload of the other class.
	p.Share, p.Near = 90, 10
	ws = diagnosisWorkloads(&p, 2)
	if ws[0].truth() != decision.CPUBound || ws[3].truth() != decision.IOBound {
		t.Errorf("90%% is %s, 10%% is %s", ws[0].truth(), ws[3].truth())
	}
	// The quick setting's windows are its rounds.
	q := Diagnosis.Quick()
	if q.Length/decision.Windows != q.Length/diagnosisRounds || (q.Length/diagnosisRounds)%q.Interval != 0 {
		t.Errorf("quick: rounds of %v, windows of %v, samples of %v", q.Length/diagnosisRounds, q.Length/decision.Windows, q.Interval)
	}
}

// Cancelling stops the experiment promptly.
func TestDiagnosisCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	p := Diagnosis.Defaults()
	if _, err := Diagnosis.Run(ctx, &p, nil); err == nil {
		t.Fatal("no error")
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("took %v to stop", d)
	}
}
