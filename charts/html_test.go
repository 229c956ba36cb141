package charts

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/internal/echartsbundle"
)

// scriptBreak finds what would end or confuse a <script> element.
var scriptBreak = regexp.MustCompile(`(?i)<(/script|!--)`)

// httpSrc finds a src attribute loading anything from the network.
var httpSrc = regexp.MustCompile(`(?i)\bsrc\s*=\s*["']?\s*(https?:|//)`)

// allCharts is every chart of the three fixtures.
func allCharts(t *testing.T) []*Chart {
	t.Helper()
	var cs []*Chart
	for _, res := range []experiments.Result{must(semaphoreResult())(t), must(asyncCPUResult())(t), must(scalingResult())(t)} {
		cs = append(cs, must(For(res))(t)...)
	}
	return cs
}

func TestSnippet(t *testing.T) {
	for _, c := range allCharts(t) {
		s := must(Snippet(c))(t)
		for _, want := range []string{
			`<div id="` + c.ID() + `" class="boundlab-chart"`,
			"height:" + strconv.Itoa(c.Height()) + "px",
			`<div class="boundlab-figure">`,
			`class="boundlab-placeholder"`,
			html.EscapeString(c.Title()) + ": " + Placeholder + "</p></div>",
			"document.currentScript",
			`document.getElementById("` + c.ID() + `")`,
			"(window." + waitingQueue + " = window." + waitingQueue + " || []).push(draw)",
			"echarts.init(el",
			`window.addEventListener("resize", function () { chart.resize(); })`,
			"chart.setOption(" + c.Option() + ")",
		} {
			if !strings.Contains(s, want) {
				t.Errorf("%q: snippet lacks %q", c.Title(), want)
			}
		}
		if n := strings.Count(s, "<script"); n != 1 {
			t.Errorf("%q: snippet has %d <script elements, want 1 (no library)", c.Title(), n)
		}
		checkDataSeries(t, c, s)
		if strings.Contains(s, "embedded by boundlab") || httpSrc.MatchString(s) {
			t.Errorf("%q: snippet holds the library or a network src", c.Title())
		}
	}
	if _, err := Snippet(nil); err == nil {
		t.Error("Snippet(nil): no error")
	}
}

// dataSeries finds a chart container's data-series attribute.
var dataSeries = regexp.MustCompile(`<div id="([^"]+)" class="boundlab-chart"[^>]* data-series="([^"]*)"`)

// checkDataSeries checks that the container in snippet s carries c's series
// names and point counts as JSON.
func checkDataSeries(t *testing.T, c *Chart, s string) {
	t.Helper()
	m := dataSeries.FindStringSubmatch(s)
	if m == nil || m[1] != c.ID() {
		t.Errorf("%q: no data-series attribute on the container", c.Title())
		return
	}
	var got []struct {
		Name   string `json:"name"`
		Points int    `json:"points"`
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(m[2])), &got); err != nil {
		t.Errorf("%q: data-series is not JSON: %v", c.Title(), err)
		return
	}
	want := c.Series()
	if len(got) != len(want) || len(want) == 0 {
		t.Errorf("%q: data-series has %d series, the chart %d", c.Title(), len(got), len(want))
		return
	}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].Points != want[i].Points {
			t.Errorf("%q: data-series[%d] = %+v, want %+v", c.Title(), i, got[i], want[i])
		}
	}
}

func TestWritePage(t *testing.T) {
	needLibrary(t)
	cs := allCharts(t)
	var buf bytes.Buffer
	if err := WritePage(&buf, "All <b>three</b>", cs...); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.HasSuffix(page, "</html>\n") {
		t.Error("not a whole HTML page")
	}
	if n := strings.Count(page, must(LibraryTag())(t)); n != 1 {
		t.Errorf("the library is inlined %d times, want once", n)
	}
	if n := strings.Count(page, "<script"); n != 1+len(cs) {
		t.Errorf("%d <script elements, want the library's and one per chart (%d)", n, 1+len(cs))
	}
	if httpSrc.MatchString(page) {
		t.Errorf("page loads from the network: %q", httpSrc.FindString(page))
	}
	if !strings.Contains(page, "<h1>All &lt;b&gt;three&lt;/b&gt;</h1>") {
		t.Error("page title missing or not escaped")
	}
	stamp := must(semaphoreResult())(t).Stamp.String()
	if !strings.Contains(page, `<p class="stamp">measured on `+stamp) {
		t.Error("page header lacks the stamp")
	}
	for _, c := range cs {
		if n := strings.Count(page, `<div id="`+c.ID()+`"`); n != 1 {
			t.Errorf("chart %s appears %d times", c.ID(), n)
		}
	}
}

