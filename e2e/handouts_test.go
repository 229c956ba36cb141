package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/boundlab/boundlab/charts"
	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/internal/handouts"
)

var (
	anyScriptSrc = regexp.MustCompile(`(?is)<script\b[^>]*\bsrc\s*=`)
	remoteLink   = regexp.MustCompile(`(?is)<link\b[^>]*\bhref\s*=\s*["']?\s*(https?:)?//`)
	chartDivs    = regexp.MustCompile(`<div [^>]*class="boundlab-chart"`)
)

// notebooks lists the project's notebooks with their questions.
// notebook is what the handouts test knows of a notebook: its question and
// the models its parameters cell runs.
type notebook struct {
	q      experiments.Experiment
	models []string
}

// modelsField finds the Models list in a parameters cell's Go source.
var modelsField = regexp.MustCompile(`Models:\s*\[\]string\{([^}]*)\}`)

// notebooks reads every notebook's question and models.
func notebooks(t *testing.T, r *rig) map[string]notebook {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(r.root, "notebooks", "*.ipynb"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no notebooks: %v", err)
	}
	out := map[string]notebook{}
	for _, p := range paths {
		nb, err := handouts.ReadNotebook(p)
		if err != nil {
			t.Fatal(err)
		}
		pc, ok, err := nb.Parameters()
		if err != nil || !ok {
			t.Fatalf("%s: no parameters cell (%v)", p, err)
		}
		q, err := experiments.Lookup(pc.Question)
		if err != nil {
			t.Fatal(err)
		}
		n := notebook{q: q}
		if m := modelsField.FindStringSubmatch(nb.Source(pc.Index)); m != nil {
			for _, f := range strings.Split(m[1], ",") {
				if f = strings.Trim(strings.TrimSpace(f), `"`); f != "" {
					n.models = append(n.models, f)
				}
			}
		}
		out[nb.Name()] = n
	}
	return out
}

// expectedCharts is how many charts the experiment cell shows for a run
// of the notebook, by the rules charts.For documents. The cpython model
// runs as CPython's thread and process pools in scaling (two series), as
// asyncio elsewhere (one).
func expectedCharts(t *testing.T, n notebook) int {
	t.Helper()
	models := n.models
	has := func(m string) int {
		if slices.Contains(models, m) {
			return 1
		}
		return 0
	}
	switch n.q.Name() {
	case "async-cpu": // the loops' lag, the speedup, the concurrent runs
		return min(1, has("eventloop")+has("cpython")) + 1 + min(1, has("eventloop")+has("goroutines"))
	case "scaling": // speedup, speedup over the prediction, a timeline per series, the first series' workers sweep, payloads (the GIL has a cell of its own)
		return 2 + len(models) + has("cpython") + min(1, len(models)) + has("processes")
	case "semaphore": // runtime by limit, over the formula by limit, by latency, tasks in flight, the first series' timeline, its limit sweep and its latency sweep
		return 3 + 2*min(1, len(models)) + 2*min(1, len(models))
	case "diagnosis": // wall and CPU time, the utilisations, the margins, one per workload (four)
		return 3 + 4
	case "sleeping": // wall and CPU time, utilisation while waiting, the walls against the claims, the timeline
		return 4
	case "no-semaphore": // throughput, the first series' concurrency sweep, then per series its latency and its errors
		return 1 + min(1, len(models)) + 2*len(models)
	case "many-tasks": // memory, its exponent, descriptors by count and over time, errors, delay, GC, the first series' task-count sweep
		return 8
	case "json": // latency, the loops' lag (Go's, CPython's), throughput; over the payloads: p99, lag, memory; the judged tail, throughput and loop
		goLoop, goAny := 0, 0
		judgedLoop := min(1, has("eventloop")+has("cpython")+has("eventloop+gil-threads"))
		for _, m := range models {
			if strings.HasPrefix(m, "eventloop") {
				goLoop = 1
			}
			if m != "cpython" {
				goAny = 1
			}
		}
		return 2 + goLoop + has("cpython") + goAny*(2+goLoop) + 2 + judgedLoop
	case "memory": // memory by live tasks, per task, the exponent, and (in-process series) breakdown, creation
		return 3 + 2*min(1, has("goroutines")+has("eventloop")+has("cpython"))
	case "matrix": // runtime and memory heatmaps, the recommendation against the best other model
		return 3
	}
	t.Fatalf("no expected chart count for question %q", n.q.Name())
	return 0
}

// cellState is one code cell of a handout page.
type cellState struct {
	Input  string `json:"input"`
	Charts int    `json:"charts"`
	Stderr int    `json:"stderr"`
	Errors int    `json:"errors"`
}

const jsHandoutCells = `Array.from(document.querySelectorAll('.jp-CodeCell')).map(function (c) {
  var input = c.querySelector('.jp-InputArea');
  return {
    input: input ? input.textContent.trim() : '',
    charts: c.querySelectorAll('.boundlab-chart').length,
    stderr: c.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]').length,
    errors: c.querySelectorAll('.boundlab-error').length
  };
})`

