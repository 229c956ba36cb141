package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/boundlab/boundlab/charts"
	"github.com/boundlab/boundlab/experiments"
)

// The page side of driving JupyterLab and Notebook 7, through the
// application object --expose-app-in-browser puts on window.jupyterapp.
const (
	// jsLabLib defines window.__bl: the panel of the notebook at
	// window.__blPath (a workspace may hold others) and what the tests
	// read off it.
	jsLabLib = `(function () {
  if (window.__bl) { return true; }
  window.__bl = {
    panel: function () {
      var app = window.jupyterapp;
      if (!app || !app.shell) { return null; }
      for (var w of app.shell.widgets('main')) {
        if (w && w.context && w.context.path === window.__blPath && w.content && w.sessionContext) { return w; }
      }
      return null;
    },
    kernel: function () {
      var p = __bl.panel(), s = p && p.sessionContext.session;
      return s && s.kernel;
    },
    ready: function () {
      var p = __bl.panel(), k = __bl.kernel();
      // GoNB sends no status until it first runs something: 'unknown'.
      return !!(p && p.context.isReady && k && k.connectionStatus === 'connected' && (k.status === 'idle' || k.status === 'unknown'));
    },
    codeCells: function () {
      return __bl.panel().content.widgets.filter(function (c) { return c.model.type === 'code'; });
    },
    counts: function () {
      return __bl.codeCells().map(function (c) { return c.model.executionCount; });
    },
    allRun: function () {
      var k = __bl.kernel();
      return !!k && k.status === 'idle' && __bl.codeCells().every(function (c) {
        return typeof c.model.executionCount === 'number' && !c.promptNode.textContent.includes('*');
      });
    },
    cellIndex: function (needle) {
      return __bl.panel().content.widgets.findIndex(function (c) {
        return c.model.type === 'code' && c.model.sharedModel.getSource().indexOf(needle) >= 0;
      });
    },
    run: function (command) {
      var app = window.jupyterapp, p = __bl.panel();
      app.shell.activateById(p.id);
      return app.commands.execute(command).then(function () { return true; });
    },
    problems: function () {
      var n = __bl.panel().node;
      return Array.from(n.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"], .boundlab-error'))
        .map(function (e) { return e.textContent.trim().slice(0, 300); });
    }
  };
  return true;
})()`
)

// labSettings are the JupyterLab settings every test server runs with: no
// news or update checks (nothing fetched from the network), and the
// notebook's windowing mode (JupyterLab's default, contentVisibility, where
// mode is "").
func labSettings(mode string) map[string]map[string]any {
	s := map[string]map[string]any{
		"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false},
	}
	if mode != "" {
		s["@jupyterlab/notebook-extension:tracker"] = map[string]any{"windowingMode": mode}
	}
	return s
}

// labPage is a notebook open in JupyterLab or Notebook 7.
type labPage struct {
	t   *testing.T
	r   *rig
	b   *browser
	srv *jupyterServer
	nb  string
}

// openLab opens the notebook called name on srv in a new browser and
// waits until its kernel is idle.
func openLab(t *testing.T, r *rig, srv *jupyterServer, name string) *labPage {
	t.Helper()
	p := &labPage{t: t, r: r, b: newBrowser(t, r, false), srv: srv, nb: name}
	p.navigate()
	return p
}

func (p *labPage) navigate() {
	p.t.Helper()
	if err := chromedp.Do(p.b.ctx, chromedp.Navigate(p.srv.notebookURL(p.nb))); err != nil {
		p.t.Fatal(err)
	}
	p.b.poll(p.t, "the application object (--expose-app-in-browser)", `!!(window.jupyterapp && window.jupyterapp.shell)`, 2*time.Minute)
	eval[bool](p.t, p.b, fmt.Sprintf("(window.__blPath = %q, true)", p.nb+".ipynb"))
	eval[bool](p.t, p.b, jsLabLib)
	p.b.poll(p.t, p.nb+" open with its kernel idle", `__bl.ready()`, 2*time.Minute)
}

// start starts one of the application's commands on the notebook and
// does not wait for it to finish (notebook:run-all-cells finishes when the
// last cell has run).
func (p *labPage) start(name string) {
	p.t.Helper()
	eval[bool](p.t, p.b, fmt.Sprintf("(__bl.run(%q), true)", name))
}

