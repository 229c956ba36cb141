package kernel

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments"
)

// notebook is what these tests read of a notebook: its markdown cells and
// the question its parameters cell names.
type notebook struct {
	path, question string
	markdown       []string
	// params is the parameters cell's source.
	params string
}

// notebooks reads notebooks/*.ipynb.
func notebooks(t *testing.T) []notebook {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "notebooks", "*.ipynb"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no notebooks: %v", err)
	}
	var nbs []notebook
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var f struct {
			Cells []struct {
				Type     string          `json:"cell_type"`
				Source   json.RawMessage `json:"source"`
				Metadata struct {
					Boundlab struct {
						Question string `json:"question"`
					} `json:"boundlab"`
				} `json:"metadata"`
			} `json:"cells"`
		}
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		nb := notebook{path: filepath.Base(p)}
		for _, c := range f.Cells {
			var lines []string
			if err := json.Unmarshal(c.Source, &lines); err != nil {
				var s string
				if err := json.Unmarshal(c.Source, &s); err != nil {
					t.Fatalf("%s: a cell's source: %v", p, err)
				}
				lines = []string{s}
			}
			if q := c.Metadata.Boundlab.Question; q != "" {
				nb.question, nb.params = q, strings.Join(lines, "")
			}
			if c.Type == "markdown" {
				nb.markdown = append(nb.markdown, strings.Join(lines, ""))
			}
		}
		nbs = append(nbs, nb)
	}
	return nbs
}

// predictionItems are the lines a notebook's "If the lecture is right"
// cell lists for a question's claims: one a quote of the lecture (claims
// testing the same words share it), then one a project check.
func predictionItems(claims []experiments.Claim) (lecture, checks []string) {
	type said struct{ quote, cite string }
	var order []said
	tested := map[said][]string{}
	for _, c := range claims {
		as := fmt.Sprintf("**%s** (predicted: %s)", c.Brief(), c.Predicts)
		if c.Source == experiments.Check {
			checks = append(checks, fmt.Sprintf("**%s**: %s (predicted: %s).", c.Brief(), c.Text, c.Predicts))
			continue
		}
		k := said{c.Quote, c.Cite}
		if _, ok := tested[k]; !ok {
			order = append(order, k)
		}
		tested[k] = append(tested[k], as)
	}
	for _, k := range order {
		lecture = append(lecture, fmt.Sprintf("“%s” (*%s*) — tested as %s.", k.quote, k.cite, strings.Join(tested[k], " and as ")))
	}
	return lecture, checks
}

// checksHeading opens the list of the project's own checks in a
// notebook's prediction.
const checksHeading = "**The project's own checks**, not the lecture's claims:"

// Under "If the lecture is right" a notebook lists the lecture's claims its
// question judges, each in the lecture's own words with where it says
// them, and the project's own checks apart, after them, under their own
// heading: generated from the claims (the lines are in TestPredictionCells'
// message when one is missing).
func TestPredictionCells(t *testing.T) {
	for _, nb := range notebooks(t) {
		if nb.question == "" {
			continue
		}
		q, err := experiments.Lookup(nb.question)
		if err != nil {
			t.Fatalf("%s: %v", nb.path, err)
		}
		cell := ""
		for _, md := range nb.markdown {
			if strings.Contains(md, "If the lecture is right") {
				cell = md
			}
		}
		if cell == "" {
			t.Errorf("%s has no \"If the lecture is right\" cell", nb.path)
			continue
		}
		lecture, checks := predictionItems(q.Claims())
		at := strings.Index(cell, checksHeading)
		if len(checks) > 0 && at < 0 {
			t.Errorf("%s: the prediction lacks the heading %q", nb.path, checksHeading)
		}
		if len(checks) == 0 && at >= 0 {
			t.Errorf("%s: the prediction lists project checks, and %s judges none", nb.path, nb.question)
		}
		for _, l := range lecture {
			if i := strings.Index(cell, l); i < 0 || (at >= 0 && i > at) {
				t.Errorf("%s: the lecture's claims lack (before the project's checks):\n%s", nb.path, l)
			}
		}
		for _, l := range checks {
			if i := strings.Index(cell, l); i < 0 || i < at {
				t.Errorf("%s: the project's checks lack:\n%s", nb.path, l)
			}
		}
	}
}

