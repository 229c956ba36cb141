package e2e

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/internal/handouts"
)

// overviewNotebooks are the notebooks the overview test builds: an
// asyncio question and the semaphore's, whose timelines have zoom sliders.
var overviewNotebooks = []string{"01-async-cpu", "03-semaphore"}

// indexRow is a claim row of the overview as the page has it.
type indexRow struct {
	Notebook string `json:"notebook"`
	Claim    string `json:"claim"`
	Outcomes []struct {
		Model   string `json:"model"`
		Outcome string `json:"outcome"`
		Text    string `json:"text"`
	} `json:"outcomes"`
	Unjudged string `json:"unjudged"`
}

const jsIndex = `({
  models: Object.fromEntries(Array.from(document.querySelectorAll('tr.notebook')).map(function (tr) {
    return [tr.dataset.notebook, tr.dataset.models || ''];
  })),
  rows: Array.from(document.querySelectorAll('tr.claim')).map(function (tr) {
    var u = tr.querySelector('li.unjudged');
    return {
      notebook: tr.dataset.notebook, claim: tr.dataset.claim,
      outcomes: Array.from(tr.querySelectorAll('li.outcome')).map(function (li) {
        return {model: li.dataset.model, outcome: li.dataset.outcome, text: li.textContent};
      }),
      unjudged: u ? u.dataset.models : ''
    };
  }),
  links: Array.from(document.querySelectorAll('a[href]')).map(function (a) { return a.href; })
})`

// jsPrintState counts, over every chart, the zoom sliders shown, the
// legends that page (type scroll) and the toolboxes shown.
const jsPrintState = `(function () {
  var s = {charts: 0, sliders: 0, paged: 0, toolboxes: 0};
  document.querySelectorAll('.boundlab-chart').forEach(function (el) {
    var c = window.echarts && window.echarts.getInstanceByDom(el);
    if (!c) { return; }
    var o = c.getOption();
    s.charts++;
    (o.dataZoom || []).forEach(function (z) { if (z.type === 'slider' && z.show !== false) { s.sliders++; } });
    (o.legend || []).forEach(function (l) { if (l.type === 'scroll' && l.show !== false) { s.paged++; } });
    (o.toolbox || []).forEach(function (t) { if (t.show !== false) { s.toolboxes++; } });
  });
  return s;
})()`

type printState struct {
	Charts, Sliders, Paged, Toolboxes int
}

// jsPrintStyle is the computed style of what the print stylesheet sets.
const jsPrintStyle = `({
  prompt: getComputedStyle(document.querySelector('.jp-InputPrompt')).display,
  figure: getComputedStyle(document.querySelector('.boundlab-figure')).breakInside,
  chart: getComputedStyle(document.querySelector('.boundlab-chart')).breakInside
})`

var pdfPage = regexp.MustCompile(`/Type\s*/Page\b[^s]`)

