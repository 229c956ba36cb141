package kernel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/model"
)

func report() *experiments.Report {
	return &experiments.Report{
		Question: "x", Title: "A <b>title</b>",
		Verdicts: []experiments.Verdict{
			{ClaimID: "c1", Claim: "first <claim>", Brief: "first <claim>", Source: experiments.Check, Model: "eventloop", Measured: 1.01, Low: 1.005, High: 1.02, Runs: 6, Expected: 1, Unit: "x", Compare: experiments.Within, Tolerance: 0.1, Outcome: experiments.Holds, Holds: true, Detail: "d1"},
			{ClaimID: "c2", Claim: "second claim", Brief: "second claim", Source: experiments.Lecture, Quote: "the words", Cite: "Lecture 18, question 1, the answer", Model: "go<routines>", Measured: 0.6, Low: 0.6, High: 0.6, Runs: 1, Expected: 2, Unit: "x", Compare: experiments.AtLeast, Tolerance: 0.15, Outcome: experiments.DoesNotHold, Detail: "d2"},
			{ClaimID: "c3", Claim: "third claim", Brief: "third claim", Source: experiments.Lecture, Model: "gil", Measured: 1.1, Low: 0.95, High: 1.3, Runs: 3, Expected: 1, Unit: "x", Compare: experiments.AtMost, Tolerance: 0.15, Outcome: experiments.Inconclusive, Reason: "too few runs (3)", Detail: "d3"},
		},
		Notes: []string{"cpython: no python3 on PATH"},
	}
}

func TestVerdictsHTMLEscapes(t *testing.T) {
	h := verdictsHTML(report())
	if strings.Contains(h, "<routines>") || strings.Contains(h, "<claim>") {
		t.Fatalf("unescaped text in the table:\n%s", h)
	}
	for _, want := range []string{"0 of 2 verdicts hold, 1 inconclusive", "does not hold", "go&lt;routines&gt;", "at least 1.7", "within ±10% of 1",
		"1.01 [1.005, 1.02]", "inconclusive: too few runs (3)"} {
		if !strings.Contains(h, want) {
			t.Errorf("table lacks %q", want)
		}
	}
}

// Findings read the verdicts, one sentence a claim, the ones that do not
// hold first, then the inconclusive ones with why; the lecture's claims
// apart from the project's checks.
func TestFindingsReadTheVerdicts(t *testing.T) {
	md := findingsMarkdown(report())
	notHeld := strings.Index(md, "- **second claim** did **not** hold on `go&lt;routines&gt;` 0.6 x; the claim expects at least 1.7 x.")
	inconclusive := strings.Index(md, "- **third claim** was **inconclusive** on `gil` 1.1 \\[0.95, 1.3\\] x (too few runs (3)); the claim expects at most 1.15 x.")
	heldAt := strings.Index(md, "- **first &lt;claim&gt;** held on `eventloop` 1.01 \\[1.005, 1.02\\] x")
	checks := strings.Index(md, "*The project's own checks, not the lecture's* (1 of 1 verdicts hold)")
	if notHeld < 0 || inconclusive < 0 || heldAt < 0 || notHeld > inconclusive || inconclusive > heldAt || checks < 0 || checks > heldAt {
		t.Fatalf("findings out of order or missing:\n%s", md)
	}
	if !strings.Contains(md, "*The lecture's claims* (0 of 2 verdicts hold, 1 inconclusive)") || !strings.Contains(md, "*Note:* cpython: no python3 on PATH") {
		t.Fatalf("findings lack the count or the note:\n%s", md)
	}
	if strings.Contains(md, "<routines>") {
		t.Fatalf("markup not escaped:\n%s", md)
	}
}

// The verdict table shows the lecture's claims apart from the project's
// checks, failures first, each claim's short words rather than its id,
// expected values with their units, and the long text folded.
func TestVerdictsHTMLGroups(t *testing.T) {
	h := verdictsHTML(report())
	lecture := strings.Index(h, ">The lecture&#39;s claims <span style=\"font-weight:normal;color:#555\">(0 of 2 verdicts hold, 1 inconclusive)</span></th>")
	second := strings.Index(h, `title="second claim">second claim</td>`)
	third := strings.Index(h, `title="third claim">third claim</td>`)
	checks := strings.Index(h, ">The project&#39;s own checks, not the lecture&#39;s <span")
	first := strings.Index(h, `">first &lt;claim&gt;</td>`)
	if lecture < 0 || lecture > second || second > third || third > checks || checks > first {
		t.Fatalf("table out of order:\n%s", h)
	}
	for _, want := range []string{"at least 1.7 x", "<details><summary>where</summary>The lecture: “the words” (Lecture 18, question 1, the answer). Tested as: second claim. Measured: d2</details>",
		"The project&#39;s own check, not the lecture&#39;s."} {
		if !strings.Contains(h, want) {
			t.Errorf("table lacks %q:\n%s", want, h)
		}
	}
	if strings.Contains(h, ">c2<") {
		t.Error("the table shows a claim's id")
	}
}

func TestSummaryHTMLHasNotes(t *testing.T) {
	r := report()
	r.Elapsed = 1500 * time.Millisecond
	h := summaryHTML(r)
	if !strings.Contains(h, "A &lt;b&gt;title&lt;/b&gt;") || !strings.Contains(h, "Note: cpython: no python3 on PATH") {
		t.Fatalf("summary:\n%s", h)
	}
}

