package e2e

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// panelValues are the values typed into 03-semaphore's panel: the limit
// at 50 with the notebook's 1000 tasks of 100 ms, and one run of one model
// with sweeps of one point each, so that the run takes about 2 s.
var panelValues = map[string]string{
	"tasks": "1000", "latency": "100ms", "limit": "50",
	"limits": "50", "latencies": "100ms", "repeat": "1", "models": "goroutines",
}

// jsPanel defines window.__blPanel: the fields, buttons and line of the
// control panel in the cell whose node is given.
const jsPanel = `(function () {
  window.__blPanel = {
    fields: function (cell) { return cell.querySelectorAll('input.boundlab-control-field'); },
    set: function (cell, values) {
      for (var k in values) {
        var el = cell.querySelector('input.boundlab-control-field[data-param="' + k + '"]');
        if (!el) { return 'no field ' + k; }
        el.value = values[k];
        el.dispatchEvent(new Event('input', {bubbles: true}));
        el.dispatchEvent(new Event('change', {bubbles: true}));
      }
      return '';
    },
    // slide moves the slider of field k by steps and releases it, as a
    // mouse would: input events while it moves, change when let go.
    slide: function (cell, k, steps) {
      var el = cell.querySelector('input.boundlab-control-field[data-param="' + k + '"]');
      var extra = el && document.getElementById(el.id + '_extra');
      var r = extra && extra.querySelector('input[type="range"]');
      if (!r) { return 'no slider for ' + k; }
      r.value = String(Number(r.value) + steps);
      r.dispatchEvent(new Event('input', {bubbles: true}));
      r.dispatchEvent(new Event('change', {bubbles: true}));
      return '';
    },
    press: function (cell, label) {
      var b = cell.querySelector('button[id^="boundlab_' + label + '_"]');
      if (!b) { return false; }
      b.click();
      return true;
    },
    line: function (cell) {
      var l = cell.querySelector('.boundlab-controls-line'), s = cell.querySelector('.boundlab-controls-status');
      return (l ? l.textContent : '') + ' | ' + (s ? s.textContent : '');
    },
    // The points of each series of the runtime-against-limit chart:
    // [limit, seconds].
    limitPoints: function (cell) {
      var out = {};
      cell.querySelectorAll('.boundlab-chart').forEach(function (el) {
        var inst = window.echarts && window.echarts.getInstanceByDom(el);
        if (!inst) { return; }
        var o = inst.getOption(), title = (o.title && o.title[0] && o.title[0].text) || '';
        if (title.indexOf('Runtime against the semaphore limit') !== 0) { return; }
        (o.series || []).forEach(function (s) {
          out[String(s.name)] = (s.data || []).map(function (d) {
            var v = Array.isArray(d) ? d : (d && d.value !== undefined ? d.value : d);
            return Array.isArray(v) ? [Number(v[0]), Number(v[1])] : null;
          }).filter(function (p) { return p && isFinite(p[0]) && isFinite(p[1]); });
        });
      });
      return out;
    }
  };
  return true;
})()`

// openPanel opens 03-semaphore on srv, runs the cells above the
// experiment cell, then starts the controls cell, and waits for its panel.
// It returns the page and the controls cell's index.
func openPanel(t *testing.T, srv *jupyterServer) (*labPage, int) {
	t.Helper()
	r := need(t)
	p := openLab(t, r, srv, "03-semaphore")
	eval[bool](t, p.b, jsPanel)
	run := p.experimentCell()
	c := eval[int](t, p.b, `__bl.cellIndex('kernel.ShowControls(')`)
	if c < 0 {
		t.Fatal("no controls cell (kernel.ShowControls) in 03-semaphore")
	}
	for i := 0; i < run; i++ {
		if eval[bool](t, p.b, fmt.Sprintf(`__bl.panel().content.widgets[%d].model.type === 'code'`, i)) {
			p.runCell(i, 3*time.Minute)
		}
	}
	eval[bool](t, p.b, fmt.Sprintf(`(__bl.panel().content.activeCellIndex = %d, true)`, c))
	start := time.Now()
	p.start("notebook:run-cell")
	ready := fmt.Sprintf(`(function (cell) {
  return __blPanel.fields(cell).length >= 7 && !!cell.querySelector('button[id^="boundlab_run_"]') &&
    !!cell.querySelector('input[type="range"]') && !!cell.querySelector('select');
})(%s)`, cellNode(c))
	for {
		ctx, cancel := context.WithTimeout(p.b.ctx, 10*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](ready))
		cancel()
		if err == nil && ok {
			break
		}
		if time.Since(start) > 3*time.Minute {
			ctx, cancel := context.WithTimeout(p.b.ctx, 10*time.Second)
			text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](cellNode(c)+`.textContent`))
			cancel()
			t.Fatalf("no control panel 3 minutes after its cell started (last check: %v); the cell reads %q", err, text)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("the panel is ready %s after its cell started", time.Since(start).Round(10*time.Millisecond))
	return p, c
}

