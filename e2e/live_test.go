package e2e

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/boundlab/boundlab/experiments"
)

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// quickFlagsOf are the flags that turn question's defaults into its quick
// parameters, for an experiment cell's %% line.
func quickFlagsOf(t *testing.T, question string) string {
	t.Helper()
	q, err := experiments.Lookup(question)
	if err != nil {
		t.Fatal(err)
	}
	return quickFlags(q)
}

// quickFlags are the flags that turn q's defaults into its quick
// parameters, for an experiment cell's %% line.
func quickFlags(q experiments.Experiment) string {
	def := map[string]string{}
	for _, x := range q.NewParams(false).Params() {
		def[x.Name] = x.String()
	}
	var fs []string
	for _, x := range q.NewParams(true).Params() {
		if v := x.String(); v != def[x.Name] {
			fs = append(fs, "--"+x.Name+"="+v)
		}
	}
	return strings.Join(fs, " ")
}

const (
	jsKernelIdle = `!!(window.Jupyter && Jupyter.notebook && Jupyter.notebook._fully_loaded && Jupyter.notebook.kernel &&
  Jupyter.notebook.kernel.is_connected() && Jupyter.notebook.kernel_busy === false)`
	// jsAllRun: every code cell ran (a number in its prompt), and the
	// kernel is idle.
	jsAllRun = `(function () {
  var cells = Jupyter.notebook.get_cells().filter(function (c) { return c.cell_type === 'code'; });
  return !Jupyter.notebook.kernel_busy && cells.every(function (c) { return typeof c.input_prompt_number === 'number'; });
})()`
	jsProgress = `Array.from(document.querySelectorAll('.boundlab-progress')).map(function (e) { return e.textContent.trim(); }).join(' | ')`
	// jsProblems counts error outputs, stderr outputs and kernel.ShowError lines.
	jsProblems = `Array.from(document.querySelectorAll('.output_error, .output_stderr, .boundlab-error')).map(function (e) { return e.textContent.trim().slice(0, 300); })`
	// jsExpand lets a full-page screenshot see the whole notebook.
	jsExpand = `(function () { [document.documentElement, document.body, document.getElementById('site')].forEach(function (e) {
  if (e) { e.style.height = 'auto'; e.style.overflow = 'visible'; e.style.position = 'static'; } }); return true; })()`
)

// classicFrontEnd is the classic Notebook interface of the Jupyter in use:
// nbclassic beside Notebook 7 (the pinned set), or Debian's Notebook 6.
func classicFrontEnd(r *rig) frontEnd {
	if strings.HasPrefix(r.jup.Notebook, "6.") {
		return classicNotebook
	}
	return nbclassic
}

