package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/boundlab/boundlab/charts"
	"github.com/boundlab/boundlab/experiments/model"
)

// TestChartScripts opens pages made of chart snippets in Chromium, as a
// front end would hold them, and checks how a chart's script meets the
// library: a chart whose script runs before the library waits for it with
// no timeout and draws when it arrives; the same chart shown twice draws in
// both places; a chart on a page that never gets the library shows a line
// saying what to run; and a chart whose script does not run (an untrusted
// notebook) shows its placeholder line. No page logs an error.
func TestChartScripts(t *testing.T) {
	r := need(t)
	run := &model.Run{Model: "goroutines", Concurrency: 2}
	for i := range 3 {
		start := time.Duration(i) * 10 * time.Millisecond
		run.Spans = append(run.Spans, model.Span{Task: i, Worker: i % 2, Start: start, End: start + 20*time.Millisecond,
			Segments: []model.Segment{{Kind: model.KindCPU, Start: start, End: start + 20*time.Millisecond}}})
	}
	c, err := charts.Timeline(run, "three tasks")
	if err != nil {
		t.Fatal(err)
	}
	snippet, err := charts.Snippet(c)
	if err != nil {
		t.Fatal(err)
	}
	lib, err := charts.LibraryTag()
	if err != nil {
		t.Fatal(err)
	}
	// late adds the library a second after the page loaded, as a Setup
	// output rendered after the chart's would.
	late := `<script>setTimeout(function () { var d = document.createElement('div'); document.body.appendChild(d);
  var s = document.createElement('script'); s.textContent = document.getElementById('lib').textContent; d.appendChild(s); }, 1000);</script>
<script type="text/plain" id="lib">` + strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(lib), "<script>"), "</script>") + `</script>`
	noScript := strings.Replace(snippet, "<script>", `<script type="text/plain">`, 1)
	dir := t.TempDir()
	for _, pg := range []struct {
		name, body string
		drawn      int    // charts ECharts must draw
		says       string // the text left in every container, where none is drawn
	}{
		{"library-first", lib + snippet, 1, ""},
		{"library-late", snippet + late, 1, ""},
		{"shown-twice", lib + snippet + snippet, 2, ""},
		{"twice-before-library", snippet + snippet + late, 2, ""},
		{"no-library", snippet, 0, "Waiting for the ECharts library: run the cell with kernel.Setup()"},
		{"scripts-dropped", lib + noScript, 0, charts.Placeholder},
	} {
		t.Run(pg.name, func(t *testing.T) {
			path := filepath.Join(dir, pg.name+".html")
			html := "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>\n" + pg.body + "\n</body></html>\n"
			if err := os.WriteFile(path, []byte(html), 0o644); err != nil {
				t.Fatal(err)
			}
			b := newBrowser(t, r, true)
			if err := chromedp.Do(b.ctx, chromedp.Navigate("file://"+path)); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2500 * time.Millisecond) // past the late library
			type state struct {
				Drawn int      `json:"drawn"`
				Texts []string `json:"texts"`
			}
			got := eval[state](t, b, `(function () {
  var els = Array.from(document.querySelectorAll('.boundlab-chart'));
  return {drawn: els.filter(function (el) { return window.echarts && window.echarts.getInstanceByDom(el) && el.querySelector('canvas'); }).length,
    texts: els.map(function (el) { return el.textContent; })};
})()`)
			if got.Drawn != pg.drawn {
				t.Errorf("%d charts drawn, want %d", got.Drawn, pg.drawn)
			}
			if pg.drawn > 0 {
				cs := b.charts(t, "document")
				checkCharts(t, pg.name, cs)
				// The first bar's tooltip: its row's label (which ECharts
				// takes from the axis), its task and its duration (which
				// the tooltip works out from the bar's start and end).
				tip := eval[string](t, b, `(function () {
  var el = document.querySelector('.boundlab-chart'), inst = window.echarts.getInstanceByDom(el);
  inst.dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: 1});
  return el.innerText;
})()`)
				for _, w := range []string{"cpu on worker 1", "task 1", "start 10.000 ms, end 30.000 ms", "duration 20.000 ms"} {
					if !strings.Contains(tip, w) {
						t.Errorf("the tooltip says %q, want %q in it", tip, w)
					}
				}
				for _, x := range got.Texts {
					if strings.Contains(x, "Waiting") || strings.Contains(x, charts.Placeholder) {
						t.Errorf("a drawn chart still says %q", x)
					}
				}
			} else {
				for _, x := range got.Texts {
					if !strings.Contains(x, pg.says) {
						t.Errorf("the container says %q, want %q", x, pg.says)
					}
				}
			}
			console, requests := b.problems()
			for _, m := range console {
				t.Errorf("console: %s", m)
			}
			for _, u := range requests {
				t.Errorf("request to the network: %s", u)
			}
		})
	}
}

