package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// browser is a headless Chromium tab whose network is cut off: it can
// reach this machine's loopback address (a local Jupyter) and files, and
// nothing else. It records what the page writes to the console and every
// request to anywhere else.
type browser struct {
	ctx context.Context

	mu       sync.Mutex
	console  []chromedp.ConsoleMessage
	requests []string
}

// newBrowser starts Chromium for the test; offline also cuts the loopback
// address off (for pages opened from disk).
func newBrowser(t testing.TB, r *rig, offline bool) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(r.chromium),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()),
		// Every request goes to a proxy on a dead port; Chromium bypasses
		// proxies for loopback addresses only.
		chromedp.ProxyServer("127.0.0.1:9"),
		chromedp.Flag("disable-quic", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	b := &browser{ctx: ctx}
	// The first action starts the browser; it must not have a timeout.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && !localURL(e.Request.URL) {
			b.mu.Lock()
			b.requests = append(b.requests, e.Request.URL)
			b.mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	if offline {
		err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if _, err := cdp.Call(ctx, tg, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
				MatchedNetworkConditions: []*network.Conditions{{Offline: true}},
			}); err != nil {
				return err
			}
			_, err := cdp.Call(ctx, tg, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: true})
			return err
		}))
		if err != nil {
			t.Fatalf("cut the network off: %v", err)
		}
	}
	return b
}

// localURL reports whether a request stays on this machine.
func localURL(u string) bool {
	for _, p := range []string{"file:", "data:", "blob:", "about:", "chrome:", "devtools:", "http://127.0.0.1:", "ws://127.0.0.1:"} {
		if strings.HasPrefix(u, p) {
			return true
		}
	}
	return false
}

// eval evaluates a JavaScript expression, failing the test on an error.
func eval[T any](t testing.TB, b *browser, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %.80q: %v", expr, err)
	}
	return v
}

// poll waits until the expression is true.
func (b *browser) poll(t testing.TB, what, expr string, timeout time.Duration) {
	t.Helper()
	err := chromedp.Do(b.ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(timeout)))
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// problems returns the console's errors and exceptions, and the requests
// that left the machine. It leaves out the errors of Jupyter's own code
// that upstreamErrors lists, which happen without any boundlab output on
// the page.
func (b *browser) problems() (console, requests []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.console {
		if (m.Type == chromedp.ConsoleError || m.IsException()) && !upstreamError(m) {
			console = append(console, m.String())
		}
	}
	return console, append([]string(nil), b.requests...)
}

// upstreamErrors are errors that a front end's own code logs in these tests
// whatever the notebook holds, each matched by its text and by where it
// comes from (the script that threw it, or the URL a browser-log entry
// names), so that the same words from boundlab's inline scripts still
// count.
var upstreamErrors = []struct{ text, from, why string }{{
	text: "Cannot read properties of undefined (reading 'schema')",
	from: "/static/notebook/notebook_core.",
	why: "Notebook 7.6.5's keyboard-shortcuts plugin, when the kernel connects: a settings change for a " +
		"plugin whose schema it has not loaded; it happens on opening a notebook, before any cell runs",
}, {
	text: "404 (Not Found)",
	from: "/nbextensions/widgets/notebook/js/extension.js",
	why:  "the classic Notebook's main.js always asks for the ipywidgets extension, which boundlab does not use or install",
}, {
	text: "Refused to execute script from",
	from: "/nbextensions/widgets/notebook/js/extension.js",
	why:  "the same request: the 404 page is HTML",
}, {
	text: "Comm promise not found for comm id",
	from: "/notebook/js/main.min.js",
	why: "the classic Notebook's comm manager, for each message on a comm another connection opened: GoNB's widgets " +
		"(the Controls panel) talk to the kernel over a websocket of their own (gonb_comm), and the kernel's messages " +
		"on that comm go out on iopub to every connection to the kernel, the page's own included",
}}

