package experiments

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/boundlab/boundlab/experiments/model"
)

// Judging is tested on results recorded from real runs (testdata/*.json),
// and on copies edited so that a claim comes out false: no timing in the
// test, and every outcome reachable.
var record = flag.Bool("record", false, "run the quick experiments whose results are recorded under testdata again, and save them (slow; then run with -update)")

// recorded decodes testdata/<name>.json as a result of q.
func recorded[P, R any](t *testing.T, q *Question[P, R], name string) *R {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := q.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// save writes res to testdata/<name>.json, trimmed: the spans and
// heartbeat samples of the runs listed in keep (the ones the charts draw)
// and none of the others'. Judging reads figures and totals, not spans.
func save(t *testing.T, name string, res Result, keep ...int) {
	t.Helper()
	r := res.Base()
	for i := range r.Runs {
		if !slices.Contains(keep, i) {
			r.Runs[i].Spans, r.Runs[i].LoopLag = nil, nil
		}
		anonymise(r.Runs[i].Interpreter)
	}
	anonymise(r.Python)
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", name+".json"), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded testdata/%s.json: %d bytes; run the tests with -update to rewrite the golden files from it", name, len(b))
}

// anonymise keeps where this machine's interpreter lives out of the
// project: it is recorded as "python3".
func anonymise(in *model.Interpreter) {
	if in != nil {
		in.Path, in.Executable = "python3", "python3"
	}
}

// verdictLines writes verdicts one a line, as a person reads them: the
// outcome, the claim and model, the figure against the claim's range, why
// an inconclusive one is, and where it was measured.
func verdictLines(vs []Verdict) string {
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "%s | %s | %s | %s %s, expected %s | runs %d", v.Outcome, v.ClaimID, v.Model, v.Estimate(), v.Unit, v.Rule(), v.Runs)
		if v.Reason != "" {
			fmt.Fprintf(&b, " | why: %s", v.Reason)
		}
		fmt.Fprintf(&b, " | %s\n", v.Detail)
	}
	return b.String()
}

// tablesText writes a result's tables as the command line prints them.
func tablesText(ts []Table) string {
	var b strings.Builder
	for _, t := range ts {
		b.WriteString(t.Text() + "\n")
	}
	return b.String()
}

// quiet returns r's runs as if nothing else had run on the machine
// meanwhile, so that verdicts come out on their figures alone.
func quiet(r *Report) {
	for i := range r.Runs {
		if r.Runs[i].Run != nil {
			r.Runs[i].Totals.OtherCPU = 0
		}
	}
}

// TestRecordSemaphore runs the quick semaphore experiment with CPython's
// asyncio beside the models and records it as testdata, with -record.
func TestRecordSemaphore(t *testing.T) {
	if !*record {
		t.Skip("records only with -record")
	}
	needPython(t)
	p := Semaphore.Quick()
	p.Models = []string{"eventloop", "goroutines", "cpython"}
	res, err := Semaphore.Run(context.Background(), &p, nil)
	if err != nil {
		t.Fatal(err)
	}
	var keep []int
	for _, h := range res.Headline {
		keep = append(keep, nearestMedian(&res.Report, h))
	}
	save(t, "semaphore-quick", res, keep...)
}

// nearestMedian is the run of h whose wall time is nearest its median: the
// one the charts draw as a timeline.
func nearestMedian(r *Report, h SemaphorePoint) int {
	best := h.Runs[0]
	for _, i := range h.Runs {
		if (r.Runs[i].Totals.Wall - h.Runtime).Abs() < (r.Runs[best].Totals.Wall - h.Runtime).Abs() {
			best = i
		}
	}
	return best
}

// checkCase checks a table test's case: of vs, exactly one is on claim and
// model and passes match, and it has outcome want with why in its reason
// or detail.
func checkCase(t *testing.T, vs []Verdict, claim, model, name string, want Outcome, why string, match func(Verdict) bool) {
	t.Helper()
	var got []Verdict
	for _, v := range vs {
		if v.ClaimID == claim && v.Model == model && match(v) {
			got = append(got, v)
		}
	}
	if len(got) != 1 {
		t.Errorf("%s, %s: %d verdicts on %s, want 1", claim, name, len(got), model)
		return
	}
	if v := got[0]; v.Outcome != want || !strings.Contains(v.Reason+" "+v.Detail, why) {
		t.Errorf("%s, %s: %s (%s), want %s with %q\n%s", claim, name, v.Outcome, v.Estimate(), want, why, verdictLines([]Verdict{v}))
	}
}