// command runs one of the application's commands on the notebook.
func (p *labPage) command(name string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.b.ctx, time.Minute)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf("__bl.run(%q)", name), chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("command %s: %v", name, err)
	}
}

// runAll clears every output and runs every cell through JupyterLab's own
// commands, and waits until every code cell has an execution count and
// the kernel is idle. It returns how long that took.
func (p *labPage) runAll(timeout time.Duration) time.Duration {
	p.t.Helper()
	p.command("notebook:clear-all-cell-outputs")
	if n := eval[int](p.t, p.b, `__bl.panel().node.querySelectorAll('.boundlab-chart').length`); n != 0 {
		p.t.Fatalf("%d charts left after clearing every output", n)
	}
	start := time.Now()
	p.start("notebook:run-all-cells")
	time.Sleep(500 * time.Millisecond)
	p.b.poll(p.t, "every cell of "+p.nb+" to run", `__bl.allRun()`, timeout)
	return time.Since(start)
}

// cellNode is the expression for the DOM node of the cell at index i.
func cellNode(i int) string { return fmt.Sprintf("__bl.panel().content.widgets[%d].node", i) }

// setFirstLine sets the first line of the code cell at index i.
func (p *labPage) setFirstLine(i int, line string) {
	p.t.Helper()
	got := eval[string](p.t, p.b, fmt.Sprintf(`(function (i, line) {
  var m = __bl.panel().content.widgets[i].model.sharedModel, lines = m.getSource().split('\n');
  lines[0] = line; m.setSource(lines.join('\n')); return m.getSource();
})(%d, %q)`, i, line))
	if !strings.HasPrefix(got, line+"\n") {
		p.t.Fatalf("cell %d now reads %q", i, got)
	}
}

// runCell runs the cell at index i alone and waits until it has run.
func (p *labPage) runCell(i int, timeout time.Duration) {
	p.t.Helper()
	before := eval[int](p.t, p.b, fmt.Sprintf(`__bl.panel().content.widgets[%d].model.executionCount || 0`, i))
	eval[bool](p.t, p.b, fmt.Sprintf(`(__bl.panel().content.activeCellIndex = %d, true)`, i))
	p.start("notebook:run-cell")
	p.b.poll(p.t, fmt.Sprintf("cell %d to run again", i), fmt.Sprintf(`(function () {
  var c = __bl.panel().content.widgets[%d], k = __bl.kernel();
  return !!k && k.status === 'idle' && (c.model.executionCount || 0) > %d;
})()`, i, before), timeout)
}

// checkNoProblems fails the test on an error or stderr output in the
// notebook, or an error in the browser's console.
func (p *labPage) checkNoProblems(where string) {
	p.t.Helper()
	for _, m := range eval[[]string](p.t, p.b, `__bl.problems()`) {
		p.t.Errorf("%s: an error in the notebook: %q", where, m)
	}
	console, requests := p.b.problems()
	for _, m := range console {
		p.t.Errorf("%s: console: %s", where, m)
	}
	for _, u := range requests {
		p.t.Errorf("%s: request to the network: %s", where, u)
	}
}

// screenshot saves the notebook from the top of the cell at index from,
// as far down as a tall window shows it. With JupyterLab's default
// windowing the cells far from the viewport are not painted
// (content-visibility); the screenshot paints them all (the charts were
// checked before it, as the page had them).
func (p *labPage) screenshot(name string, from int) {
	p.t.Helper()
	eval[bool](p.t, p.b, `(function () {
  if (!document.getElementById('bl-shot')) {
    var s = document.createElement('style'); s.id = 'bl-shot';
    s.textContent = '.jp-Cell, .jp-WindowedPanel-viewport > * { content-visibility: visible !important; }';
    document.head.appendChild(s);
  }
  return true; })()`)
	if err := chromedp.Do(p.b.ctx, chromedp.EmulateViewport(1280, 4200)); err != nil {
		p.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(p.b.ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(
		`Promise.resolve(__bl.panel().content.scrollToItem(%d, 'start')).then(function () { return true; })`, from), chromedp.EvalAwaitPromise)); err != nil {
		p.t.Fatalf("scroll to cell %d: %v", from, err)
	}
	time.Sleep(2 * time.Second) // charts resize to the new width
	p.b.screenshot(p.t, p.r, name)
	eval[bool](p.t, p.b, `(document.getElementById('bl-shot').remove(), true)`)
	if err := chromedp.Do(p.b.ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		p.t.Fatal(err)
	}
}