// TestHandouts builds every notebook's handout on quick parameters with
// the command, checks each page as text, then opens it from disk in
// Chromium with the network cut off and checks that ECharts drew every
// chart with the series Go meant, in the experiment cell, with no error
// anywhere.
func TestHandouts(t *testing.T) {
	r := need(t)
	qs := notebooks(t, r)
	out := t.TempDir()
	res := r.run(t, 15*time.Minute, "handouts", "--quick", "--out", out)
	t.Logf("boundlab handouts --quick (%d notebooks): %s\n%s%s", len(qs), res.elapsed.Round(100*time.Millisecond), res.stdout, res.stderr)
	if res.code != 0 {
		t.Fatalf("exit %d", res.code)
	}
	marker := strings.SplitN(must(charts.LibraryTag()), "\n", 3)[1]
	b := newBrowser(t, r, true)
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range qs {
			if !yield(n) {
				return
			}
		}
	})
	for _, name := range names {
		q := qs[name]
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(out, name+".html")
			page, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("no handout: %v", err)
			}
			if !strings.Contains(res.stdout, name+".html") {
				t.Errorf("the command did not list %s.html:\n%s", name, res.stdout)
			}
			parts := handouts.Measure(page)
			t.Logf("%s: %d bytes: %+v", path, len(page), parts)
			if len(page) > handouts.MaxSize {
				t.Errorf("the page is %d bytes, over the %d a handout may weigh: %+v", len(page), handouts.MaxSize, parts)
			}
			if m := anyScriptSrc.Find(page); m != nil {
				t.Errorf("the page loads a script: %s", m)
			}
			if m := remoteLink.Find(page); m != nil {
				t.Errorf("the page links to the network: %s", m)
			}
			if n := bytes.Count(page, []byte(marker)); n != 1 {
				t.Errorf("the ECharts library is on the page %d times, want once", n)
			}
			want := expectedCharts(t, q)
			onPage := len(chartDivs.FindAll(page, -1))

			if err := chromedp.Do(b.ctx, chromedp.Navigate("file://"+path)); err != nil {
				t.Fatal(err)
			}
			b.poll(t, "every chart drawn", jsAllRendered, 30*time.Second)
			cs := b.charts(t, "document")
			checkCharts(t, name, cs)
			for _, c := range cs {
				t.Logf("chart %q: %v", c.Title, c.Got)
			}
			cells := eval[[]cellState](t, b, jsHandoutCells)
			runs, extra := 0, 0
			for i, c := range cells {
				first, _, _ := strings.Cut(c.Input, "\n")
				if c.Stderr > 0 || c.Errors > 0 {
					t.Errorf("code cell %d (%s) shows %d stderr outputs and %d errors", i+1, first, c.Stderr, c.Errors)
				}
				switch {
				case strings.Contains(c.Input, "kernel.Run("):
					runs++
					if c.Charts != want {
						t.Errorf("the experiment cell shows %d charts, want %d", c.Charts, want)
					}
				case strings.Contains(c.Input, "charts.GIL("):
					// The real GIL: one chart where py-spy sampled CPython,
					// none (and one line saying why) where it could not.
					extra += c.Charts
					if c.Charts > 1 {
						t.Errorf("code cell %d (%s) shows %d charts, want at most the GIL's", i+1, first, c.Charts)
					}
				case c.Charts > 0:
					t.Errorf("code cell %d (%s) shows %d charts", i+1, first, c.Charts)
				}
			}
			if onPage != want+extra || len(cs) != want+extra {
				t.Errorf("%d charts on the page, %d drawn, want %d (and %d of the GIL)", onPage, len(cs), want, extra)
			}
			if runs != 1 {
				t.Errorf("%d experiment cells (kernel.Run), want 1", runs)
			}
			if !slices.ContainsFunc(cells, func(c cellState) bool {
				return strings.Contains(c.Input, "Injected by boundlab handouts")
			}) {
				t.Error("the page does not show the injected parameters cell")
			}
			time.Sleep(1200 * time.Millisecond) // let the charts' animation end
			b.screenshot(t, r, "handout-"+name)
		})
	}
	console, requests := b.problems()
	for _, m := range console {
		t.Errorf("console: %s", m)
	}
	for _, u := range requests {
		t.Errorf("request to the network: %s", u)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// writeBroken writes a copy of the notebook at src into dir as name,
// with the source of the first cell holding marker replaced by edit's. It
// returns the copy's path and, as the build reports it, "cell N/M": the
// edited cell's position among the cells once the build has injected its
// overrides cell after the parameters cell.
func writeBroken(t *testing.T, src, dir, name, marker string, edit func(string) string) (string, string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	cells := doc["cells"].([]any)
	params := -1
	for i, c := range cells {
		cell := c.(map[string]any)
		md, _ := cell["metadata"].(map[string]any)
		if tags, _ := md["tags"].([]any); slices.Contains(tags, any("parameters")) {
			params = i
		}
		var text string
		for _, l := range cell["source"].([]any) {
			text += l.(string)
		}
		if cell["cell_type"] != "code" || !strings.Contains(text, marker) {
			continue
		}
		cell["source"] = edit(text)
		out, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		if params < 0 {
			t.Fatalf("%s: no parameters cell before the cell holding %q", src, marker)
		}
		return path, fmt.Sprintf("cell %d/%d", i+2, len(cells)+1)
	}
	t.Fatalf("%s: no code cell holds %q", src, marker)
	return "", ""
}

// TestHandoutsFailingCell builds two broken copies of the first notebook:
// one whose experiment cell exits with status 3 after a line on stderr,
// one whose findings cell does not compile. Both fail the build, with the
// notebook, the cell, its first line and the error; neither gets a page.
func TestHandoutsFailingCell(t *testing.T) {
	r := need(t)
	dir := r.scratch(t, "e2e-broken")
	src := filepath.Join(r.root, "notebooks", "01-async-cpu.ipynb")
	exit, exitCell := writeBroken(t, src, dir, "broken-exit.ipynb", "kernel.Run(", func(string) string {
		return "%%\nfmt.Fprintln(os.Stderr, \"the experiment cannot start\")\nos.Exit(3)\n"
	})
	compile, compileCell := writeBroken(t, src, dir, "broken-compile.ipynb", "kernel.ShowFindings(", func(s string) string {
		return strings.Replace(s, "%%\n", "%%\nunused := 1\n", 1)
	})
	out := t.TempDir()
	res := r.run(t, 5*time.Minute, "handouts", "--quick", "--out", out, exit, compile)
	t.Logf("exit %d after %s\n%s", res.code, res.elapsed.Round(100*time.Millisecond), res.stderr)
	if res.code != 1 {
		t.Errorf("exit %d, want 1", res.code)
	}
	for _, want := range []string{
		"2 of 2 notebooks failed",
		"broken-exit: " + exitCell + ` failed (%% fmt.Fprintln(os.Stderr, "the experiment cannot start")):`,
		"    the experiment cannot start\n    exit status 3\n",
		"broken-compile: " + compileCell + " failed (%% unused := 1):",
		"Line 2: declared and not used: unused",
	} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if pages, _ := filepath.Glob(filepath.Join(out, "*")); len(pages) > 0 {
		t.Errorf("pages written for failed notebooks: %v", pages)
	}
}

// TestHandoutsInterrupt starts a build of the semaphore notebook on its
// full parameters (minutes of work), interrupts it once the experiment
// runs, and checks that the command stops promptly, says so, writes no
// page, and leaves none of the processes it started (Jupyter's Python,
// the kernel, the cell program, gopls) behind.
func TestHandoutsInterrupt(t *testing.T) {
	r := need(t)
	out := t.TempDir()
	cmd := exec.Command(r.boundlab, "handouts", "--out", out, "03-semaphore")
	cmd.Dir, cmd.Env = r.root, r.env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := watch(cmd.Process.Pid)
	t.Cleanup(w.killAlive)
	lines := make(chan string, 100)
	var all strings.Builder
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	// The experiment cell comes after the parameters cell.
	deadline := time.After(3 * time.Minute)
wait:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the command ended before the experiment ran:\n%s", all.String())
			}
			all.WriteString(l + "\n")
			if strings.Contains(l, "done in") && strings.Contains(l, "// Parameters:") {
				break wait
			}
		case <-deadline:
			_ = cmd.Process.Kill()
			t.Fatalf("the experiment cell did not start:\n%s", all.String())
		}
	}
	time.Sleep(2 * time.Second)
	w.Scan(cmd.Process.Pid)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for l := range lines {
		all.WriteString(l + "\n")
	}
	err = cmd.Wait()
	took := time.Since(start)
	w.finish()
	t.Logf("stopped %s after the interrupt\n%s", took.Round(10*time.Millisecond), all.String())
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("exit: %v, want status 130", err)
	}
	if took > 30*time.Second {
		t.Errorf("took %s to stop", took)
	}
	if !strings.Contains(all.String(), "interrupted; stopped cleanly") {
		t.Error("the command did not say it was interrupted")
	}
	if pages, _ := filepath.Glob(filepath.Join(out, "*")); len(pages) > 0 {
		t.Errorf("pages written: %v", pages)
	}
	seen := strings.Join(w.all(), "\n")
	for _, want := range []string{"execute.py", "gonb --kernel", "gonb_"} {
		if !strings.Contains(seen, want) {
			t.Errorf("no process %q seen (the test did not interrupt a running cell?):\n%s", want, seen)
		}
	}
	time.Sleep(500 * time.Millisecond)
	if left := w.alive(); len(left) > 0 {
		t.Errorf("processes left behind (the clean-up kills them): %v", left)
	}
}