func TestEscaping(t *testing.T) {
	const evil = `<script>alert("x")</script><img src=x onerror=alert(1)>`
	res := *must(semaphoreResult())(t)
	res.Limits = append([]experiments.SemaphorePoint(nil), res.Limits...)
	for i := range res.Limits {
		res.Limits[i].Model += evil
	}
	res.Stamp.CPU = evil
	cs := must(For(&res))(t)
	cs = append(cs, must(Timeline(handRun(), "timeline "+evil))(t))
	run := handRun()
	run.Model = evil
	cs = append(cs, must(Timeline(run, "model name"))(t))

	var out strings.Builder
	for _, c := range cs {
		out.WriteString(must(Snippet(c))(t))
	}
	if _, err := Library(); err == nil {
		var buf bytes.Buffer
		if err := WritePage(&buf, "page "+evil, cs...); err != nil {
			t.Fatal(err)
		}
		// The library's own code holds markup; look at the rest.
		out.WriteString(strings.Replace(buf.String(), must(LibraryTag())(t), "", 1))
	}
	for _, c := range cs {
		checkDataSeries(t, c, must(Snippet(c))(t))
	}
	html := out.String()
	for _, bad := range []string{"<script>alert", "<img", "</script><"} {
		if i := strings.Index(html, bad); i >= 0 {
			t.Errorf("the output holds %q raw: …%s…", bad, html[max(0, i-120):min(len(html), i+60)])
		}
	}
	if !strings.Contains(html, `\u003cscript\u003ealert`) {
		t.Error("the labels are not in the output, escaped")
	}
	// The evil model name is still the series' name, in the chart.
	if got := cs[0].Series()[1].Name; got != "eventloop"+evil {
		t.Errorf("series name %q", got)
	}
}

func TestJSFunctionsSafe(t *testing.T) {
	for name, code := range jsFuncs {
		if scriptBreak.MatchString(code) {
			t.Errorf("function %s would end its <script>", name)
		}
		if strings.Contains(code, "//") {
			t.Errorf("function %s holds a // comment, which joining its lines would break", name)
		}
		if strings.Contains(code, `"`) {
			t.Errorf("function %s holds a double quote", name)
		}
	}
}

func TestLibrary(t *testing.T) {
	needLibrary(t)
	lib := must(Library())(t)
	if stamp, ok := echartsbundle.ReadStamp([]byte(lib)); !ok || stamp.ECharts != "5.6.0" {
		t.Errorf("the embedded library is not boundlab's build of ECharts 5.6.0: %+v", stamp)
	}
	if !strings.Contains(lib, "globalThis.echarts=") {
		t.Error("the library does not define the global echarts")
	}
	tag := must(LibraryTag())(t)
	if !strings.HasPrefix(tag, "<script>\n/* ECharts 5.6.0 (Apache License 2.0), embedded by boundlab */\n") ||
		!strings.Contains(tag, `new Event("`+ReadyEvent+`")`) || strings.Count(tag, "</script") != 1 || scriptBreak.MatchString(strings.TrimSuffix(tag, "</script>\n")) {
		t.Error("LibraryTag is not one script element with the marker line, dispatching the ready event")
	}
	// The tag carries the library gzip-compressed in base64: inflated, it
	// is the library, byte for byte.
	m := regexp.MustCompile(`var lib = "([A-Za-z0-9+/=]+)";`).FindStringSubmatch(tag)
	if m == nil {
		t.Fatal("LibraryTag holds no base64 library")
	}
	packed, err := base64.StdEncoding.DecodeString(m[1])
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(packed))
	if err != nil {
		t.Fatal(err)
	}
	js, err := io.ReadAll(zr)
	if err != nil || string(js) != lib {
		t.Errorf("the inflated library differs from Library() (%d bytes, %v)", len(js), err)
	}
	if len(tag) > len(lib)/2 {
		t.Errorf("the tag is %d bytes, more than half the library's %d", len(tag), len(lib))
	}
}

