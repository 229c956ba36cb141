package handouts

import (
	"bytes"
	"strings"
	"testing"

	"github.com/boundlab/boundlab/charts"
	"github.com/boundlab/boundlab/experiments/model"
)

// A page made of known parts is measured part by part, and every byte is
// counted once.
func TestMeasure(t *testing.T) {
	lib, err := charts.LibraryTag()
	if err != nil {
		t.Skipf("no ECharts library embedded (run make setup): %v", err)
	}
	run := &model.Run{Model: "goroutines", Concurrency: 1, Spans: []model.Span{{Task: 0, Worker: 0, End: 1e6,
		Segments: []model.Segment{{Kind: model.KindWait, End: 1e6}}}}}
	c, err := charts.Timeline(run, "one task")
	if err != nil {
		t.Fatal(err)
	}
	snippet, err := charts.Snippet(c)
	if err != nil {
		t.Fatal(err)
	}
	const (
		style = `<style type="text/css">body { color: red; }</style>`
		other = `<script>console.log("{not an option}");</script>`
		image = `data:image/png;base64,iVBORw0KGgo=`
		head  = "<!DOCTYPE html><html><head>"
	)
	text := "</head><body><p>Some text</p><img src=\"" + image + "\" alt=\"\"></body></html>\n"
	page := head + style + lib + other + snippet + text
	p := Measure([]byte(page))
	if p.Total() != len(page) {
		t.Errorf("parts add up to %d bytes, the page has %d", p.Total(), len(page))
	}
	want := Parts{
		Library: len(strings.TrimSuffix(lib, "\n")),
		Styles:  len(style),
		Data:    len(c.Option()),
		Images:  len(image),
	}
	want.Scripts = len(other) + len(snippet) - len(c.Option()) - (len(snippet) - len(snippet[strings.Index(snippet, "<script>"):strings.LastIndex(snippet, "</script>")+len("</script>")]))
	want.Text = len(page) - want.Library - want.Styles - want.Data - want.Images - want.Scripts
	if p != want {
		t.Errorf("Measure = %+v,\nwant      %+v", p, want)
	}
	var b bytes.Buffer
	if err := PrintParts(&b, []string{"a.html", "big.html"}, []Parts{p, {Text: MaxSize + 1}}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "page") || strings.Contains(lines[1], "over") || !strings.HasSuffix(lines[2], "over 700,000 bytes") {
		t.Errorf("table:\n%s", b.String())
	}
}
