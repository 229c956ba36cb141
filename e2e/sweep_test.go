package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/boundlab/boundlab/internal/handouts"
)

// sweepState is the limit sweep's chart as ECharts holds it now.
type sweepState struct {
	Labels  []string  `json:"labels"`
	Current int       `json:"current"`
	Bars    int       `json:"bars"`
	Tasks   int       `json:"tasks"`
	Rows    int       `json:"rows"`
	End     float64   `json:"end"`
	Sub     string    `json:"sub"`
	Marks   []float64 `json:"marks"`
	// Kinds are the bars by series (kind) name.
	Kinds    map[string]int `json:"kinds"`
	Title    string         `json:"title"`
	RowNames []string       `json:"rowNames"`
}

// jsSweep reads the sweep chart whose label holds %q: the control's
// labels and point, and the bars (of every series), distinct tasks, rows,
// latest end (ms), subtitle and marks it draws.
const jsSweep = `(function (what) {
  var el = Array.from(document.querySelectorAll('.boundlab-chart')).find(function (e) {
    return (e.getAttribute('aria-label') || '').indexOf(what) >= 0; });
  var o = window.echarts.getInstanceByDom(el).getOption(), tl = o.timeline[0], s = o.series[0];
  var tasks = {}, end = 0, bars = 0, kinds = {};
  o.series.forEach(function (x) {
    kinds[x.name] = (x.data || []).length;
    (x.data || []).forEach(function (v) { tasks[v[3]] = true; end = Math.max(end, v[2]); bars++; });
  });
  return {labels: tl.data.map(function (d) { return typeof d === 'object' ? String(d.value) : String(d); }),
    current: tl.currentIndex, bars: bars, tasks: Object.keys(tasks).length,
    rows: o.yAxis[0].data.length, end: end, sub: o.title[0].subtext, kinds: kinds,
    title: o.title[0].text, rowNames: o.yAxis[0].data.map(String),
    marks: ((s.markLine && s.markLine.data) || []).map(function (m) { return m.xAxis; })};
})(%q)`

// jsLabelAt is where, in the viewport, the control's label %[2]q is on the
// sweep chart whose label holds %[1]q: the middle of the text ECharts drew
// for it, or null.
const jsLabelAt = `(function (what, label) {
  var el = Array.from(document.querySelectorAll('.boundlab-chart')).find(function (e) {
    return (e.getAttribute('aria-label') || '').indexOf(what) >= 0; });
  el.scrollIntoView({block: 'center'});
  var zr = window.echarts.getInstanceByDom(el).getZr(), found = null;
  zr.storage.getRoots().forEach(function (root) {
    root.traverse(function (x) {
      if (!found && x.type === 'text' && x.style && x.style.text === label) { found = x; }
    });
  });
  if (!found) { return null; }
  var r = found.getBoundingRect().clone();
  r.applyTransform(found.getComputedTransform());
  var box = el.getBoundingClientRect();
  return [box.left + r.x + r.width / 2, box.top + r.y + r.height / 2];
})(%q, %q)`