// A cell's flags go into the parameters; bad ones come back as one line
// naming the parameter.
func TestApplyArgs(t *testing.T) {
	p := experiments.Semaphore.Defaults()
	if err := applyArgs(&p, []string{"--limit=50", "--latency", "20ms"}); err != nil {
		t.Fatal(err)
	}
	if p.Limit != 50 || p.Latency != 20*time.Millisecond {
		t.Fatalf("params %+v", p)
	}
	for args, want := range map[string]string{
		"--limit=0":        "0 is out of range (allowed: an integer from 1 to 1000000)",
		"--latency=banana": `"banana" is not a duration`,
		"--nope=1":         "flag provided but not defined: -nope",
		"stray":            `unexpected argument "stray"`,
	} {
		p := experiments.Semaphore.Defaults()
		err := applyArgs(&p, strings.Fields(args))
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line with %q", args, err, want)
		}
	}
	// A value set in the parameters cell itself is checked too.
	p = experiments.Semaphore.Defaults()
	p.Tasks = -5
	if err := applyArgs(&p, nil); err == nil || !strings.Contains(err.Error(), "--tasks: -5 is out of range") {
		t.Errorf("tasks -5: %v", err)
	}
}

// Run saves its result for later cells; Last reads it back, typed.
func TestRunSavesForLast(t *testing.T) {
	t.Setenv("GONB_TMP_DIR", t.TempDir())
	if Last(experiments.AsyncCPU) != nil {
		t.Fatal("Last before any run returned a result")
	}
	// The later cells of a notebook take Last's nil as no result, as they
	// take Run's after a bad parameter: nothing shown, no panic.
	ShowFindings(Last(experiments.AsyncCPU))
	ShowTables(Last(experiments.AsyncCPU))
	ShowResult(Last(experiments.AsyncCPU))
	p := experiments.AsyncCPU.Defaults()
	p.Tasks, p.CPU, p.Models, p.Repeat = 2, 5*time.Millisecond, []string{"eventloop"}, 1
	res := Run(experiments.AsyncCPU, &p)
	if res == nil {
		t.Fatal("Run returned nil")
	}
	back := Last(experiments.AsyncCPU) // a *experiments.AsyncCPUResult
	if back == nil || len(back.Verdicts) != len(res.Verdicts) || back.ParamValues["tasks"] != "2" {
		t.Fatalf("Last = %#v", back)
	}
}

// With ResultsDirEnv set, Run saves the result there as QUESTION.json,
// which the question decodes (the handouts' overview reads it so).
func TestRunSavesToResultsDir(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("GONB_TMP_DIR", t.TempDir())
	t.Setenv(ResultsDirEnv, dir)
	p := experiments.AsyncCPU.Defaults()
	p.Tasks, p.CPU, p.Models, p.Repeat = 2, 5*time.Millisecond, []string{"eventloop"}, 1
	res := Run(experiments.AsyncCPU, &p)
	if res == nil {
		t.Fatal("Run returned nil")
	}
	b, err := os.ReadFile(filepath.Join(dir, experiments.AsyncCPU.Name()+".json"))
	if err != nil {
		t.Fatalf("no result in %s: %v", ResultsDirEnv, err)
	}
	back, err := experiments.AsyncCPU.Decode(b)
	if err != nil || len(back.Verdicts) != len(res.Verdicts) || len(back.Verdicts) == 0 {
		t.Fatalf("decoded %v, %v; want %d verdicts", back, err, len(res.Verdicts))
	}
	if Last(experiments.AsyncCPU) == nil {
		t.Error("Last did not read the result back from the results directory")
	}
}

// The progress bar, as HTML and as text, escaped in the HTML only.
func TestProgressContent(t *testing.T) {
	h, text := progressContent(0.4, "The <semaphore>", "goroutines, limit 1", 3*time.Minute+200*time.Millisecond)
	if want := "[########------------]  40% goroutines, limit 1 · about 3m00s left · The <semaphore>"; text != want {
		t.Errorf("text:\n got %q\nwant %q", text, want)
	}
	for _, want := range []string{`class="boundlab-progress"`, `<progress value="400" max="1000"`, "<b> 40%</b> The &lt;semaphore&gt; · goroutines, limit 1 · about 3m00s left"} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML lacks %q:\n%s", want, h)
		}
	}
	if _, text := progressContent(1, "T", "done", 0); text != "[####################] 100% done · T" {
		t.Errorf("done: %q", text)
	}
}

// The Python shown is the embedded script's, escaped, folded in a
// <details>, with the file it comes from.
func TestPythonHTML(t *testing.T) {
	fns, err := model.PythonSource("run_threads")
	if err != nil {
		t.Fatal(err)
	}
	h := pythonHTML(fns)
	for _, want := range []string{`<details class="boundlab-python"`, "The Python the cpython model ran: run_threads",
		"experiments/model/cpython/boundlab_cpython.py", "ThreadPoolExecutor(max_workers=req[&#34;concurrency&#34;])", "</pre></details>"} {
		if !strings.Contains(h, want) {
			t.Errorf("lacks %q:\n%s", want, h)
		}
	}
	if strings.Contains(h, "def run_asyncio") {
		t.Error("shows more than the function named")
	}
}