// BenchmarkLibraryLoad opens from disk a page holding the library and three
// charts (a timeline of 1,000 tasks among them), the library as LibraryTag
// gives it (gzip in base64, inflated with DecompressionStream) or as a plain
// script, and reports the page's size and the time from the page's start to
// the charts drawn, as the page measures it (performance.now).
//
//	BOUNDLAB_REQUIRE_E2E=1 go test -run '^$' -bench LibraryLoad -benchtime 20x ./e2e
func BenchmarkLibraryLoad(b *testing.B) {
	r := need(b)
	run := &model.Run{Model: "goroutines", Concurrency: 50}
	for i := range 1000 {
		start := time.Duration(i/50) * 3 * time.Millisecond
		run.Spans = append(run.Spans, model.Span{Task: i, Worker: i % 50, Start: start, End: start + 2*time.Millisecond,
			Segments: []model.Segment{{Kind: model.KindWait, Start: start, End: start + 2*time.Millisecond}}})
	}
	var snippets string
	for _, title := range []string{"one", "two", "three"} {
		c, err := charts.Timeline(run, title)
		if err != nil {
			b.Fatal(err)
		}
		s, err := charts.Snippet(c)
		if err != nil {
			b.Fatal(err)
		}
		snippets += s
	}
	tag, err := charts.LibraryTag()
	if err != nil {
		b.Fatal(err)
	}
	lib, err := charts.Library()
	if err != nil {
		b.Fatal(err)
	}
	// The page's own clock: the ready event (LibraryTag), or a script after
	// the charts (the plain library draws them as their scripts run).
	clock := `<script>window.addEventListener("` + charts.ReadyEvent + `", function () { window.__drawnAt = performance.now(); });</script>`
	end := `<script>if (window.echarts) { window.__drawnAt = performance.now(); }</script>`
	dir := b.TempDir()
	for _, v := range []struct{ name, library string }{
		{"gzip", tag},
		{"plain", "<script>\n" + lib + "\n</script>\n"},
	} {
		b.Run(v.name, func(b *testing.B) {
			page := "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>\n" + clock + v.library + snippets + end + "\n</body></html>\n"
			path := filepath.Join(dir, v.name+".html")
			if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
				b.Fatal(err)
			}
			br := newBrowser(b, r, true)
			var total float64
			for b.Loop() {
				if err := chromedp.Do(br.ctx, chromedp.Navigate("file://"+path)); err != nil {
					b.Fatal(err)
				}
				br.poll(b, "the charts drawn", `window.__drawnAt !== undefined && `+jsAllRendered, 30*time.Second)
				total += eval[float64](b, br, `window.__drawnAt`)
			}
			b.ReportMetric(total/float64(b.N), "ms-to-drawn")
			b.ReportMetric(float64(len(page))/1e3, "page-kB")
			console, requests := br.problems()
			if len(console)+len(requests) > 0 {
				b.Errorf("console %v, requests %v", console, requests)
			}
		})
	}
}