// TestHandoutSweep builds the semaphore handout on quick parameters, opens
// it from disk with the network cut off, and clicks each limit on the
// sweep chart's control, as a reader would: the timeline switches to that
// limit's recorded run (its subtitle names the limit; its tasks on a row
// per semaphore slot, or a labelled sample of the slots above 50; its last
// task ending near ⌈tasks/limit⌉ × latency, where the formula's line is).
// Nothing is fetched and nothing is logged to the console.
func TestHandoutSweep(t *testing.T) {
	r := need(t)
	b := openHandout(t, r, "03-semaphore")
	const what = "the recorded limit sweep"

	// The quick parameters: 200 tasks waiting 100 ms, limits 10 to 200,
	// the lecture's limit 20.
	const tasks, latency = 200, 100.0
	limits := []int{10, 20, 100, 200}
	first := eval[sweepState](t, b, fmt.Sprintf(jsSweep, what))
	var want []string
	for _, l := range limits {
		want = append(want, fmt.Sprintf("limit %d", l))
	}
	if fmt.Sprint(first.Labels) != fmt.Sprint(want) {
		t.Fatalf("the control's points are %q, want %q", first.Labels, want)
	}
	if first.Current != 1 {
		t.Errorf("the control starts at point %d, want 1 (limit 20)", first.Current)
	}
	// Every other point, then back to the first.
	order := []int{0, 2, 3, 1}
	for _, i := range order {
		l := limits[i]
		got := clickSweep(t, b, what, want[i], i)
		rows, per := l, (tasks+l-1)/l
		if l > 50 {
			rows = 50 // every k-th slot, k = ⌈l/50⌉
		}
		k := (l + 49) / 50
		wantTasks := min(tasks, per*((l+k-1)/k)) // the drawn slots' tasks
		ideal := float64(per) * latency
		t.Logf("%s: %d bars of %d tasks on %d rows, last end %.1f ms (ideal %.0f ms); marks %v; %q", want[i], got.Bars, got.Tasks, got.Rows, got.End, ideal, got.Marks, got.Sub)
		if !strings.Contains(got.Sub, fmt.Sprintf("recorded run at limit %d", l)) || !strings.Contains(got.Sub, fmt.Sprintf("limit %d: runtime", l)) {
			t.Errorf("%s: the subtitle %q does not name the limit's run", want[i], got.Sub)
		}
		if got.Rows != rows || got.Bars != wantTasks || got.Tasks != wantTasks {
			t.Errorf("%s: %d bars of %d tasks on %d rows, want %d tasks, one bar each, on %d rows", want[i], got.Bars, got.Tasks, got.Rows, wantTasks, rows)
		}
		if l > 50 && !strings.Contains(got.Sub, fmt.Sprintf("a sample: every %d", k)) {
			t.Errorf("%s: a sample of the slots, but the subtitle %q does not say so", want[i], got.Sub)
		}
		if got.End < ideal || got.End > 1.5*ideal {
			t.Errorf("%s: the last task ends at %.1f ms, want about ⌈%d/%d⌉ × %.0f ms = %.0f ms", want[i], got.End, tasks, l, latency, ideal)
		}
		if len(got.Marks) != 2 || got.Marks[0] != ideal {
			t.Errorf("%s: marks %v, want the formula's %.0f ms first", want[i], got.Marks, ideal)
		}
		if i == 0 {
			time.Sleep(800 * time.Millisecond)
			b.screenshot(t, r, "handout-sweep-limit-10")
		}
	}

	// The latency sweep, at the lecture's limit 20: 10 rounds of each
	// latency, 200 tasks on the 20 slots.
	const lwhat = "the recorded latency sweep"
	lats := []float64{20, 50, 100}
	lwant := []string{"latency 20ms", "latency 50ms", "latency 100ms"}
	first = eval[sweepState](t, b, fmt.Sprintf(jsSweep, lwhat))
	if fmt.Sprint(first.Labels) != fmt.Sprint(lwant) || first.Current != 2 {
		t.Fatalf("the latency control's points are %q from %d, want %q from 2 (100ms, the lecture's)", first.Labels, first.Current, lwant)
	}
	for _, i := range []int{0, 1, 2} {
		got := clickSweep(t, b, lwhat, lwant[i], i)
		ideal := 10 * lats[i]
		t.Logf("%s: %d bars of %d tasks on %d rows, last end %.1f ms (ideal %.0f ms); marks %v; %q", lwant[i], got.Bars, got.Tasks, got.Rows, got.End, ideal, got.Marks, got.Sub)
		if !strings.Contains(got.Sub, "recorded run at "+lwant[i]) || !strings.Contains(got.Sub, lwant[i]+": runtime") {
			t.Errorf("%s: the subtitle %q does not name the latency's run", lwant[i], got.Sub)
		}
		if got.Rows != 20 || got.Tasks != tasks || got.Bars != tasks {
			t.Errorf("%s: %d bars of %d tasks on %d rows, want %d tasks, one bar each, on 20 rows", lwant[i], got.Bars, got.Tasks, got.Rows, tasks)
		}
		if got.End < ideal || got.End > 1.5*ideal || len(got.Marks) != 1 || got.Marks[0] != ideal {
			t.Errorf("%s: the last task ends at %.1f ms, marks %v; want about and a line at 10 × %.0f ms = %.0f ms", lwant[i], got.End, got.Marks, lats[i], ideal)
		}
		if i == 0 {
			time.Sleep(800 * time.Millisecond)
			b.screenshot(t, r, "handout-sweep-latency-20ms")
		}
	}
	quiet(t, b)
}