// panelRun types values into the panel of the cell at index c, presses
// Run and waits until the run's summary and charts have replaced the
// previous ones, or an error shows.
func panelRun(t *testing.T, p *labPage, c int, values map[string]string, timeout time.Duration) []chartState {
	t.Helper()
	cell := cellNode(c)
	if msg := eval[string](t, p.b, fmt.Sprintf(`__blPanel.set(%s, %s)`, cell, jsObject(values))); msg != "" {
		t.Fatal(msg)
	}
	if !eval[bool](t, p.b, fmt.Sprintf(`__blPanel.press(%s, 'run')`, cell)) {
		t.Fatal("no Run button")
	}
	start := time.Now()
	p.b.poll(t, "the panel's run to end", fmt.Sprintf(`(function (cell) {
  var s = cell.querySelectorAll('.boundlab-summary').length, e = cell.querySelectorAll('.boundlab-error').length;
  return e > 0 || (s === 1 && cell.querySelectorAll('.boundlab-progress').length === 0);
})(%s)`, cell), timeout)
	t.Logf("run from the panel with %v: %s; the panel says %q", values, time.Since(start).Round(10*time.Millisecond),
		eval[string](t, p.b, fmt.Sprintf(`__blPanel.line(%s)`, cell)))
	return p.chartsIn(cell)
}

