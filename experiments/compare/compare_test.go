package compare

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/model"
	"github.com/boundlab/boundlab/internal/golden"
)

// The comparisons are tested on the questions' recorded quick runs
// (experiments/testdata) and on copies edited into other machines: the
// same run with GOMAXPROCS=1, and one with a free-threaded CPython. The
// edited verdicts are judged again by the claim's own rule (Claim.Judge),
// so an edited cell is what the question would say of such figures.

// recorded reads experiments/testdata/<name>.json.
func recorded(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// scaling decodes the recorded scaling run.
func scaling(t *testing.T) *experiments.ScalingResult {
	t.Helper()
	res, err := experiments.Scaling.Decode(recorded(t, "scaling-quick"))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// rejudge replaces the verdicts on claim id and model m with the claim
// judged on samples against expected, keeping each verdict's setting (the
// first clause of its detail).
func rejudge(t *testing.T, r *experiments.Report, id, m string, expected float64, samples []float64) {
	t.Helper()
	var claim experiments.Claim
	for _, c := range experiments.Scaling.Claims() {
		if c.ID == id {
			claim = c
		}
	}
	if claim.ID == "" {
		t.Fatalf("no claim %s", id)
	}
	n := 0
	for i, v := range r.Verdicts {
		if v.ClaimID == id && v.Model == m {
			r.Verdicts[i] = claim.Judge(experiments.Measurement{Model: m, Samples: samples, Expected: expected, Unit: v.Unit,
				Detail: firstClause(v.Detail) + ", edited for the test"})
			n++
		}
	}
	if n == 0 {
		t.Fatalf("no verdict on %s for %s", id, m)
	}
}

// drop removes the verdicts for which gone is true.
func drop(r *experiments.Report, gone func(experiments.Verdict) bool) {
	r.Verdicts = slices.DeleteFunc(r.Verdicts, gone)
}

// cpuLimited is the recorded run as if run in a container with a CPU
// limit of one core, at 1 and 2 workers, without CPython: goroutines no
// faster than one worker, which the question judges against
// min(workers, the cores the machine gives the process) = 1.
func cpuLimited(t *testing.T) *experiments.ScalingResult {
	res := scaling(t)
	r := res.Base()
	r.Stamp.CPULimit = 1
	r.Stamp.Time = r.Stamp.Time.Add(time.Hour)
	r.ParamValues["workers"] = "1,2"
	r.ParamValues["models"] = "gil,goroutines,processes"
	r.Python = nil
	drop(r, func(v experiments.Verdict) bool {
		return strings.HasPrefix(v.Detail, "4 workers") || strings.HasPrefix(v.Model, "cpython") || strings.HasSuffix(v.ClaimID, "-fidelity")
	})
	rejudge(t, r, "parallel-cpu", "goroutines", 1, []float64{0.97, 0.98, 0.99, 0.99, 1.0, 1.01})
	return res
}

// freeThreaded is the recorded run on a machine whose CPython runs
// without a GIL: its threads speed up as processes do, so the lecture's
// claim about threads does not hold there.
func freeThreaded(t *testing.T) *experiments.ScalingResult {
	res := scaling(t)
	r := res.Base()
	r.Python = &model.Interpreter{Implementation: "cpython", Version: "3.13.1", FreeThreaded: true, GILEnabled: false}
	rejudge(t, r, "threads-no-speedup", "cpython threads", 1, []float64{1.85, 1.88, 1.9, 1.92, 1.93, 1.95})
	drop(r, func(v experiments.Verdict) bool { return v.ClaimID == "gil-fidelity" })
	return res
}

func TestOfScalingMachines(t *testing.T) {
	c, err := Of(Input{"quick.json", scaling(t)}, Input{"cpulimit1.json", cpuLimited(t)}, Input{"free-threaded.json", freeThreaded(t)})
	if err != nil {
		t.Fatal(err)
	}
	if c.Question != "scaling" || len(c.Columns) != 3 {
		t.Fatalf("question %q, %d columns", c.Question, len(c.Columns))
	}
	for i, want := range []struct{ label, head string }{
		{"A", "2 cores · GOMAXPROCS 2 · go1.26.8 · CPython 3.11.7"},
		{"B", "2 cores (limit 1) · GOMAXPROCS 2 · go1.26.8"},
		{"C", "2 cores · GOMAXPROCS 2 · go1.26.8 · CPython 3.13.1 free-threaded (GIL disabled)"},
	} {
		if col := c.Columns[i]; col.Label != want.label || col.Short() != want.head {
			t.Errorf("column %d: %s %q, want %s %q", i, col.Label, col.Short(), want.label, want.head)
		}
	}
	var diff []string
	for _, p := range c.Params {
		diff = append(diff, p.Name+"="+strings.Join(p.Values, "|"))
	}
	if want := []string{"models=gil,goroutines,processes,cpython|gil,goroutines,processes|gil,goroutines,processes,cpython", "workers=1,2,4|1,2|1,2,4"}; !slices.Equal(diff, want) {
		t.Errorf("params differ: %q, want %q", diff, want)
	}
	cell := func(id, label string) []string {
		t.Helper()
		for _, g := range c.Groups {
			for _, r := range g.Rows {
				if g.ClaimID == id && r.Label() == label {
					var out []string
					for _, cl := range r.Cells {
						if cl.Verdict == nil {
							out = append(out, "-")
						} else {
							out = append(out, string(cl.Verdict.Outcome))
						}
					}
					return out
				}
			}
		}
		t.Fatalf("no row %s %s", id, label)
		return nil
	}
	for _, tc := range []struct {
		id, label string
		want      []string
	}{
		// The same rows line up by setting, whatever else a result has.
		{"parallel-cpu", "goroutines · 2 workers", []string{"inconclusive", "holds", "inconclusive"}},
		{"parallel-cpu", "goroutines · 4 workers", []string{"holds", "-", "holds"}},
		{"threads-no-speedup", "gil · 2 workers", []string{"holds", "holds", "holds"}},
		// The free-threaded CPython's threads scale: the claim holds on one
		// machine and not on the other.
		{"threads-no-speedup", "cpython threads · 2 workers", []string{"holds", "-", "does not hold"}},
		{"threads-no-speedup", "cpython threads · 4 workers", []string{"holds", "-", "does not hold"}},
		{"gil-fidelity", "gil · 2 workers", []string{"holds", "-", "-"}},
		{"processes-memory", "processes", []string{"holds", "holds", "holds"}},
	} {
		if got := cell(tc.id, tc.label); !slices.Equal(got, tc.want) {
			t.Errorf("%s %s: %q, want %q", tc.id, tc.label, got, tc.want)
		}
	}
	// Settings sort by their number, models stay in order of appearance.
	var rows []string
	for _, r := range c.Groups[0].Rows {
		rows = append(rows, r.Label())
	}
	if want := []string{"gil · 2 workers", "gil · 4 workers", "cpython threads · 2 workers", "cpython threads · 4 workers"}; !slices.Equal(rows, want) {
		t.Errorf("rows of %s: %q, want %q", c.Groups[0].ClaimID, rows, want)
	}
	// A rule that depends on the machine is given per column.
	for _, g := range c.Groups {
		for _, r := range g.Rows {
			rule, same := r.Rule(c.Columns)
			if g.ClaimID == "parallel-cpu" && r.Setting == "2 workers" {
				if same || rule != "A: at least 1.7 · B: at least 0.85 · C: at least 1.7" {
					t.Errorf("parallel-cpu at 2 workers: rule %q (same %v)", rule, same)
				}
			}
		}
	}
	var b strings.Builder
	if err := c.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "scaling-machines", b.String())
}

// A result alone is one column: no parameters to compare.
func TestOfOneResult(t *testing.T) {
	res, err := Decode("semaphore-quick.json", recorded(t, "semaphore-quick"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Of(Input{"semaphore-quick.json", res})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Columns) != 1 || len(c.Params) != 0 {
		t.Fatalf("%d columns, %d parameters differ", len(c.Columns), len(c.Params))
	}
	for _, g := range c.Groups {
		for _, r := range g.Rows {
			if r.Setting != "" || r.Cells[0].Verdict == nil {
				t.Errorf("row %s %s: setting %q, verdict %v", g.ClaimID, r.Label(), r.Setting, r.Cells[0].Verdict)
			}
		}
	}
	var b strings.Builder
	if err := c.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "semaphore-one", b.String())
}

// Two semaphore runs at different limits: the note names the parameter
// and its values; the headline claim's rows line up by model.
func TestOfSemaphoreLimits(t *testing.T) {
	a, err := experiments.Semaphore.Decode(recorded(t, "semaphore-quick"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := experiments.Semaphore.Decode(recorded(t, "semaphore-quick"))
	if err != nil {
		t.Fatal(err)
	}
	b.ParamValues["limit"] = "50"
	b.Stamp.Cores, b.Stamp.GOMAXPROCS = 16, 16
	c, err := Of(Input{"laptop.json", a}, Input{"desktop.json", b})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Params) != 1 || c.Params[0].Name != "limit" || !slices.Equal(c.Params[0].Values, []string{"20", "50"}) {
		t.Fatalf("params differ: %+v", c.Params)
	}
	var sb strings.Builder
	if err := c.WriteText(&sb); err != nil {
		t.Fatal(err)
	}
	out := sb.String()
	for _, want := range []string{"limit  A: 20  B: 50", "A · 2 cores · GOMAXPROCS 2", "B · 16 cores · GOMAXPROCS 16", "semaphore-near-ideal (s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
}

func TestOfRefuses(t *testing.T) {
	sem, err := Decode("s.json", recorded(t, "semaphore-quick"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		in   []Input
		want string
	}{
		{"none", nil, "no results to compare"},
		{"different questions", []Input{{"one.json", scaling(t)}, {"s.json", sem}}, `one.json is a result of "scaling", s.json of "semaphore": compare results of one question at a time`},
		{"third differs", []Input{{"s.json", sem}, {"t.json", sem}, {"u.json", scaling(t)}}, `s.json is a result of "semaphore", u.json of "scaling"`},
		{"nil result", []Input{{"s.json", sem}, {"x.json", nil}}, "x.json holds no result"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Of(tc.in...)
			if err == nil || !strings.Contains(err.Error(), tc.want) || c != nil {
				t.Fatalf("Of: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"text", "hello", "x.json is not a boundlab result: not a JSON object"},
		{"array", "[1, 2]", "x.json is not a boundlab result: not a JSON object"},
		{"empty object", "{}", "x.json is not a boundlab result: it lacks a question, a stamp or verdicts"},
		{"a diagnosis", `{"command": ["sleep", "1"], "samples": [], "verdicts": []}`, "it lacks a question, a stamp or verdicts"},
		{"empty", "", "not a JSON object"},
		{"unknown question", `{"question": "nope", "stamp": {}, "verdicts": []}`, `x.json: a result of unknown experiment "nope" (known: `},
		{"bad parameter", `{"question": "semaphore", "stamp": {}, "verdicts": [], "params": {"limit": "0"}}`, "x.json: decode semaphore result: --limit: 0 is out of range"},
		{"wrong type", `{"question": "semaphore", "stamp": {}, "verdicts": "all good"}`, "x.json: decode semaphore result"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Decode("x.json", []byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) || res != nil {
				t.Fatalf("Decode: %v, want an error with %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
	res, err := Decode("scaling-quick.json", recorded(t, "scaling-quick"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := res.(*experiments.ScalingResult); !ok || res.Base().Question != "scaling" || len(res.Base().Verdicts) == 0 {
		t.Fatalf("decoded %T %q with %d verdicts", res, res.Base().Question, len(res.Base().Verdicts))
	}
}

// Verdicts on one claim and model that their details' first clauses do not
// tell apart are numbered.
func TestSettingsNumbered(t *testing.T) {
	vs := []experiments.Verdict{
		{ClaimID: "c", Model: "m", Detail: "same, one"},
		{ClaimID: "c", Model: "m", Detail: "same, two"},
		{ClaimID: "c", Model: "n", Detail: "alone"},
		{ClaimID: "d", Model: "m", Detail: "3 workers: x"},
		{ClaimID: "d", Model: "m", Detail: "12 workers: y"},
	}
	several := map[key]bool{{"c", "m", ""}: true, {"d", "m", ""}: true}
	if got, want := settings(vs, several), []string{"#1", "#2", "", "3 workers", "12 workers"}; !slices.Equal(got, want) {
		t.Fatalf("settings %q, want %q", got, want)
	}
	rows := []Row{{Model: "m", Setting: "12 workers"}, {Model: "m", Setting: "3 workers"}, {Model: "k", Setting: "#2"}, {Model: "k", Setting: "#1"}}
	sortRows(rows)
	var got []string
	for _, r := range rows {
		got = append(got, r.Label())
	}
	if want := []string{"m · 3 workers", "m · 12 workers", "k · #1", "k · #2"}; !slices.Equal(got, want) {
		t.Fatalf("sorted %q, want %q", got, want)
	}
}

func TestLabelsAndMarks(t *testing.T) {
	for i, want := range map[int]string{0: "A", 1: "B", 25: "Z", 26: "AA", 27: "AB", 51: "AZ", 52: "BA"} {
		if got := label(i); got != want {
			t.Errorf("label(%d) = %q, want %q", i, got, want)
		}
	}
	for n, want := range map[int]string{1: "¹", 9: "⁹", 10: "¹⁰", 23: "²³"} {
		if got := Mark(n); got != want {
			t.Errorf("Mark(%d) = %q, want %q", n, got, want)
		}
	}
}