// TestHandoutCallSweeps builds the no-semaphore and many-tasks handouts
// on quick parameters, opens each from disk with the network cut off, and
// clicks each point of its sweep's control: the timeline switches to that
// setting's recorded calls (the subtitle names it; the calls without the
// semaphore above the semaphore's slots; a sample of at most 50 rows and
// 500 bars; the client's timeout as a line), and at the sweep's largest
// setting, beyond the clients' descriptor limit, failed calls are drawn
// as such. Nothing is fetched and nothing is logged to the console.
func TestHandoutCallSweeps(t *testing.T) {
	r := need(t)
	for _, c := range []struct {
		notebook, what string
		labels         []string
		prefixes       []string // every row starts with one of them
		timeout        float64  // ms
	}{
		{"04-no-semaphore", "the recorded concurrency sweep", []string{"10 at once", "100 at once", "400 at once"}, []string{"no semaphore · ", "semaphore 20 · "}, 800},
		{"08-many-tasks", "the recorded task-count sweep", []string{"250 tasks", "1000 tasks", "3000 tasks"}, []string{"worker "}, 5000},
	} {
		t.Run(c.notebook, func(t *testing.T) {
			b := openHandout(t, r, c.notebook)
			first := eval[sweepState](t, b, fmt.Sprintf(jsSweep, c.what))
			if fmt.Sprint(first.Labels) != fmt.Sprint(c.labels) || first.Current != len(c.labels)-1 {
				t.Fatalf("the control's points are %q from %d, want %q from the last", first.Labels, first.Current, c.labels)
			}
			for i, label := range c.labels {
				got := clickSweep(t, b, c.what, label, i)
				t.Logf("%s: %d bars (%v) of %d tasks on %d rows; marks %v; %q", label, got.Bars, got.Kinds, got.Tasks, got.Rows, got.Marks, got.Sub)
				if !strings.Contains(got.Sub, "recorded run") || !strings.Contains(got.Sub, strings.Fields(label)[0]) {
					t.Errorf("%s: the subtitle %q does not name the setting's run", label, got.Sub)
				}
				if got.Rows == 0 || got.Rows > 50 || got.Bars == 0 || got.Bars > 500 {
					t.Errorf("%s: %d bars on %d rows, want some, at most 500 on at most 50", label, got.Bars, got.Rows)
				}
				seen := map[string]bool{}
				for _, row := range got.RowNames {
					k := slices.IndexFunc(c.prefixes, func(p string) bool { return strings.HasPrefix(row, p) })
					if k < 0 {
						t.Errorf("%s: row %q is none of %q", label, row, c.prefixes)
						continue
					}
					seen[c.prefixes[k]] = true
				}
				if len(seen) != len(c.prefixes) {
					t.Errorf("%s: rows %q, want every one of %q", label, got.RowNames, c.prefixes)
				}
				if len(got.Marks) != 1 || got.Marks[0] != c.timeout {
					t.Errorf("%s: marks %v, want the client's timeout at %.0f ms", label, got.Marks, c.timeout)
				}
				if i == len(c.labels)-1 && got.Kinds["failed call"] == 0 {
					t.Errorf("%s: beyond the descriptor limit, but no failed call drawn (%v)", label, got.Kinds)
				}
			}
			time.Sleep(800 * time.Millisecond)
			b.screenshot(t, r, "handout-sweep-"+c.notebook)
			quiet(t, b)
		})
	}
}