// TestHandoutsOverviewAndPrint builds two notebooks' handouts on quick
// parameters with the command, then, in Chromium with the network cut off:
// the overview (index.html) lists every claim each run judged, with an
// outcome for every model the run had (or says the claim is not judged on
// it), the outcome and figure the saved result has, and links that resolve
// to the handouts; the handouts show no set-up cell (module link, imports,
// kernel.Setup) but draw every chart; and a handout printed to PDF has
// pages, with its print stylesheet applied and, while printing, no zoom
// slider, paged legend or toolbox in any chart, which come back after.
func TestHandoutsOverviewAndPrint(t *testing.T) {
	r := need(t)
	out := t.TempDir()
	res := r.run(t, 10*time.Minute, append([]string{"handouts", "--quick", "--out", out}, overviewNotebooks...)...)
	t.Logf("boundlab handouts --quick %s: %s\n%s%s", strings.Join(overviewNotebooks, " "), res.elapsed.Round(100*time.Millisecond), res.stdout, res.stderr)
	if res.code != 0 {
		t.Fatalf("exit %d", res.code)
	}
	index := filepath.Join(out, handouts.IndexName)
	if _, err := os.Stat(index); err != nil {
		t.Fatalf("no overview: %v", err)
	}
	b := newBrowser(t, r, true)

	t.Run("overview", func(t *testing.T) {
		if err := chromedp.Do(b.ctx, chromedp.Navigate("file://"+index)); err != nil {
			t.Fatal(err)
		}
		page := eval[struct {
			Models map[string]string `json:"models"`
			Rows   []indexRow        `json:"rows"`
			Links  []string          `json:"links"`
		}](t, b, jsIndex)
		for _, name := range overviewNotebooks {
			saved := savedResult(t, filepath.Join(out, name+".json"))
			var rows []indexRow
			for _, row := range page.Rows {
				if row.Notebook == name {
					rows = append(rows, row)
				}
			}
			var want, got []string
			for _, v := range saved.Verdicts {
				if !slices.Contains(want, v.ClaimID) {
					want = append(want, v.ClaimID)
				}
			}
			models := strings.Split(page.Models[name], ",")
			if len(models) == 0 || !strings.HasPrefix(models[0], "cpython") {
				t.Errorf("%s: models %v: CPython's are not first", name, models)
			}
			for _, row := range rows {
				got = append(got, row.Claim)
				var seen []string
				for _, o := range row.Outcomes {
					seen = append(seen, o.Model)
					if !slices.ContainsFunc(saved.Verdicts, func(v experiments.Verdict) bool {
						return v.ClaimID == row.Claim && v.Model == o.Model && string(v.Outcome) == o.Outcome &&
							strings.Contains(o.Text, v.Estimate())
					}) {
						t.Errorf("%s %s: %s shows %q (%s), which no saved verdict has", name, row.Claim, o.Model, o.Outcome, o.Text)
					}
				}
				if len(row.Outcomes) == 0 {
					t.Errorf("%s %s: no outcome on any model", name, row.Claim)
				}
				if row.Unjudged != "" {
					seen = append(seen, strings.Split(row.Unjudged, ",")...)
				}
				seen = slices.Compact(slices.Sorted(slices.Values(seen)))
				if !slices.Equal(seen, slices.Sorted(slices.Values(models))) {
					t.Errorf("%s %s: the row covers models %v, want each of %v", name, row.Claim, seen, models)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: the overview lists claims %v, the saved result judged %v", name, got, want)
			}
		}
		if len(page.Links) == 0 {
			t.Fatal("no links")
		}
		for _, l := range page.Links {
			u, err := url.Parse(l)
			if err != nil || u.Scheme != "file" {
				t.Errorf("link %q does not point at a file", l)
				continue
			}
			if fi, err := os.Stat(u.Path); err != nil || fi.IsDir() || filepath.Dir(u.Path) != out {
				t.Errorf("link %q does not resolve to a handout: %v", l, err)
			}
		}
		b.screenshot(t, r, "handouts-overview")
	})

	for _, name := range overviewNotebooks {
		t.Run("setup-hidden/"+name, func(t *testing.T) {
			path := filepath.Join(out, name+".html")
			if err := chromedp.Do(b.ctx, chromedp.Navigate("file://"+path)); err != nil {
				t.Fatal(err)
			}
			b.poll(t, "every chart drawn", jsAllRendered, 30*time.Second)
			cells := eval[[]cellState](t, b, jsHandoutCells)
			for _, c := range cells {
				for _, noise := range []string{"go mod edit", `"github.com/boundlab/boundlab/experiments"`, "kernel.Setup()"} {
					if strings.Contains(c.Input, noise) {
						first, _, _ := strings.Cut(c.Input, "\n")
						t.Errorf("a set-up cell shows (%s): %q", noise, first)
					}
				}
			}
			if !slices.ContainsFunc(cells, func(c cellState) bool { return strings.Contains(c.Input, "kernel.Run(") }) {
				t.Error("the experiment cell is hidden too")
			}
		})
	}

	t.Run("print", func(t *testing.T) {
		path := filepath.Join(out, "03-semaphore.html")
		if err := chromedp.Do(b.ctx, chromedp.Navigate("file://"+path)); err != nil {
			t.Fatal(err)
		}
		b.poll(t, "every chart drawn", jsAllRendered, 30*time.Second)
		screen := eval[printState](t, b, jsPrintState)
		t.Logf("on screen: %+v", screen)
		// Legends are plain (charts.TestChartsLegible), so only the zoom
		// sliders and toolboxes are there to hide; a paged legend, should one
		// come back, must be hidden too.
		if screen.Sliders == 0 || screen.Toolboxes == 0 {
			t.Fatalf("on screen the charts have %d zoom sliders and %d toolboxes: nothing to hide in print", screen.Sliders, screen.Toolboxes)
		}
		media := func(m string) {
			err := chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m})
				return err
			}))
			if err != nil {
				t.Fatal(err)
			}
		}
		media("print")
		style := eval[map[string]string](t, b, jsPrintStyle)
		if style["prompt"] != "none" || style["figure"] != "avoid" || style["chart"] != "avoid" {
			t.Errorf("print style not applied: %v", style)
		}
		// A media change reaches the page's listeners on its next frame.
		settle := func(what string, want printState) {
			t.Helper()
			deadline := time.Now().Add(5 * time.Second)
			for {
				got := eval[printState](t, b, jsPrintState)
				if got == want {
					return
				}
				if time.Now().After(deadline) {
					t.Errorf("%s the charts have %+v, want %+v", what, got, want)
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		settle("for print,", printState{Charts: screen.Charts})
		media("")
		settle("back on screen,", screen)

		// The real print: what the charts have when beforeprint has run.
		eval[bool](t, b, `(window.addEventListener('beforeprint', function () { window.__atPrint = `+jsPrintState+`; }), true)`)
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Minute)
		defer cancel()
		var pdf []byte
		err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			yes := true
			res, err := cdp.Call(ctx, tg, page.PrintToPDF, page.PrintToPDFParams{PrintBackground: &yes})
			pdf = res.Data
			return err
		}))
		if err != nil {
			t.Fatal(err)
		}
		pages := len(pdfPage.FindAll(pdf, -1))
		file := filepath.Join(r.artifacts, "handout-print-03-semaphore.pdf")
		if err := os.WriteFile(file, pdf, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes, %d pages", file, len(pdf), pages)
		if !bytes.HasPrefix(pdf, []byte("%PDF-")) || pages == 0 {
			t.Errorf("not a PDF with pages: %d pages, starts %q", pages, pdf[:min(len(pdf), 8)])
		}
		at := eval[*printState](t, b, `window.__atPrint || null`)
		switch {
		case at == nil:
			t.Error("printing did not fire beforeprint")
		case at.Charts != screen.Charts || at.Sliders+at.Paged+at.Toolboxes != 0:
			t.Errorf("while printing, the charts had %+v", *at)
		}
		if got := eval[printState](t, b, jsPrintState); got != screen {
			t.Errorf("after printing the charts have %+v, before %+v", got, screen)
		}
	})
	console, requests := b.problems()
	for _, m := range console {
		t.Errorf("console: %s", m)
	}
	for _, u := range requests {
		t.Errorf("request to the network: %s", u)
	}
}

// savedResult reads a result the build saved beside its handout.
func savedResult(t *testing.T, path string) *experiments.Report {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no saved result: %v", err)
	}
	for _, q := range experiments.Questions() {
		if res, err := q.DecodeResult(data); err == nil {
			return res.Base()
		}
	}
	t.Fatalf("%s: no question decodes it", path)
	return nil
}