// chartsIn returns the charts under the node expression root, once every
// one of them is drawn (or the wait times out, leaving them to checkCharts).
func (p *labPage) chartsIn(root string) []chartState {
	p.t.Helper()
	_ = chromedp.Do(p.b.ctx, chromedp.Poll[chromedp.Void](fmt.Sprintf(`(function (root) {
  var els = root.querySelectorAll('.boundlab-chart');
  return els.length > 0 && !!window.echarts && Array.from(els).every(function (el) { return !!window.echarts.getInstanceByDom(el); });
})(%s)`, root), chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second)))
	return p.b.charts(p.t, root)
}

// experimentCell is the index of the notebook's experiment cell.
func (p *labPage) experimentCell() int {
	p.t.Helper()
	i := eval[int](p.t, p.b, `__bl.cellIndex('kernel.Run(')`)
	if i < 0 {
		p.t.Fatal("no experiment cell (kernel.Run) in " + p.nb)
	}
	return i
}

// quickLine puts the question's quick parameters on the experiment cell's
// %% line, and returns its index and the line.
func (p *labPage) quickLine(q experiments.Experiment) (int, string) {
	i := p.experimentCell()
	line := "%% " + quickFlags(q)
	p.setFirstLine(i, line)
	return i, line
}

// TestLabNotebooks opens 01-async-cpu and 03-semaphore in JupyterLab 4,
// clears every output and runs all cells through JupyterLab's own
// commands, once with windowing off and once with JupyterLab's default
// windowing, and checks that every chart container holds an ECharts
// instance with the series and point counts Go meant to draw, and that
// neither the notebook nor the console shows an error. On 01 it then
// reruns the experiment cell with a changed %% flag and checks the points
// change; saves; reloads the page and checks the charts draw again from the
// saved (trusted) outputs; and opens the saved notebook on a server with a
// fresh Jupyter data directory (a new signing secret: untrusted), where
// every chart shows its placeholder line and the page no error.
func TestLabNotebooks(t *testing.T) {
	r := need(t)
	nbs := notebooks(t, r)
	for _, mode := range []string{"none", ""} {
		label := "windowing-" + mode
		if mode == "" {
			label = "windowing-default"
		}
		t.Run(label, func(t *testing.T) {
			names := []string{"01-async-cpu", "03-semaphore"}
			dir := copyNotebooks(t, r, "lab", names...)
			srv := startJupyter(t, r, jupyterLab, dir, serverOptions{settings: labSettings(mode)})
			for _, name := range names {
				p := openLab(t, r, srv, name)
				i, line := p.quickLine(nbs[name].q)
				took := p.runAll(5 * time.Minute)
				t.Logf("%s, %s: run all with %q took %s", name, label, line, took.Round(100*time.Millisecond))
				cs := p.chartsIn(cellNode(i))
				checkCharts(t, name+" after run all", cs)
				if want := expectedCharts(t, nbs[name]); len(cs) != want {
					t.Errorf("%s: %d charts in the experiment cell, want %d", name, len(cs), want)
				}
				if n := eval[int](t, p.b, `__bl.panel().node.querySelectorAll('.boundlab-progress').length`); n != 0 {
					t.Errorf("%s: %d progress bars left after the run", name, n)
				}
				if n := eval[int](t, p.b, cellNode(i)+`.querySelectorAll('.boundlab-summary').length`); n != 1 {
					t.Errorf("%s: %d summaries in the experiment cell, want 1", name, n)
				}
				p.checkNoProblems(name + " after run all")
				p.screenshot("lab-"+label+"-"+name, i)
				if mode == "" && name == "01-async-cpu" {
					labRerunSaveReload(t, p, i, line, cs)
					labUntrusted(t, r, dir, name, len(cs))
				}
			}
		})
	}
}