// TestHandoutScalingSweep builds the scaling handout on quick parameters,
// opens it from disk with the network cut off, and clicks each pool size
// on the workers sweep's control: the timeline switches to that size's
// recorded run (its subtitle names the size and the speedup claim's
// verdict there; all 8 tasks on a row per worker; its last task ending no
// sooner than 8 × 25 ms over the workers allow). Nothing is fetched and
// nothing is logged to the console.
func TestHandoutScalingSweep(t *testing.T) {
	r := need(t)
	b := openHandout(t, r, "02-threads-vs-processes")
	const what = "the recorded workers sweep"
	const tasks, cpu = 8, 25.0
	pools := []int{1, 2, 4}
	want := []string{"1 worker", "2 workers", "4 workers"}
	first := eval[sweepState](t, b, fmt.Sprintf(jsSweep, what))
	if fmt.Sprint(first.Labels) != fmt.Sprint(want) {
		t.Fatalf("the control's points are %q, want %q", first.Labels, want)
	}
	if first.Current != 2 {
		t.Errorf("the control starts at point %d, want 2 (4 workers, the largest pool)", first.Current)
	}
	for _, i := range []int{0, 1, 2} {
		w := pools[i]
		got := clickSweep(t, b, what, want[i], i)
		t.Logf("%s: %d bars of %d tasks on %d rows, last end %.1f ms; marks %v; %q", want[i], got.Bars, got.Tasks, got.Rows, got.End, got.Marks, got.Sub)
		if !strings.Contains(got.Sub, "recorded run at "+want[i]) {
			t.Errorf("%s: the subtitle %q does not name the pool's run", want[i], got.Sub)
		}
		if w > 1 && !strings.Contains(got.Sub, fmt.Sprintf("the verdict at %d workers (", w)) {
			t.Errorf("%s: the subtitle %q has no verdict line", want[i], got.Sub)
		}
		// A row per worker that ran a task: under a GIL, a thread that
		// starts late may find the queue drained by the others, so a pool
		// of w draws from 1 to w rows, never more.
		if got.Tasks != tasks || got.Rows < 1 || got.Rows > w || got.Bars < tasks {
			t.Errorf("%s: %d bars of %d tasks on %d rows, want all %d tasks on 1 to %d rows", want[i], got.Bars, got.Tasks, got.Rows, tasks, w)
		}
		// The bars are the recorded run's: its last task ends with the run,
		// whose wall the subtitle gives. (Against the nominal 8 × 25 ms the
		// end can come out 5% short: the CPU step is calibrated once per
		// process, and a calibration taken while the machine was busier
		// makes the step shorter on a quieter one.)
		wall := subtitleWall(t, got.Sub)
		if got.End > wall+1 || got.End < 0.9*wall || got.End < 0.5*tasks*cpu/float64(w) {
			t.Errorf("%s: the last task ends at %.1f ms; want it at the end of the run's wall %.1f ms (and not under half of %d tasks × %.0f ms on %d workers)", want[i], got.End, wall, tasks, cpu, w)
		}
		if len(got.Marks) == 0 {
			t.Errorf("%s: no marks", want[i])
		}
		if w == 2 {
			time.Sleep(800 * time.Millisecond)
			b.screenshot(t, r, "handout-sweep-workers-2")
		}
	}
	quiet(t, b)
}

// subtitleWall reads "wall 189.6 ms" (or "1.2 s") from a sweep point's
// subtitle, in ms.
func subtitleWall(t *testing.T, sub string) float64 {
	t.Helper()
	m := regexp.MustCompile(`· wall ([0-9.]+) (ms|s)\b`).FindStringSubmatch(sub)
	if m == nil {
		t.Fatalf("no wall in the subtitle %q", sub)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	if m[2] == "s" {
		v *= 1000
	}
	return v
}

// openHandout builds notebook name's handout on quick parameters, checks
// its weight, and opens it from disk in a browser with the network cut
// off, every chart drawn and checked.
func openHandout(t *testing.T, r *rig, name string) *browser {
	t.Helper()
	out := t.TempDir()
	res := r.run(t, 10*time.Minute, "handouts", "--quick", "--out", out, name)
	if res.code != 0 {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	path := filepath.Join(out, name+".html")
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d bytes: %+v", path, len(page), handouts.Measure(page))
	if len(page) > handouts.MaxSize {
		t.Errorf("the page is %d bytes, over the %d a handout may weigh", len(page), handouts.MaxSize)
	}
	b := newBrowser(t, r, true)
	if err := chromedp.Do(b.ctx, chromedp.Navigate("file://"+path)); err != nil {
		t.Fatal(err)
	}
	b.poll(t, "every chart drawn", jsAllRendered, 30*time.Second)
	checkCharts(t, name, b.charts(t, "document"))
	return b
}

// clickSweep clicks label, point i of the control of the sweep chart
// whose label holds what, waits for the chart to switch, and reads it.
func clickSweep(t *testing.T, b *browser, what, label string, i int) sweepState {
	t.Helper()
	at := eval[[]float64](t, b, fmt.Sprintf(jsLabelAt, what, label))
	if len(at) != 2 {
		t.Fatalf("no label %q on the control", label)
	}
	if err := chromedp.Do(b.ctx, chromedp.MouseClickXY(at[0], at[1])); err != nil {
		t.Fatal(err)
	}
	js := fmt.Sprintf(jsSweep, what)
	b.poll(t, "the control at "+label, fmt.Sprintf(`(function () { var s = %s; return s.current === %d; })()`, js, i), 10*time.Second)
	return eval[sweepState](t, b, js)
}

// quiet fails t for every console message and network request b saw.
func quiet(t *testing.T, b *browser) {
	t.Helper()
	console, requests := b.problems()
	for _, m := range console {
		t.Errorf("console: %s", m)
	}
	for _, u := range requests {
		t.Errorf("request to the network: %s", u)
	}
}
