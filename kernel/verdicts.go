package kernel

import (
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/janpfeifer/gonb/gonbui"

	"github.com/boundlab/boundlab/charts"
	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/measure"
)

// ShowResult shows every chart of a result, then its verdicts. It does
// nothing for a nil result (Run already said why).
func ShowResult(res experiments.Result) {
	if res == nil {
		return
	}
	defer measure.Phase("display")()
	cs, err := charts.For(res)
	if err != nil {
		ShowError(err)
	}
	Show(cs...)
	Verdicts(res)
}

// Verdicts shows a result's verdicts as a table: claim, model, measured,
// expected, holds or not, and where it was measured.
func Verdicts(res experiments.Result) {
	if res == nil {
		return
	}
	if !gonbui.IsNotebook {
		fmt.Print(verdictsText(res.Base()))
		return
	}
	gonbui.DisplayHTML(verdictsHTML(res.Base()))
	gonbui.Sync()
}

// Findings shows "what we saw": the verdicts read out as sentences, the
// ones that do not hold first, so the notebook's conclusion comes from this
// run's measurements rather than from text written in advance.
func Findings(res experiments.Result) {
	if res == nil {
		return
	}
	if !gonbui.IsNotebook {
		fmt.Print(findingsMarkdown(res.Base()))
		return
	}
	gonbui.DisplayMarkdown(findingsMarkdown(res.Base()))
	gonbui.Sync()
}

func held(r *experiments.Report) int {
	n := 0
	for _, v := range r.Verdicts {
		if v.Holds {
			n++
		}
	}
	return n
}

func summaryText(res experiments.Result) string {
	r := res.Base()
	s := fmt.Sprintf("%s: ran in %s; %d of %d verdicts hold; measured on %s",
		r.Title, r.Elapsed.Round(10*time.Millisecond), held(r), len(r.Verdicts), r.Stamp)
	for _, n := range r.Notes {
		s += "\nnote: " + n
	}
	return s
}

// notesHTML lists a result's notes (a model left out, an interpreter's
// nature), one line each.
func notesHTML(r *experiments.Report) string {
	if len(r.Notes) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(`<ul class="boundlab-notes" style="margin:2px 0 4px;color:#7a4d00">`)
	for _, n := range r.Notes {
		b.WriteString("<li>Note: " + html.EscapeString(n) + "</li>")
	}
	b.WriteString("</ul>")
	return b.String()
}

func summaryHTML(res experiments.Result) string {
	r := res.Base()
	return fmt.Sprintf(`<div class="boundlab-summary" style="font-family:sans-serif;padding:4px 0"><b>%s</b> ran in %s: <b>%d of %d</b> verdicts hold. <span style="color:#666">%s</span>%s</div>`,
		html.EscapeString(r.Title), r.Elapsed.Round(10*time.Millisecond), held(r), len(r.Verdicts), html.EscapeString(r.Stamp.String()), notesHTML(r))
}

func num(x float64) string { return fmt.Sprintf("%.4g", x) }

func verdictsHTML(r *experiments.Report) string {
	var b strings.Builder
	b.WriteString(`<table class="boundlab-verdicts" style="border-collapse:collapse;font-family:sans-serif;font-size:13px">`)
	b.WriteString(`<caption style="text-align:left;font-weight:bold;padding:4px 0">Verdicts: ` +
		fmt.Sprintf("%d of %d hold", held(r), len(r.Verdicts)) + `</caption>`)
	b.WriteString(`<tr style="background:#f0f0f0"><th style="text-align:left;padding:3px 8px"></th><th style="text-align:left;padding:3px 8px">claim</th><th style="text-align:left;padding:3px 8px">model</th><th style="text-align:right;padding:3px 8px">measured</th><th style="text-align:left;padding:3px 8px">expected</th><th style="text-align:left;padding:3px 8px">where</th></tr>`)
	for _, v := range r.Verdicts {
		mark, color := "holds", "#1a7f37"
		if !v.Holds {
			mark, color = "does not hold", "#b35900"
		}
		fmt.Fprintf(&b, `<tr style="border-top:1px solid #ddd"><td style="padding:3px 8px;color:%s;font-weight:bold;white-space:nowrap">%s</td><td style="padding:3px 8px" title="%s">%s</td><td style="padding:3px 8px">%s</td><td style="padding:3px 8px;text-align:right;white-space:nowrap">%s %s</td><td style="padding:3px 8px;white-space:nowrap">%s</td><td style="padding:3px 8px;color:#555">%s</td></tr>`,
			color, mark, html.EscapeString(v.Claim), html.EscapeString(v.ClaimID), html.EscapeString(v.Model),
			num(v.Measured), html.EscapeString(v.Unit), html.EscapeString(v.Rule()), html.EscapeString(v.Detail))
	}
	b.WriteString(`</table>`)
	return b.String()
}

func verdictsText(r *experiments.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Verdicts: %d of %d hold\n", held(r), len(r.Verdicts))
	for _, v := range r.Verdicts {
		mark := "holds"
		if !v.Holds {
			mark = "DOES NOT HOLD"
		}
		fmt.Fprintf(&b, "  %s  %s  %s  measured %s %s, expected %s  (%s)\n", mark, v.ClaimID, v.Model, num(v.Measured), v.Unit, v.Rule(), v.Detail)
	}
	return b.String()
}

// mdEscape keeps Markdown from reading a measured text as markup.
var mdEscape = strings.NewReplacer(`\`, `\\`, `*`, `\*`, `_`, `\_`, "`", "\\`", `[`, `\[`, `]`, `\]`, `<`, `&lt;`, `>`, `&gt;`, `|`, `\|`)

func findingsMarkdown(r *experiments.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**What we saw** on %s: %d of %d verdicts hold.\n\n", mdEscape.Replace(r.Stamp.String()), held(r), len(r.Verdicts))
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "*Note:* %s\n\n", mdEscape.Replace(n))
	}
	for _, pass := range []bool{false, true} {
		for _, v := range r.Verdicts {
			if v.Holds != pass {
				continue
			}
			word := "held"
			if !v.Holds {
				word = "did **not** hold"
			}
			fmt.Fprintf(&b, "- On `%s`, *%s* %s: measured %s %s where the claim expects %s (%s).\n",
				mdEscape.Replace(v.Model), mdEscape.Replace(v.Claim), word, num(v.Measured), mdEscape.Replace(v.Unit),
				mdEscape.Replace(v.Rule()), mdEscape.Replace(v.Detail))
		}
	}
	return b.String()
}