// A figure is a number with a unit: a time, a size, cores, a ratio (× or
// x) or a percentage.
var figureRE = regexp.MustCompile(`(\d[\d,]*(?:\.\d+)?)[ \x{00a0}\x{202f}]?(ms|µs|ns|seconds?|minutes?|s|KiB|MiB|GiB|kB|MB|GB|cores?|×|x|%)(?:[^\pL\pN]|$)`)

// unitScale turns a figure's unit into its base unit's (seconds, bytes,
// cores, ratio, per cent).
var unitScale = map[string]struct {
	base  string
	scale float64
}{
	"ns": {"s", 1e-9}, "µs": {"s", 1e-6}, "ms": {"s", 1e-3}, "s": {"s", 1}, "second": {"s", 1}, "seconds": {"s", 1},
	"minute": {"s", 60}, "minutes": {"s", 60},
	"kB": {"B", 1e3}, "MB": {"B", 1e6}, "GB": {"B", 1e9}, "KiB": {"B", 1 << 10}, "MiB": {"B", 1 << 20}, "GiB": {"B", 1 << 30},
	"core": {"cores", 1}, "cores": {"cores", 1}, "×": {"×", 1}, "x": {"×", 1}, "%": {"%", 1},
}

// figure is a figure in its base unit, e.g. "0.1 s" for "100 ms".
type figure struct {
	value float64
	base  string
	text  string
}

// proseFigs finds the figures in s.
func proseFigs(s string) []figure {
	var fs []figure
	for _, m := range figureRE.FindAllStringSubmatch(s, -1) {
		v, err := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64)
		if err != nil {
			continue
		}
		u := unitScale[m[2]]
		fs = append(fs, figure{v * u.scale, u.base, strings.TrimRight(m[0], " .,;:)")})
	}
	return fs
}

// quoted matches what prose quotes or shows as code: the lecture's words,
// a command, a cell's override. Its figures are not results.
var quoted = regexp.MustCompile("(?s)```.*?```|`[^`]*`|“[^”]*”|\"[^\"]*\"|(?m)^>.*$")

// supplied are the figures a question's notebook may state in fixed prose:
// its default parameters' values and the figures of its claims (their
// bounds and predictions), in base units.
func supplied(q experiments.Experiment) []figure {
	var fs []figure
	add := func(s string) { fs = append(fs, proseFigs(s)...) }
	for _, p := range q.NewParams(false).Params() {
		for _, v := range strings.Split(p.String(), ",") {
			if d, err := time.ParseDuration(v); err == nil {
				fs = append(fs, figure{d.Seconds(), "s", v})
			}
			if n, err := strconv.ParseFloat(v, 64); err == nil {
				for _, base := range []string{"B"} {
					fs = append(fs, figure{n, base, v})
				}
			}
			add(v)
		}
	}
	for _, c := range q.Claims() {
		fs = append(fs, figure{100 * c.Tolerance, "%", "tolerance"})
		add(c.Text)
		add(c.Predicts)
		add(c.Quantity)
	}
	return fs
}

// proseFigures are figures that fixed prose may state though neither a
// parameter nor a claim supplies them, each with why: keep this list small.
var proseFigures = map[string]string{
	"95%":                                    "the confidence level of every verdict's interval",
	"04-no-semaphore.ipynb 1 s":              "Linux's SYN retransmission schedule, 1 s, 3 s, 7 s: the kernel's, not a result",
	"04-no-semaphore.ipynb 3 s":              "Linux's SYN retransmission schedule",
	"04-no-semaphore.ipynb 7 s":              "Linux's SYN retransmission schedule",
	"09-decision-framework.ipynb 25 seconds": "a run's length by the parameters: 1000 waits of 50 ms, two at a time",
	"02-threads-vs-processes.ipynb 1×":       "the threads claim's expected speedup, none, that its bound of 1.15 is over",
	"03-semaphore.ipynb 100 seconds":         "the limit-1 run's length by the formula: 1000 tasks one at a time at 100 ms",
	"03-semaphore.ipynb 100 s":               "the limit-1 run's length by the formula: 1000 tasks one at a time at 100 ms",
}

