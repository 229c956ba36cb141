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
