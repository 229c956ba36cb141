package kernel

import (
	"strings"
	"testing"

	"github.com/boundlab/boundlab/experiments"
)

// A table is escaped, figures are aligned right, and the title and note
// frame it.
func TestTableHTML(t *testing.T) {
	h := tableHTML(experiments.Table{
		Title:   "Profile <A>",
		Columns: []string{"function", "flat"},
		Rows:    [][]string{{"model.burn", "480.0 ms"}, {"1 task: 10 rounds of work", "x<script>"}},
		Note:    "50 samples & more",
	})
	for _, want := range []string{
		`>Profile &lt;A&gt;</div>`, `<th style="padding:3px 8px;vertical-align:top;text-align:left">flat</th>`,
		`text-align:right;white-space:nowrap">480.0 ms</td>`, `text-align:left">1 task: 10 rounds of work</td>`,
		`x&lt;script&gt;`, `50 samples &amp; more</div>`,
	} {
		if !strings.Contains(h, want) {
			t.Errorf("table HTML lacks %q:\n%s", want, h)
		}
	}
	if strings.Contains(h, "<script>") {
		t.Error("a cell's text is not escaped")
	}
}
