package experiments

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/boundlab/boundlab/internal/golden"
)

// judgeCase is one case of a question's judge on a recorded result: an
// edit of the result (nil: as recorded), the claim and series whose verdict
// it looks at, and the outcome it must have, with a phrase its reason or
// detail must contain.
type judgeCase[R any] struct {
	name, claim, model string
	// quiet judges the result as if nothing else had run on the machine
	// (see quiet), so that a timed verdict comes out on its figures.
	quiet bool
	edit  func(r *R)
	want  Outcome
	why   string
}

// checkJudge runs the cases against the question's judge, each on a fresh
// copy of testdata/<file>.json.
func checkJudge[P, R any](t *testing.T, q *Question[P, R], file string, cases []judgeCase[R]) {
	t.Helper()
	for _, c := range cases {
		r := recorded(t, q, file)
		if c.quiet {
			quiet(q.result(r).Base())
		}
		if c.edit != nil {
			c.edit(r)
		}
		v, found := verdictOf(q.judge(r).verdicts, c.claim, c.model)
		if !found {
			t.Errorf("%s, %s: no verdict on %s", c.claim, c.name, c.model)
			continue
		}
		if v.Outcome != c.want || !strings.Contains(v.Reason+" "+v.Detail, c.why) {
			t.Errorf("%s, %s: %s (%s), want %s with %q\n%s", c.claim, c.name, v.Outcome, v.Estimate(), c.want, c.why, verdictLines([]Verdict{v}))
		}
	}
}

// verdictOf finds the verdict on claim for model.
func verdictOf(vs []Verdict, claim, model string) (Verdict, bool) {
	for _, v := range vs {
		if v.ClaimID == claim && v.Model == model {
			return v, true
		}
	}
	return Verdict{}, false
}

// checkClaimsListed checks that what a question lists is what it judges on
// a recorded result: every claim judged is listed, and every claim listed
// is judged.
func checkClaimsListed[P, R any](t *testing.T, q *Question[P, R], file string) {
	t.Helper()
	r := recorded(t, q, file)
	listed := map[string]bool{}
	for _, c := range q.Claims() {
		listed[c.ID] = true
	}
	judged := map[string]bool{}
	for _, v := range q.judge(r).verdicts {
		judged[v.ClaimID] = true
		if !listed[v.ClaimID] {
			t.Errorf("%s: judged %s, which Claims does not list", q.Name(), v.ClaimID)
		}
	}
	for id := range listed {
		if !judged[id] {
			t.Errorf("%s: listed %s, never judged on testdata/%s.json", q.Name(), id, file)
		}
	}
}

// checkGolden compares the verdict lines of a recorded result, judged
// again, and its tables with the golden files <file>-verdicts and
// <file>-tables; and the verdict lines as if the machine had been quiet
// with <file>-verdicts-quiet.
func checkGolden[P, R any](t *testing.T, q *Question[P, R], file string) {
	t.Helper()
	r := recorded(t, q, file)
	base := q.result(r).Base()
	j := q.judge(r)
	if len(j.verdicts) != len(base.Verdicts) {
		t.Errorf("%s: %d verdicts judged again, %d recorded", q.Name(), len(j.verdicts), len(base.Verdicts))
	}
	golden.Check(t, file+"-verdicts", verdictLines(j.verdicts))
	golden.Check(t, file+"-tables", tablesText(q.result(r).Tables()))
	quiet(base)
	golden.Check(t, file+"-verdicts-quiet", verdictLines(q.judge(r).verdicts))
}

// recordQuick runs q's quick parameters, edited by edit (CPython beside
// the models, say), and records the result as testdata/<file>.json, with
// -record, keeping the spans and heartbeats of the runs keep lists (nil:
// none); it skips otherwise.
func recordQuick[P, R any](t *testing.T, q *Question[P, R], file string, edit func(p *P), keep ...func(r *R) []int) {
	t.Helper()
	if !*record {
		t.Skip("records only with -record")
	}
	needPython(t)
	p := q.Quick()
	edit(&p)
	res, err := q.Run(context.Background(), &p, nil)
	if err != nil {
		t.Fatal(err)
	}
	var runs []int
	for _, k := range keep {
		runs = append(runs, k(res)...)
	}
	save(t, file, q.result(res), runs...)
}

// busyMachine returns r's runs as if other work had kept 60% of the
// machine's cores busy while each ran.
func busyMachine(r *Report) {
	for i := range r.Runs {
		if run := r.Runs[i].Run; run != nil {
			run.Totals.OtherCPU = time.Duration(0.6 * float64(r.Stamp.Cores) * float64(run.Totals.Wall))
		}
	}
}

// eachRun calls f on a setting's run shown (k = -1) and on each of its
// repeats (k its round).
func eachRun(p *CallRuns, f func(k int, c *CallPoint)) {
	f(-1, &p.CallPoint)
	for k := range p.Repeats {
		f(k, &p.Repeats[k])
	}
}

// byRound sets a figure of each run from xs, round by round (the run shown
// takes the first).
func byRound(xs []float64, set func(c *CallPoint, x float64)) func(k int, c *CallPoint) {
	return func(k int, c *CallPoint) { set(c, xs[max(k, 0)%len(xs)]) }
}