// labRerunSaveReload reruns the experiment cell of 01-async-cpu with one
// task fewer, checks the charts follow, saves, reloads the page and checks
// every chart draws again from the saved outputs.
func labRerunSaveReload(t *testing.T, p *labPage, i int, line string, before []chartState) {
	t.Helper()
	const tasks = 3
	p.setFirstLine(i, replaceFlag(line, "tasks", strconv.Itoa(tasks)))
	start := time.Now()
	p.runCell(i, 2*time.Minute)
	after := p.chartsIn(cellNode(i))
	t.Logf("rerun of the experiment cell with --tasks=%d in the warm kernel: %s", tasks, time.Since(start).Round(10*time.Millisecond))
	checkRedrawn(t, before, after)
	// The timeline is drawn from the rerun's own result: its title names
	// the tasks that ran (a traced run's segments per task vary with the
	// scheduling, so its points are not a multiple of the tasks).
	if b4, now := timelineTitle(t, before), timelineTitle(t, after); !strings.Contains(b4, " 4 tasks") || !strings.Contains(now, fmt.Sprintf(" %d tasks", tasks)) {
		t.Errorf("the timeline is %q after the rerun with %d tasks, %q before with 4", now, tasks, b4)
	}
	p.checkNoProblems("after the rerun")

	// The document context's save (what docmanager:save calls; the
	// command itself acts on the focused widget, which a headless page
	// without focus does not have).
	ctx, cancel := context.WithTimeout(p.b.ctx, time.Minute)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`__bl.panel().context.save().then(function () { return true; })`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("save: %v", err)
	}
	p.b.poll(t, "the notebook to be saved", `!__bl.panel().context.model.dirty`, 30*time.Second)
	if err := chromedp.Do(p.b.ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	p.navigate()
	n := len(before)
	reloaded := p.chartsIn(cellNode(i))
	checkCharts(t, "after the reload", reloaded)
	if len(reloaded) != n {
		t.Errorf("%d charts after the reload, want %d", len(reloaded), n)
	}
	p.checkNoProblems("after the reload")
	p.screenshot("lab-reloaded-"+p.nb, i)
}

// timelineTitle is the title of the "All at once" timeline.
func timelineTitle(t *testing.T, cs []chartState) string {
	t.Helper()
	for _, c := range cs {
		if strings.HasPrefix(c.Title, "All at once") {
			return c.Title
		}
	}
	t.Fatalf("no timeline chart (All at once…) among %d charts", len(cs))
	return ""
}

// labUntrusted opens the saved notebook in dir on a server with a fresh
// Jupyter data directory, where it is untrusted: JupyterLab drops its
// scripts, so every chart must show its placeholder line instead of a
// blank, and the page must show no error.
func labUntrusted(t *testing.T, r *rig, dir, name string, nCharts int) {
	t.Helper()
	data := filepath.Join(t.TempDir(), "fresh-data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	srv := startJupyter(t, r, jupyterLab, dir, serverOptions{data: data, settings: labSettings("none")})
	p := openLab(t, r, srv, name)
	if trusted := eval[bool](t, p.b, `__bl.codeCells().some(function (c) { return c.model.trusted; })`); trusted {
		t.Fatal("the saved notebook is trusted on a server with a fresh data directory")
	}
	p.b.poll(t, "the saved outputs to render", `__bl.panel().node.querySelectorAll('.boundlab-placeholder').length > 0`, 30*time.Second)
	type placeholder struct {
		Text    string `json:"text"`
		Visible bool   `json:"visible"`
	}
	ps := eval[[]placeholder](t, p.b, `Array.from(__bl.panel().node.querySelectorAll('.boundlab-placeholder')).map(function (e) {
  var r = e.getBoundingClientRect(); return {text: e.textContent, visible: r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'};
})`)
	if len(ps) < nCharts {
		t.Errorf("untrusted: %d placeholder lines, want one for each of the %d charts", len(ps), nCharts)
	}
	for _, ph := range ps {
		if !strings.Contains(ph.Text, charts.Placeholder) {
			t.Errorf("untrusted: a placeholder reads %q", ph.Text)
		}
	}
	if len(ps) > 0 && !ps[0].Visible {
		t.Errorf("untrusted: the first placeholder line is not visible")
	}
	if eval[bool](t, p.b, `!!window.echarts`) {
		t.Error("untrusted: the ECharts library ran")
	}
	p.checkNoProblems("untrusted")
	p.screenshot("lab-untrusted-"+name, eval[int](t, p.b, `__bl.cellIndex('kernel.Run(')`))
}

// TestLabInterrupt presses JupyterLab's stop button (the kernel interrupt)
// while a `processes` experiment runs, and checks that the cell says it
// stopped, that no worker process is left, and that the kernel is still
// there and runs the next cell.
func TestLabInterrupt(t *testing.T) {
	r := need(t)
	const name = "02-threads-vs-processes"
	dir := copyNotebooks(t, r, "lab-stop", name)
	srv := startJupyter(t, r, jupyterLab, dir, serverOptions{settings: labSettings("")})
	p := openLab(t, r, srv, name)
	i := p.experimentCell()
	// Long enough to be stopped in the middle: 400 tasks of 100 ms on
	// worker processes take 20 s on 2 cores.
	p.setFirstLine(i, "%% --models=processes --tasks=400 --cpu=100ms --workers=2 --payloads=1KiB --repeat=1")
	w := watch(srv.pid)
	defer w.finish()
	p.start("notebook:run-all-cells")
	deadline := time.Now().Add(3 * time.Minute)
	for len(workers(w)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no worker process started within 3 minutes; processes seen: %v", w.all())
		}
		time.Sleep(100 * time.Millisecond)
	}
	seen := workers(w)
	t.Logf("%d worker processes running; pressing stop", len(seen))
	start := time.Now()
	p.command("notebook:interrupt-kernel")
	p.b.poll(t, "the interrupted cell to end", fmt.Sprintf(`(function () {
  var k = __bl.kernel();
  return !!k && k.status === 'idle' && %s.textContent.indexOf('interrupted') >= 0;
})()`, cellNode(i)), time.Minute)
	t.Logf("the cell ended %s after the interrupt", time.Since(start).Round(10*time.Millisecond))
	deadline = time.Now().Add(5 * time.Second)
	for len(aliveWorkers(w)) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if left := aliveWorkers(w); len(left) > 0 {
		t.Errorf("worker processes left after the interrupt: %v", left)
	}
	if got := eval[string](t, p.b, cellNode(i)+`.querySelector('.jp-OutputArea').textContent`); !strings.Contains(got, "interrupted; stopped cleanly") {
		t.Errorf("the experiment cell says %q, want it to say it was interrupted", got)
	}
	p.screenshot("lab-interrupted-"+name, i)
	// The kernel survived: the cell runs again (quick, to its end).
	p.setFirstLine(i, "%% --models=processes --tasks=4 --cpu=10ms --workers=2 --payloads=1KiB --repeat=1")
	p.runCell(i, 2*time.Minute)
	if n := len(p.chartsIn(cellNode(i))); n == 0 {
		t.Error("no chart after running the cell again in the same kernel")
	}
}

