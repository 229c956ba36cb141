package charts

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"slices"
	"strings"
	"sync"
)

// ReadyEvent is the event dispatched on window once the ECharts library has
// loaded (by LibraryTag, and by the page WritePage writes), for other
// scripts on the page; the charts themselves do not need it (see Snippet).
const ReadyEvent = "boundlab-echarts-ready"

// waitingQueue is the global list of charts waiting for the library: each
// Snippet that runs before the library pushes its draw function there, and
// LibraryTag's script calls them once the library is defined.
const waitingQueue = "__boundlabWaitingForECharts"

// Placeholder is the line a chart's container shows until the chart is
// drawn: what a reader of a notebook whose scripts did not run (an
// untrusted notebook, in JupyterLab or Notebook) sees instead of a blank.
const Placeholder = "Run this cell (or trust the notebook) to draw the chart."

// waitingText replaces the placeholder when the chart's script ran but the
// library has not loaded on the page yet.
const waitingText = "Waiting for the ECharts library: run the cell with kernel.Setup() near the top of the notebook."

// Snippet returns the chart as an HTML fragment: a figure holding its
// container div and an inline script that draws it with the global
// `echarts` object, for a notebook cell or any page that loads the library
// once (see LibraryTag). It uses only text/html with an inline script,
// which JupyterLab, Notebook 7, the classic Notebook, VS Code and
// nbconvert's HTML all run when the output is trusted.
//
// The container has the class boundlab-chart and a data-series attribute
// holding the JSON of the chart's series names and point counts (see
// Chart.Series), [{"name":"eventloop","points":7}, …]. Until the chart is
// drawn it shows the chart's title and Placeholder, so a view that does not
// run scripts (an untrusted notebook) is never blank.
//
// The script finds its container next to itself (document.currentScript),
// falling back to the container's id where a front end runs scripts away
// from the output (the classic Notebook's jQuery), so that the same chart
// shown twice, or the same notebook open in two views, draws in each. If the
// library is not on the page yet it queues the chart, with no timeout and
// no polling, and LibraryTag's script draws it when the library arrives;
// the check and the queueing happen in one turn of the page's single
// JavaScript thread, so the library cannot slip in between. The chart
// resizes with the window and its container. Running it again (a cell
// re-run) replaces the chart rather than stacking a second one.
func Snippet(c *Chart) (string, error) {
	if c == nil {
		return "", errors.New("charts: snippet of a nil chart")
	}
	series, err := seriesAttr(c)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(`<div class="boundlab-figure">` + "\n")
	fmt.Fprintf(&b, `<div id="%s" class="boundlab-chart" role="img" aria-label="%s" data-series="%s" style="width:100%%;height:%dpx;">`,
		c.id, html.EscapeString(c.title), html.EscapeString(series), c.height)
	fmt.Fprintf(&b, `<p class="boundlab-placeholder" style="margin:0;padding:12px;color:#555;font-family:sans-serif;border:1px dashed #bbb;">%s: %s</p></div>`+"\n",
		html.EscapeString(c.title), Placeholder)
	b.WriteString("<script>\n")
	b.WriteString(strings.NewReplacer("@ID@", c.id, "@QUEUE@", waitingQueue, "@WAITING@", waitingText, "@OPTION@", c.option).Replace(initScript))
	b.WriteString("</script>\n</div>\n")
	return b.String(), nil
}

// seriesAttr is the JSON of c.Series() that a chart's container carries in
// its data-series attribute: [{"name":…,"points":…}, …], in drawing order,
// so that a browser test can compare what ECharts holds with what Go meant
// to draw.
func seriesAttr(c *Chart) (string, error) {
	type entry struct {
		Name   string `json:"name"`
		Points int    `json:"points"`
	}
	list := make([]entry, 0, len(c.series))
	for _, s := range c.series {
		list = append(list, entry{s.Name, s.Points})
	}
	b, err := json.Marshal(list)
	if err != nil {
		return "", fmt.Errorf("charts: series of %q: %w", c.title, err)
	}
	return string(b), nil
}

// initScript draws one chart. @ID@ is a chart id (letters, digits and
// underscores), @OPTION@ its option, @QUEUE@ waitingQueue, @WAITING@
// waitingText.
const initScript = `(function () {
  "use strict";
  var me = document.currentScript, el = null;
  if (me && me.parentNode && me.parentNode.querySelector) {
    el = me.parentNode.querySelector(".boundlab-chart");
  }
  if (!el) { el = document.getElementById("@ID@"); }
  if (!el) { return; }
  function draw(echarts) {
    var old = echarts.getInstanceByDom(el);
    if (old) { old.dispose(); }
    var ph = el.querySelector(".boundlab-placeholder");
    if (ph) { el.removeChild(ph); }
    var chart = echarts.init(el, null, {renderer: "canvas"});
    chart.setOption(@OPTION@);
    window.addEventListener("resize", function () { chart.resize(); });
    if (window.ResizeObserver) {
      new ResizeObserver(function () { chart.resize(); }).observe(el);
    }
  }
  if (window.echarts) { draw(window.echarts); return; }
  var ph = el.querySelector(".boundlab-placeholder");
  if (ph) { ph.textContent = "@WAITING@"; }
  (window.@QUEUE@ = window.@QUEUE@ || []).push(draw);
})();
`

