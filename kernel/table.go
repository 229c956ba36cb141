package kernel

import (
	"fmt"
	"html"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"

	"github.com/boundlab/boundlab/experiments"
)

// ShowTables shows a result's tables of figures (its Tables:
// the diagnosis result's utilisation, recommendations and CPU profiles,
// say), each as an HTML table; outside a notebook, as aligned text. It does
// nothing for a nil result (Run or Last already said why).
func ShowTables(res experiments.Result) {
	if isNil(res) {
		return
	}
	ts := res.Tables()
	if len(ts) == 0 {
		ShowError(fmt.Errorf("%s: the result has no tables", res.Base().Question))
		return
	}
	showTables(ts...)
}

// showTables shows tables, each as its own output.
func showTables(ts ...experiments.Table) {
	for _, t := range ts {
		if !gonbui.IsNotebook {
			fmt.Println(t.Text())
			continue
		}
		gonbui.DisplayHTML(tableHTML(t))
		gonbui.Sync()
	}
}

// tableHTML writes t as an HTML table in the style of the verdicts table.
func tableHTML(t experiments.Table) string {
	const cell = `padding:3px 8px;vertical-align:top`
	var b strings.Builder
	if t.Title != "" {
		fmt.Fprintf(&b, `<div class="boundlab-table-title" style="font-family:sans-serif;font-size:13px;font-weight:bold;margin:10px 0 4px">%s</div>`, html.EscapeString(t.Title))
	}
	b.WriteString(`<table class="boundlab-table" style="border-collapse:collapse;font-family:sans-serif;font-size:13px;margin:0 0 4px">`)
	if len(t.Columns) > 0 {
		b.WriteString(`<tr style="background:#f0f0f0">`)
		for _, c := range t.Columns {
			fmt.Fprintf(&b, `<th style="%s;text-align:left">%s</th>`, cell, html.EscapeString(c))
		}
		b.WriteString(`</tr>`)
	}
	for _, r := range t.Rows {
		b.WriteString(`<tr style="border-top:1px solid #ddd">`)
		for i, v := range r {
			align := "left"
			if i > 0 && numeric(v) {
				align = "right;white-space:nowrap"
			}
			fmt.Fprintf(&b, `<td style="%s;text-align:%s">%s</td>`, cell, align, html.EscapeString(v))
		}
		b.WriteString(`</tr>`)
	}
	b.WriteString(`</table>`)
	if t.Note != "" {
		fmt.Fprintf(&b, `<div class="boundlab-table-note" style="font-family:sans-serif;font-size:12px;color:#555;margin:0 0 10px">%s</div>`, html.EscapeString(t.Note))
	}
	return b.String()
}

// numeric reports whether a cell holds a figure, to be aligned right: a
// short text starting with a digit or a sign, like "1.018 s" or "50%".
func numeric(v string) bool {
	if len(v) > 12 {
		return false
	}
	v = strings.TrimLeft(v, "+-")
	return v != "" && v[0] >= '0' && v[0] <= '9'
}