// TestLibraryMissing runs whether or not the asset is there: it reads from
// a file system without it, or with another build.
func TestLibraryMissing(t *testing.T) {
	entry := []byte("import * as echarts from 'echarts/core';\n")
	stamp := echartsbundle.Stamp{ECharts: "5.6.0", Esbuild: "0.28.2", Entry: echartsbundle.EntryHash(entry)}
	bundle := func(s echartsbundle.Stamp) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte(s.Banner() + "\n(()=>{})();\n")}
	}
	old, other := stamp, stamp
	old.ECharts, other.Entry = "4.9.0", echartsbundle.EntryHash([]byte("another entry"))
	for name, c := range map[string]struct {
		fsys fstest.MapFS
		says string
	}{
		"absent":        {fstest.MapFS{"assets/README.md": {Data: []byte("readme")}}, "was not embedded"},
		"the whole lib": {fstest.MapFS{"assets/echarts-boundlab.min.js": {Data: []byte(`t.version="5.6.0"`)}, "assets/src/echarts-boundlab.js": {Data: entry}}, "not boundlab's ECharts build"},
		"wrong version": {fstest.MapFS{"assets/echarts-boundlab.min.js": bundle(old), "assets/src/echarts-boundlab.js": {Data: entry}}, "is ECharts 4.9.0, not 5.6.0"},
		"stale entry":   {fstest.MapFS{"assets/echarts-boundlab.min.js": bundle(other), "assets/src/echarts-boundlab.js": {Data: entry}}, "built from another charts/assets/src/echarts-boundlab.js"},
	} {
		_, err := library(c.fsys)
		if !errors.Is(err, ErrNoLibrary) {
			t.Errorf("%s: error %v does not wrap ErrNoLibrary", name, err)
			continue
		}
		for _, want := range []string{c.says, "make setup", "npm ci", "ECharts 5.6.0", "charts/assets"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q does not say %q", name, err, want)
			}
		}
	}
	good := fstest.MapFS{"assets/echarts-boundlab.min.js": bundle(stamp), "assets/src/echarts-boundlab.js": {Data: entry}}
	if js, err := library(good); err != nil || js == "" {
		t.Errorf("library built from the entry beside it: %v", err)
	}

	// WritePage without the library fails and writes nothing.
	saved, savedTag := loadLibrary, loadTag
	defer func() { loadLibrary, loadTag = saved, savedTag }()
	loadLibrary = func() (string, error) { return library(fstest.MapFS{}) }
	loadTag = func() (string, error) { _, err := loadLibrary(); return "", err }
	var buf bytes.Buffer
	c := must(Timeline(handRun(), "no library"))(t)
	if err := WritePage(&buf, "no library", c); !errors.Is(err, ErrNoLibrary) || buf.Len() != 0 {
		t.Errorf("WritePage without the library: error %v, %d bytes written", err, buf.Len())
	}
	if _, err := Snippet(c); err != nil {
		t.Errorf("Snippet needs no library, yet: %v", err)
	}
}

func TestIDs(t *testing.T) {
	a := must(Timeline(handRun(), "same"))(t)
	b := must(Timeline(handRun(), "same"))(t)
	if a.ID() == b.ID() || !strings.HasPrefix(b.ID(), a.ID()+"_") {
		t.Errorf("ids of two identical charts: %s and %s", a.ID(), b.ID())
	}
	if !idPat.MatchString(a.ID()) || !idPat.MatchString(b.ID()) {
		t.Errorf("ids %s, %s", a.ID(), b.ID())
	}
	// Another run gives another id.
	other := handRun()
	other.Spans[0].Segments[0].End += msec
	c := must(Timeline(other, "same"))(t)
	if strings.HasPrefix(c.ID(), a.ID()) {
		t.Errorf("a different chart has id %s, like %s", c.ID(), a.ID())
	}
}

// BenchmarkLibraryTag measures what LibraryTag costs a process the first
// time (kernel.Setup's cell, a chart page): compressing the library.
func BenchmarkLibraryTag(b *testing.B) {
	lib, err := Library()
	if err != nil {
		b.Skip(err)
	}
	for b.Loop() {
		if _, err := gzipBase64(lib); err != nil {
			b.Fatal(err)
		}
	}
}