// LibraryTag returns a <script> element holding the embedded ECharts
// library, gzip-compressed and base64-encoded, with the few lines that
// inflate it with the browser's DecompressionStream and run it; once it is
// defined, they draw the charts queued by snippets that ran before, then
// dispatch ReadyEvent on window. Put it once on a page, before or after the
// snippets: either way every chart waits for the library (see Snippet). It
// defines window.echarts only if the page has none yet. A browser without
// DecompressionStream (before Chrome 80, Firefox 113, Safari 16.4) gets a
// line in each waiting chart saying so, and the error in its console.
func LibraryTag() (string, error) { return loadTag() }

var loadTag = sync.OnceValues(func() (string, error) {
	lib, err := Library()
	if err != nil {
		return "", err
	}
	packed, err := gzipBase64(lib)
	if err != nil {
		return "", fmt.Errorf("charts: compress the library: %w", err)
	}
	return strings.NewReplacer("@VERSION@", EChartsVersion, "@QUEUE@", waitingQueue, "@READY@", ReadyEvent,
		"@NOINFLATE@", noInflateText, "@LIB@", packed).Replace(loaderScript), nil
})

// gzipBase64 is s gzip-compressed at the best compression, in base64.
func gzipBase64(s string) (string, error) {
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		return "", err
	}
	if _, err := io.WriteString(zw, s); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b.Bytes()), nil
}

// noInflateText replaces a waiting chart's line when the library cannot be
// inflated.
const noInflateText = "This browser cannot unpack the embedded chart library (it lacks DecompressionStream): open the page in a current Chrome, Edge, Firefox or Safari."

// loaderScript is LibraryTag's element. Its second line is the marker a
// page holds once per copy of the library. @LIB@ is the library, gzip in
// base64; the inflated code runs as a script element of its own, as the
// library's own file would.
const loaderScript = `<script>
/* ECharts @VERSION@ (Apache License 2.0), embedded by boundlab */
(function () {
  "use strict";
  function ready() {
    var q = window.@QUEUE@ || [];
    window.@QUEUE@ = [];
    q.forEach(function (draw) { try { draw(window.echarts); } catch (e) { console.error(e); } });
    window.dispatchEvent(new Event("@READY@"));
  }
  if (window.echarts) { ready(); return; }
  var lib = "@LIB@";
  try {
    var bin = atob(lib), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
    var code = new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
  } catch (e) {
    code = Promise.reject(e);
  }
  code.then(function (js) {
    if (!window.echarts) {
      var s = document.createElement("script");
      s.textContent = js;
      (document.head || document.documentElement).appendChild(s);
      s.remove();
    }
    if (!window.echarts) { throw new Error("the inflated ECharts library did not define window.echarts"); }
    ready();
  }).catch(function (e) {
    console.error("boundlab: cannot load the embedded ECharts library:", e);
    document.querySelectorAll(".boundlab-placeholder").forEach(function (p) { p.textContent = "@NOINFLATE@"; });
  });
})();
</script>
`

// WritePage writes one self-contained HTML page: a header with the title
// and the charts' machine stamps, the ECharts library inlined once, and the
// charts one under another at full width. It loads nothing from the
// network. It fails, writing nothing, when the library is not embedded.
func WritePage(w io.Writer, title string, charts ...*Chart) error {
	return writePage(w, title, "", "", charts)
}

// writePage writes WritePage's page with lead, HTML the caller made safe,
// between the header and the charts, and css added to the page's style.
func writePage(w io.Writer, title, lead, css string, charts []*Chart) error {
	lib, err := LibraryTag()
	if err != nil {
		return fmt.Errorf("write page %q: %w", title, err)
	}
	var b strings.Builder
	t := html.EscapeString(title)
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	b.WriteString("<title>" + t + "</title>\n<style>\n" + pageCSS + css + "</style>\n")
	b.WriteString(lib)
	b.WriteString("</head>\n<body>\n<header>\n<h1>" + t + "</h1>\n")
	var stamps []string
	for _, c := range charts {
		if c == nil {
			return fmt.Errorf("write page %q: nil chart", title)
		}
		if c.stamp != "" && !slices.Contains(stamps, c.stamp) {
			stamps = append(stamps, c.stamp)
		}
	}
	for _, s := range stamps {
		b.WriteString("<p class=\"stamp\">measured on " + html.EscapeString(s) + "</p>\n")
	}
	b.WriteString("</header>\n<main>\n" + lead)
	for _, c := range charts {
		s, err := Snippet(c)
		if err != nil {
			return fmt.Errorf("write page %q: %w", title, err)
		}
		b.WriteString("<section class=\"boundlab-card\">\n" + s + "</section>\n")
	}
	b.WriteString("</main>\n</body>\n</html>\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write page %q: %w", title, err)
	}
	return nil
}

// pageCSS lays the page out: a narrow header, then the charts as cards.
const pageCSS = `body { margin: 0 auto; padding: 20px 24px 40px; max-width: 1280px;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; background: #fafafa; }
header { margin-bottom: 18px; }
h1 { font-size: 1.35rem; margin: 0 0 4px; }
.stamp { margin: 0; color: #666; font-size: 0.85rem; }
.boundlab-card { background: #fff; border: 1px solid #e6e6e6; border-radius: 6px;
  padding: 8px 4px; margin: 0 0 20px; box-sizing: border-box; }
.boundlab-chart { width: 100%; }
`
