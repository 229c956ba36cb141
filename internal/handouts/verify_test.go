package handouts

import (
	"strings"
	"testing"

	"github.com/boundlab/boundlab/charts"
)

func TestVerifyHTML(t *testing.T) {
	lib, err := charts.LibraryTag()
	if err != nil {
		t.Skipf("no ECharts library embedded (run make setup): %v", err)
	}
	chart := `<div id="c1" class="boundlab-chart" role="img" data-series="[]"></div><script>draw()</script>`
	page := func(parts ...string) []byte {
		return []byte("<!DOCTYPE html><html><head><style>body{}</style></head><body>" + strings.Join(parts, "\n") + "</body></html>")
	}
	n, err := verifyHTML(page(lib, chart, chart))
	if err != nil || n != 2 {
		t.Errorf("a good page: %d charts, %v", n, err)
	}
	for name, c := range map[string]struct {
		page []byte
		want string
	}{
		"script src":      {page(lib, `<script src="require.min.js"></script>`, chart), "it loads a script"},
		"remote script":   {page(lib, `<SCRIPT type="text/javascript" src='https://cdn.example/x.js'></SCRIPT>`), "https://cdn.example/x.js"},
		"network link":    {page(lib, `<link rel="stylesheet" href="https://fonts.example/a.css">`), "links to the network"},
		"protocol-less":   {page(lib, `<link href=//fonts.example/a.css rel=stylesheet>`), "links to the network"},
		"css import":      {page(lib, `<style>@import url("https://fonts.example/a.css");</style>`), "style loads from the network"},
		"no library":      {page(chart), "not the ECharts library"},
		"library twice":   {page(lib, chart, lib), "library 2 times"},
		"several at once": {page(`<script src="a.js"></script>`, lib, lib), "; it holds the ECharts library 2 times"},
	} {
		_, err := verifyHTML(c.page)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", name, err, c.want)
		}
	}
	// A local link (a data: URL, say) is fine.
	if _, err := verifyHTML(page(lib, `<link rel="icon" href="data:image/png;base64,AAAA">`, `<style>.a{background:url(data:image/svg+xml;base64,PHN2Zz4=)}</style>`)); err != nil {
		t.Errorf("local resources: %v", err)
	}
}