// workers lists the processes model's worker processes among those w saw
// (a re-executed cell program with BOUNDLAB_WORKER in its environment).
func workers(w *watcher) []int {
	var out []int
	for _, p := range w.Seen() {
		env, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p.PID), "environ"))
		if err == nil && strings.Contains("\x00"+string(env), "\x00BOUNDLAB_WORKER=") {
			out = append(out, p.PID)
		}
	}
	return out
}

// aliveWorkers lists the workers w saw that still run.
func aliveWorkers(w *watcher) []string {
	ws := map[int]bool{}
	for _, pid := range workers(w) {
		ws[pid] = true
	}
	var out []string
	for pid, cmd := range w.alive() {
		if ws[pid] {
			out = append(out, fmt.Sprintf("%d %s", pid, cmd))
		}
	}
	return out
}

// TestNotebook7 opens 01-async-cpu in Notebook 7 (/notebooks/...), clears
// every output and runs all cells through its commands, and checks every
// chart and the console, as in JupyterLab.
func TestNotebook7(t *testing.T) {
	r := need(t)
	if r.jup.Notebook == "" || !strings.HasPrefix(r.jup.Notebook, "7.") {
		t.Fatalf("the Jupyter in use has notebook %q, not Notebook 7 (make setup installs it into .venv/)", r.jup.Notebook)
	}
	const name = "01-async-cpu"
	nbs := notebooks(t, r)
	dir := copyNotebooks(t, r, "nb7", name)
	srv := startJupyter(t, r, notebook7, dir, serverOptions{})
	p := openLab(t, r, srv, name)
	i, line := p.quickLine(nbs[name].q)
	took := p.runAll(5 * time.Minute)
	t.Logf("Notebook 7: run all of %s with %q took %s", name, line, took.Round(100*time.Millisecond))
	cs := p.chartsIn(cellNode(i))
	checkCharts(t, "Notebook 7", cs)
	if want := expectedCharts(t, nbs[name]); len(cs) != want {
		t.Errorf("%d charts in the experiment cell, want %d", len(cs), want)
	}
	p.checkNoProblems("Notebook 7")
	p.screenshot("notebook7-"+name, i)
}