func jsObject(m map[string]string) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%q: %q", k, v))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// TestLabControls drives 03-semaphore's control panel in JupyterLab 4: the
// limit set to 50 (the notebook's 1000 tasks of 100 ms, one quick run) and
// Run pressed give a runtime chart whose point at the lecture's setting
// sits at ⌈1000/50⌉ × 100 ms = 2 s, and the line above the panel records
// the values; after that quick run, releasing the limit's slider one step
// up reruns at limit 100 with no Run pressed; a limit of 0 is refused in the panel with the parameter and
// its range, and nothing runs; a long run is stopped with Stop and the
// panel stays; Close ends the cell and leaves the line of values; and the
// findings cell below reads the result of the panel's run.
func TestLabControls(t *testing.T) {
	r := need(t)
	dir := copyNotebooks(t, r, "controls", "03-semaphore")
	srv := startJupyter(t, r, jupyterLab, dir, serverOptions{settings: labSettings("none")})
	p, c := openPanel(t, srv)
	cell := cellNode(c)

	cs := panelRun(t, p, c, panelValues, 2*time.Minute)
	checkCharts(t, "after Run", cs)
	atFifty := checkLimitPoint(t, p, c)
	if got := eval[string](t, p.b, fmt.Sprintf(`__blPanel.line(%s)`, cell)); !strings.Contains(got, "limit=50") || !strings.Contains(got, "tasks=1000") {
		t.Errorf("the panel's line does not record the run's values: %q", got)
	}
	p.screenshot("lab-controls-03-semaphore", c)

	// The run was quick: releasing a slider reruns, with no Run pressed.
	// The limit's slider one step up its 1-2-5 ladder, 50 to 100: the
	// headline run's charts and the panel's line follow.
	if got := eval[string](t, p.b, fmt.Sprintf(`__blPanel.line(%s)`, cell)); !strings.Contains(got, "releasing a slider reruns it") {
		t.Errorf("after a quick run the panel does not say that a slider's release reruns: %q", got)
	}
	if msg := eval[string](t, p.b, fmt.Sprintf(`__blPanel.slide(%s, 'limit', 1)`, cell)); msg != "" {
		t.Fatal(msg)
	}
	start := time.Now()
	p.b.poll(t, "the rerun on the slider's release", fmt.Sprintf(`(function (cell) {
  return cell.querySelectorAll('.boundlab-progress').length === 0 && cell.querySelectorAll('.boundlab-summary').length === 1 &&
    Array.from(cell.querySelectorAll('.boundlab-chart')).some(function (e) { return (e.getAttribute('aria-label') || '').indexOf('at most 100 at a time') >= 0; });
})(%s)`, cell), 2*time.Minute)
	line := eval[string](t, p.b, fmt.Sprintf(`__blPanel.line(%s)`, cell))
	t.Logf("the slider released at limit 100 reran in %s; the panel says %q", time.Since(start).Round(10*time.Millisecond), line)
	if !strings.Contains(line, "limit=100") || !strings.Contains(line, "limits=50") {
		t.Errorf("after the rerun on release the panel's line does not record limit=100 (limits=50): %q", line)
	}
	cs = p.chartsIn(cell)
	checkCharts(t, "after the slider's release", cs)
	atFifty = checkLimitPoint(t, p, c)
	p.screenshot("lab-controls-release-03-semaphore", c)

	// A bad value: refused in the panel, naming the parameter and range;
	// the charts of the last run stay.
	charts := len(cs)
	bad := map[string]string{"limit": "0"}
	if msg := eval[string](t, p.b, fmt.Sprintf(`__blPanel.set(%s, %s)`, cell, jsObject(bad))); msg != "" {
		t.Fatal(msg)
	}
	eval[bool](t, p.b, fmt.Sprintf(`__blPanel.press(%s, 'run')`, cell))
	p.b.poll(t, "the bad value refused", cell+`.querySelectorAll('.boundlab-controls-status .boundlab-error').length > 0`, 30*time.Second)
	msg := eval[string](t, p.b, cell+`.querySelector('.boundlab-controls-status .boundlab-error').textContent`)
	t.Logf("limit=0: the panel says %q", msg)
	if !strings.Contains(msg, "--limit: 0 is out of range (allowed: an integer from 1 to 1000000)") {
		t.Errorf("the panel says %q for limit=0", msg)
	}
	if n := len(p.b.charts(t, cell)); n != charts {
		t.Errorf("%d charts after the refused value, %d before", n, charts)
	}
	p.screenshot("lab-controls-refused-03-semaphore", c)

	// Stop: a run of 100 s (limit 1) stopped as it runs; the panel stays.
	if msg := eval[string](t, p.b, fmt.Sprintf(`__blPanel.set(%s, %s)`, cell, jsObject(map[string]string{"limit": "1", "limits": "1"}))); msg != "" {
		t.Fatal(msg)
	}
	eval[bool](t, p.b, fmt.Sprintf(`__blPanel.press(%s, 'run')`, cell))
	p.b.poll(t, "the long run's progress bar", cell+`.querySelectorAll('.boundlab-progress').length > 0`, time.Minute)
	start = time.Now()
	eval[bool](t, p.b, fmt.Sprintf(`__blPanel.press(%s, 'stop')`, cell))
	p.b.poll(t, "the run to stop", cell+`.textContent.indexOf('stopped; the run was cancelled cleanly') >= 0`, 30*time.Second)
	t.Logf("Stop ended the run in %s", time.Since(start).Round(10*time.Millisecond))
	if n := eval[int](t, p.b, `__blPanel.fields(`+cell+`).length`); n < 7 {
		t.Errorf("the panel is gone after Stop (%d fields)", n)
	}

	// Close ends the cell; the line of the last run's values stays.
	eval[bool](t, p.b, fmt.Sprintf(`__blPanel.press(%s, 'close')`, cell))
	p.b.poll(t, "the controls cell to end", fmt.Sprintf(`(function () {
  var k = __bl.kernel(); return !!k && k.status === 'idle' && typeof __bl.panel().content.widgets[%d].model.executionCount === 'number';
})()`, c), time.Minute)
	if n := eval[int](t, p.b, `__blPanel.fields(`+cell+`).length`); n != 0 {
		t.Errorf("%d fields left after Close", n)
	}
	if got := eval[string](t, p.b, fmt.Sprintf(`__blPanel.line(%s)`, cell)); !strings.Contains(got, "limit=100") || !strings.Contains(got, "closed") {
		t.Errorf("after Close the line reads %q, want the last successful run's limit=100 and that the panel closed", got)
	}
	p.screenshot("lab-controls-closed-03-semaphore", c)

	// The result the panel saved is the one later cells read (kernel.Last):
	// its findings give the runtime the panel's run measured at limit 50.
	f := eval[int](t, p.b, `__bl.cellIndex('kernel.ShowFindings(')`)
	if f < 0 {
		t.Fatal("no findings cell (kernel.ShowFindings) in 03-semaphore")
	}
	p.runCell(f, 2*time.Minute)
	want := fmt.Sprintf("goroutines %.4g s", atFifty)
	if got := eval[string](t, p.b, cellNode(f)+`.querySelector('.jp-OutputArea').textContent`); !strings.Contains(got, want) {
		t.Errorf("the findings after the panel's run lack its runtime at limit 50 (%q): %q", want, got[:min(len(got), 600)])
	}
}