func upstreamError(m chromedp.ConsoleMessage) bool {
	where := m.URL + " " + m.Text
	if m.Stack != nil && len(m.Stack.CallFrames) > 0 {
		where = m.Stack.CallFrames[0].URL
	}
	for _, u := range upstreamErrors {
		if strings.Contains(m.Text, u.text) && strings.Contains(where, u.from) {
			return true
		}
	}
	return false
}

// screenshot saves a full-page PNG under test-artifacts/e2e.
func (b *browser) screenshot(t *testing.T, r *rig, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(r.artifacts, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return path
}

// series is one series of a chart: what ECharts holds, or what Go meant
// to draw (a container's data-series).
type series struct {
	Name   string `json:"name"`
	Points int    `json:"points"`
}

// chartState is one chart container as the page has it.
type chartState struct {
	ID       string   `json:"id"`
	Rendered bool     `json:"rendered"`
	Canvas   bool     `json:"canvas"`
	Title    string   `json:"title"`
	Sub      string   `json:"sub"`
	Text     string   `json:"text"`
	Want     []series `json:"want"`
	Got      []series `json:"got"`
}

// jsCharts describes every chart container under a root element (%s).
const jsCharts = `(function (root) {
  return Array.from(root.querySelectorAll('.boundlab-chart')).map(function (el) {
    var want = null;
    try { want = JSON.parse(el.getAttribute('data-series')); } catch (e) {}
    var inst = window.echarts && window.echarts.getInstanceByDom(el);
    if (!inst) { return {id: el.id, rendered: false, text: el.textContent.slice(0, 300), want: want}; }
    var o = inst.getOption();
    return {
      id: el.id, rendered: true, want: want,
      canvas: !!el.querySelector('canvas'),
      title: (o.title && o.title[0] && o.title[0].text) || '',
      sub: (o.title && o.title[0] && o.title[0].subtext) || '',
      got: (o.series || []).map(function (s) {
        return {name: s.name == null ? '' : String(s.name), points: Array.isArray(s.data) ? s.data.length : 0};
      })
    };
  });
})(%s)`

// charts returns the chart containers under the root expression.
func (b *browser) charts(t *testing.T, root string) []chartState {
	t.Helper()
	return eval[[]chartState](t, b, fmt.Sprintf(jsCharts, root))
}

// jsAllRendered is true when the page has charts and ECharts drew each.
const jsAllRendered = `(function () {
  var els = document.querySelectorAll('.boundlab-chart');
  return els.length > 0 && !!window.echarts && Array.from(els).every(function (el) { return !!window.echarts.getInstanceByDom(el); });
})()`

// checkCharts reports every chart that ECharts did not draw, or drew with
// other series or point counts than the container's data-series says.
func checkCharts(t *testing.T, where string, cs []chartState) {
	t.Helper()
	for _, c := range cs {
		switch {
		case !c.Rendered:
			t.Errorf("%s: chart %s not rendered: %q", where, c.ID, c.Text)
		case !c.Canvas:
			t.Errorf("%s: chart %s (%q) has no canvas", where, c.ID, c.Title)
		case c.Want == nil:
			t.Errorf("%s: chart %s (%q) has no data-series", where, c.ID, c.Title)
		case fmt.Sprint(c.Got) != fmt.Sprint(c.Want):
			t.Errorf("%s: chart %s (%q): ECharts holds %v, Go meant %v", where, c.ID, c.Title, c.Got, c.Want)
		}
	}
}

// checkRedrawn checks the charts a rerun of a cell drew: each drawn as Go
// meant, as many as before, and each a new chart, not the old one left in
// place.
func checkRedrawn(t *testing.T, before, after []chartState) {
	t.Helper()
	checkCharts(t, "after the rerun", after)
	if len(after) != len(before) {
		t.Fatalf("%d charts after the rerun, %d before", len(after), len(before))
	}
	for i := range after {
		t.Logf("chart %q: %v → %v", after[i].Title, before[i].Got, after[i].Got)
		if after[i].ID == before[i].ID {
			t.Errorf("chart %d is the same chart (%s) after the rerun", i, after[i].ID)
		}
	}
}