// TestLiveNotebook opens a copy of the first notebook in the classic
// Notebook interface (nbclassic, or Debian's Notebook 6), sets quick values on the experiment cell's %% line
// and runs all cells through the page, as a person would. It checks that
// a live progress bar showed and gave way to the summary, and that the
// charts rendered inline. Then it changes the number of tasks on the %%
// line, runs that cell alone, and checks that the charts show the new
// number.
func TestLiveNotebook(t *testing.T) {
	r := need(t)
	const name = "01-async-cpu"
	dir := copyNotebooks(t, r, "live", name)
	srv := startJupyter(t, r, classicFrontEnd(r), dir, serverOptions{})
	b := newBrowser(t, r, false)
	if err := chromedp.Do(b.ctx, chromedp.Navigate(srv.notebookURL(name))); err != nil {
		t.Fatal(err)
	}
	b.poll(t, "the kernel to be ready", jsKernelIdle, 2*time.Minute)

	run := eval[int](t, b, `Jupyter.notebook.get_cells().findIndex(function (c) { return c.cell_type === 'code' && c.get_text().indexOf('kernel.Run(') >= 0; })`)
	if run < 0 {
		t.Fatal("no experiment cell (kernel.Run) in the notebook")
	}
	setLine := func(line string) {
		t.Helper()
		got := eval[string](t, b, fmt.Sprintf(`(function (i, line) {
  var c = Jupyter.notebook.get_cell(i), lines = c.get_text().split('\n');
  lines[0] = line; c.set_text(lines.join('\n')); return c.get_text();
})(%d, %q)`, run, line))
		if !strings.HasPrefix(got, line+"\n") {
			t.Fatalf("the experiment cell now reads %q", got)
		}
	}
	quick := quickFlagsOf(t, "async-cpu")
	setLine("%% " + quick)

	// Sample the page for the live progress bar while the cells run.
	var (
		mu      sync.Mutex
		samples []string
	)
	sampleCtx, stopSampling := context.WithCancel(b.ctx)
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for sampleCtx.Err() == nil {
			s, err := chromedp.Run(sampleCtx, chromedp.Evaluate[string](jsProgress))
			if err == nil && s != "" {
				mu.Lock()
				if len(samples) == 0 || samples[len(samples)-1] != s {
					samples = append(samples, s)
				}
				mu.Unlock()
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	start := time.Now()
	eval[bool](t, b, `Jupyter.notebook.execute_all_cells(), true`)
	time.Sleep(500 * time.Millisecond)
	b.poll(t, "every cell to run", jsAllRun, 5*time.Minute)
	stopSampling()
	<-sampled
	t.Logf("run all with %s: %s", quick, time.Since(start).Round(100*time.Millisecond))

	if len(samples) == 0 {
		t.Error("no live progress bar (.boundlab-progress) seen while the experiment ran")
	} else {
		t.Logf("progress bar states seen: %d, first %q, last %q", len(samples), samples[0], samples[len(samples)-1])
	}
	cell := fmt.Sprintf("Jupyter.notebook.get_cell(%d).output_area.element[0]", run)
	if n := eval[int](t, b, `document.querySelectorAll('.boundlab-progress').length`); n != 0 {
		t.Errorf("%d progress bars left after the run", n)
	}
	if n := eval[int](t, b, cell+`.querySelectorAll('.boundlab-summary').length`); n != 1 {
		t.Errorf("%d summaries in the experiment cell, want 1", n)
	}
	b.poll(t, "every chart drawn", jsAllRendered, 30*time.Second)
	before := b.charts(t, cell)
	checkCharts(t, "after run all", before)
	if want := expectedCharts(t, notebooks(t, r)[name]); len(before) != want {
		t.Errorf("%d charts in the experiment cell, want %d", len(before), want)
	}
	for _, p := range eval[[]string](t, b, jsProblems) {
		t.Errorf("an error in the page: %q", p)
	}

	// A person changes the number of tasks on the %% line and runs that
	// cell alone, in the warm kernel.
	const tasks = 3
	setLine("%% " + replaceFlag(quick, "tasks", strconv.Itoa(tasks)))
	prompt := eval[int](t, b, fmt.Sprintf("Jupyter.notebook.get_cell(%d).input_prompt_number", run))
	start = time.Now()
	eval[bool](t, b, fmt.Sprintf("Jupyter.notebook.get_cell(%d).execute(), true", run))
	b.poll(t, "the cell to run again", fmt.Sprintf(`(function () { var c = Jupyter.notebook.get_cell(%d);
  return !Jupyter.notebook.kernel_busy && typeof c.input_prompt_number === 'number' && c.input_prompt_number > %d &&
    c.output_area.element[0].querySelectorAll('.boundlab-summary').length === 1; })()`, run, prompt), 2*time.Minute)
	b.poll(t, "every chart drawn", jsAllRendered, 30*time.Second)
	rerun := time.Since(start)
	t.Logf("rerun of the experiment cell with --tasks=%d in the warm kernel: %s", tasks, rerun.Round(10*time.Millisecond))

	after := b.charts(t, cell)
	checkRedrawn(t, before, after)
	for i := range after {
		if strings.Contains(before[i].Title+before[i].Sub, "4 tasks") && !strings.Contains(after[i].Title+after[i].Sub, "3 tasks") {
			t.Errorf("chart %q (%q) does not say 3 tasks", after[i].Title, after[i].Sub)
		}
	}
	// The timeline is the rerun's own: its title names the 3 tasks (checked
	// above with every chart). Its bars are a traced run's stretches on and
	// off a CPU, which vary with the scheduling, not a multiple of the tasks.
	for _, p := range eval[[]string](t, b, jsProblems) {
		t.Errorf("an error in the page: %q", p)
	}
	eval[bool](t, b, jsExpand)
	time.Sleep(1200 * time.Millisecond)
	b.screenshot(t, r, "classic-"+srv.fe.name+"-"+name)
	console, requests := b.problems()
	for _, m := range console {
		t.Errorf("console: %s", m)
	}
	for _, u := range requests {
		t.Errorf("request to the network: %s", u)
	}
}

// replaceFlag sets --name=value in a line of flags.
func replaceFlag(flags, name, value string) string {
	fs := strings.Fields(flags)
	for i, f := range fs {
		if strings.HasPrefix(f, "--"+name+"=") {
			fs[i] = "--" + name + "=" + value
			return strings.Join(fs, " ")
		}
	}
	return strings.Join(append(fs, "--"+name+"="+value), " ")
}