// checkLimitPoint checks the runtime-against-limit chart of the panel's
// run: the goroutines point at limit 50 is at 2 s, at most a few per cent
// over (the timers' overshoot), and the formula's line is at exactly 2 s.
func checkLimitPoint(t *testing.T, p *labPage, c int) (measured float64) {
	t.Helper()
	pts := eval[map[string][][2]float64](t, p.b, fmt.Sprintf(`__blPanel.limitPoints(%s)`, cellNode(c)))
	t.Logf("runtime against limit, points by series: %v", pts)
	g := pts["goroutines"]
	if len(g) != 1 || g[0][0] != 50 {
		t.Fatalf("the goroutines series has points %v, want one at limit 50", g)
	}
	const ideal = 2.0 // ⌈1000/50⌉ × 100 ms
	t.Logf("measured at limit 50: %.4f s (formula %.1f s, ratio %.4f)", g[0][1], ideal, g[0][1]/ideal)
	if g[0][1] < ideal*0.999 || g[0][1] > ideal*1.25 {
		t.Errorf("the point at limit 50 is at %.4f s, want ⌈1000/50⌉ × 100 ms = 2 s (and not more than 25%% over)", g[0][1])
	}
	found := false
	for name, s := range pts {
		if name == "goroutines" {
			continue
		}
		for _, pt := range s {
			if pt[0] == 50 && math.Abs(pt[1]-ideal) < 1e-9 {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no formula point at (50, 2 s) among %v", pts)
	}
	return g[0][1]
}

// TestNotebook7Controls: the same panel in Notebook 7, its limit set to
// 50 and Run pressed, gives the point at 2 s; the notebook's stop button
// ends the panel cleanly.
func TestNotebook7Controls(t *testing.T) {
	r := need(t)
	if !strings.HasPrefix(r.jup.Notebook, "7.") {
		t.Fatalf("the Jupyter in use has notebook %q, not Notebook 7", r.jup.Notebook)
	}
	dir := copyNotebooks(t, r, "controls-nb7", "03-semaphore")
	srv := startJupyter(t, r, notebook7, dir, serverOptions{})
	p, c := openPanel(t, srv)
	cs := panelRun(t, p, c, panelValues, 2*time.Minute)
	checkCharts(t, "Notebook 7, after Run", cs)
	checkLimitPoint(t, p, c)
	p.screenshot("notebook7-controls-03-semaphore", c)

	// The notebook's stop button (a kernel interrupt) ends the panel and
	// its cell cleanly, and leaves the line of values.
	p.command("notebook:interrupt-kernel")
	p.b.poll(t, "the controls cell to end after the interrupt", fmt.Sprintf(`(function () {
  var k = __bl.kernel(); return !!k && k.status === 'idle' && typeof __bl.panel().content.widgets[%d].model.executionCount === 'number';
})()`, c), time.Minute)
	if got := eval[string](t, p.b, fmt.Sprintf(`__blPanel.line(%s)`, cellNode(c))); !strings.Contains(got, "limit=50") || !strings.Contains(got, "stopped by the notebook's stop button") {
		t.Errorf("after the interrupt the line reads %q", got)
	}
	if n := eval[int](t, p.b, `__blPanel.fields(`+cellNode(c)+`).length`); n != 0 {
		t.Errorf("%d fields left after the interrupt", n)
	}
}

// TestHandoutControls builds 03-semaphore's handout (nbclient runs the
// notebook with no page, then nbconvert exports it) with the limit
// overridden to 50, and checks that the controls cell is one static line
// listing the values used, with no control and no script of GoNB's.
func TestHandoutControls(t *testing.T) {
	r := need(t)
	out := t.TempDir()
	res := r.run(t, 10*time.Minute, "handouts", "--quick", "-p", "limit=50", "--out", out, "03-semaphore")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	page, err := os.ReadFile(filepath.Join(out, "03-semaphore.html"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	i := strings.Index(s, `class="boundlab-controls-line"`)
	if i < 0 {
		t.Fatal("no controls line in the handout")
	}
	line := s[i:min(len(s), i+600)]
	t.Logf("the handout's controls line: %s", line)
	for _, want := range []string{"Controls · semaphore", "values used", "limit=50", "tasks=200", "latency=100ms"} {
		if !strings.Contains(line, want) {
			t.Errorf("the controls line lacks %q", want)
		}
	}
	for _, bad := range []string{"boundlab-control-field", "gonb_comm", `type="range"`} {
		if strings.Contains(s, bad) {
			t.Errorf("the handout holds %q: a live control or GoNB's script", bad)
		}
	}
	b := newBrowser(t, r, true)
	if err := chromedp.Do(b.ctx, chromedp.Navigate("file://"+filepath.Join(out, "03-semaphore.html"))); err != nil {
		t.Fatal(err)
	}
	got := eval[string](t, b, `(function () { var l = document.querySelector('.boundlab-controls-line');
  if (!l) { return ''; } l.scrollIntoView(); return l.textContent; })()`)
	if !strings.Contains(got, "limit=50") {
		t.Errorf("the page shows the controls line as %q", got)
	}
	b.screenshot(t, r, "handout-controls-03-semaphore")
}