// No fixed prose in a notebook states a figure that no result supplies: a
// sentence that says what a run measured must be generated from the run
// (kernel.ShowFindings, a chart, a table). A figure is allowed in fixed prose
// where it quotes the lecture or a command, is a default parameter of the
// notebook's question, is one of its claims' own bounds, or is in
// proseFigures with its reason.
func TestNoFixedResultsInProse(t *testing.T) {
	for _, nb := range notebooks(t) {
		var ok []figure
		if nb.question != "" {
			q, err := experiments.Lookup(nb.question)
			if err != nil {
				t.Fatalf("%s: %v", nb.path, err)
			}
			ok = supplied(q)
		}
		for _, md := range nb.markdown {
			// A number set in an override the cell shows, like `%% --near=60`,
			// is a parameter too.
			var set []figure
			for _, code := range regexp.MustCompile("`[^`]*`").FindAllString(md, -1) {
				for _, n := range regexp.MustCompile(`=(\d+(?:\.\d+)?)`).FindAllStringSubmatch(code, -1) {
					v, _ := strconv.ParseFloat(n[1], 64)
					for _, base := range []string{"%", "cores", "×", "s", "B"} {
						set = append(set, figure{v, base, n[1]})
					}
				}
			}
			for _, f := range proseFigs(quoted.ReplaceAllString(md, "")) {
				_, listed := proseFigures[nb.path+" "+f.text]
				_, general := proseFigures[f.text]
				if listed || general || has(ok, f) || has(set, f) {
					continue
				}
				t.Errorf("%s states %q, which no parameter, claim or result supplies: generate the sentence from the result, or remove it", nb.path, f.text)
			}
		}
	}
}

// has reports whether fs holds f's value in f's unit.
func has(fs []figure, f figure) bool {
	for _, g := range fs {
		if g.base == f.base && math.Abs(g.value-f.value) <= 1e-9*math.Max(1, math.Abs(f.value)) {
			return true
		}
	}
	return false
}

// The figure finder reads units and ratios, and a figure that no
// parameter supplies is flagged while a parameter's is not.
func TestFigures(t *testing.T) {
	fs := proseFigs("at 1.93× on 2 cores, 0.54 cores, 100 ms and 50,000 tasks, 5%, 2 KiB")
	var got []string
	for _, f := range fs {
		got = append(got, fmt.Sprintf("%g %s", f.value, f.base))
	}
	if want := "1.93 ×|2 cores|0.54 cores|0.1 s|5 %|2048 B"; strings.Join(got, "|") != want {
		t.Errorf("figures = %q, want %q", strings.Join(got, "|"), want)
	}
	ok := supplied(experiments.Semaphore)
	if !has(ok, proseFigs("a latency of 100 ms")[0]) {
		t.Error("the semaphore question's default latency, 100 ms, is not supplied")
	}
	if has(ok, proseFigs("it took 1.93 s")[0]) {
		t.Error("a figure no parameter or claim supplies, 1.93 s, is")
	}
	if got := quoted.ReplaceAllString("it said “8 chefs share 1 knife in 2 s” and `%% --latency=3s` took 4 s", ""); strings.Contains(got, "2 s") || strings.Contains(got, "3s") || !strings.Contains(got, "4 s") {
		t.Errorf("quotes and code not left out: %q", got)
	}
}

// modelsRE finds the models a parameters cell sets.
var modelsRE = regexp.MustCompile(`(?s)Models:\s*\[\]string\{([^}]*)\}`)

// A lecture claim about Python is judged on CPython first: wherever a
// question can run CPython, cpython is one of its default models, and the
// notebook's parameters cell sets the default models.
func TestCPythonByDefault(t *testing.T) {
	for _, nb := range notebooks(t) {
		if nb.question == "" {
			continue
		}
		q, err := experiments.Lookup(nb.question)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range q.NewParams(false).Params() {
			if p.Name != "models" {
				continue
			}
			if strings.Contains(p.Usage, "cpython") && !strings.Contains(","+p.String()+",", ",cpython,") {
				t.Errorf("%s can run cpython but its default models are %s", nb.question, p.String())
			}
			m := modelsRE.FindStringSubmatch(nb.params)
			if m == nil {
				t.Errorf("%s: the parameters cell sets no Models", nb.path)
				continue
			}
			var names []string
			for _, n := range strings.Split(m[1], ",") {
				if n = strings.Trim(strings.TrimSpace(n), `"`); n != "" {
					names = append(names, n)
				}
			}
			if got := strings.Join(names, ","); got != p.String() {
				t.Errorf("%s: the parameters cell's models are %s, the question's defaults %s", nb.path, got, p.String())
			}
		}
	}
}
