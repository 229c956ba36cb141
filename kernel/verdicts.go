package kernel

import (
	"fmt"
	"html"
	"reflect"
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
	if isNil(res) {
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
	if isNil(res) {
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
	if isNil(res) {
		return
	}
	if !gonbui.IsNotebook {
		fmt.Print(findingsMarkdown(res.Base()))
		return
	}
	gonbui.DisplayMarkdown(findingsMarkdown(res.Base()))
	gonbui.Sync()
}

// isNil reports whether res is no result: nil, or a typed result pointer
// that is nil (what Run and Last return after showing why).
func isNil(res experiments.Result) bool {
	if res == nil {
		return true
	}
	v := reflect.ValueOf(res)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

func held(r *experiments.Report) int { return count(r, experiments.Holds) }

// count is how many of r's verdicts have outcome o.
func count(r *experiments.Report, o experiments.Outcome) int {
	n := 0
	for _, v := range r.Verdicts {
		if v.Outcome == o {
			n++
		}
	}
	return n
}

// tally says how the verdicts came out, e.g. "3 of 5 verdicts hold, 1
// inconclusive".
func tally(r *experiments.Report) string {
	obs := count(r, experiments.Observed)
	s := fmt.Sprintf("%d of %d verdicts hold", held(r), len(r.Verdicts)-obs)
	if n := count(r, experiments.Inconclusive); n > 0 {
		s += fmt.Sprintf(", %d inconclusive", n)
	}
	if obs > 0 {
		s += fmt.Sprintf("; %d observations", obs)
	}
	return s
}

func summaryText(res experiments.Result) string {
	r := res.Base()
	s := fmt.Sprintf("%s: ran in %s; %s; measured on %s",
		r.Title, r.Elapsed.Round(10*time.Millisecond), tally(r), r.Stamp)
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
	return fmt.Sprintf(`<div class="boundlab-summary" style="font-family:sans-serif;padding:4px 0"><b>%s</b> ran in %s: <b>%s</b>. <span style="color:#666">%s</span>%s</div>`,
		html.EscapeString(r.Title), r.Elapsed.Round(10*time.Millisecond), html.EscapeString(tally(r)), html.EscapeString(r.Stamp.String()), notesHTML(r))
}

// outcomeColor is how an outcome is marked in a table.
var outcomeColor = map[experiments.Outcome]string{
	experiments.Holds: "#1a7f37", experiments.DoesNotHold: "#b35900", experiments.Inconclusive: "#6e6e6e",
	experiments.Observed: "#1f5fa8",
}

// where is a verdict's detail, with why it is inconclusive first.
func where(v experiments.Verdict) string {
	if v.Reason == "" {
		return v.Detail
	}
	return "inconclusive: " + v.Reason + "; " + v.Detail
}

func verdictsHTML(r *experiments.Report) string {
	var b strings.Builder
	b.WriteString(`<table class="boundlab-verdicts" style="border-collapse:collapse;font-family:sans-serif;font-size:13px">`)
	b.WriteString(`<caption style="text-align:left;font-weight:bold;padding:4px 0">Verdicts: ` + html.EscapeString(tally(r)) + `</caption>`)
	b.WriteString(`<tr style="background:#f0f0f0"><th style="text-align:left;padding:3px 8px"></th><th style="text-align:left;padding:3px 8px">claim</th><th style="text-align:left;padding:3px 8px">model</th><th style="text-align:right;padding:3px 8px">measured [95% interval]</th><th style="text-align:left;padding:3px 8px">expected</th><th style="text-align:left;padding:3px 8px">where</th></tr>`)
	for _, v := range r.Verdicts {
		fmt.Fprintf(&b, `<tr style="border-top:1px solid #ddd"><td style="padding:3px 8px;color:%s;font-weight:bold;white-space:nowrap">%s</td><td style="padding:3px 8px" title="%s">%s</td><td style="padding:3px 8px">%s</td><td style="padding:3px 8px;text-align:right;white-space:nowrap">%s %s</td><td style="padding:3px 8px;white-space:nowrap">%s</td><td style="padding:3px 8px;color:#555">%s</td></tr>`,
			outcomeColor[v.Outcome], html.EscapeString(string(v.Outcome)), html.EscapeString(v.Claim), html.EscapeString(v.ClaimID), html.EscapeString(v.Model),
			html.EscapeString(v.Estimate()), html.EscapeString(v.Unit), html.EscapeString(v.Rule()), html.EscapeString(where(v)))
	}
	b.WriteString(`</table>`)
	return b.String()
}

func verdictsText(r *experiments.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Verdicts: %s\n", tally(r))
	for _, v := range r.Verdicts {
		fmt.Fprintf(&b, "  %s  %s  %s  measured %s %s, expected %s  (%s)\n", strings.ToUpper(string(v.Outcome)), v.ClaimID, v.Model, v.Estimate(), v.Unit, v.Rule(), where(v))
	}
	return b.String()
}

// mdEscape keeps Markdown from reading a measured text as markup.
var mdEscape = strings.NewReplacer(`\`, `\\`, `*`, `\*`, `_`, `\_`, "`", "\\`", `[`, `\[`, `]`, `\]`, `<`, `&lt;`, `>`, `&gt;`, `|`, `\|`)

// findingsMarkdown reads the verdicts out: those that do not hold first,
// then the inconclusive ones with why, then those that hold.
func findingsMarkdown(r *experiments.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**What we saw** on %s: %s.\n\n", mdEscape.Replace(r.Stamp.String()), tally(r))
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "*Note:* %s\n\n", mdEscape.Replace(n))
	}
	for _, o := range []experiments.Outcome{experiments.DoesNotHold, experiments.Inconclusive, experiments.Holds, experiments.Observed} {
		for _, v := range r.Verdicts {
			if v.Outcome != o {
				continue
			}
			word := map[experiments.Outcome]string{experiments.Holds: "held", experiments.DoesNotHold: "did **not** hold", experiments.Inconclusive: "was **inconclusive**",
				experiments.Observed: "is an observation, not a test"}[o]
			why := ""
			if v.Reason != "" {
				why = ": " + mdEscape.Replace(v.Reason)
			}
			fmt.Fprintf(&b, "- On `%s`, *%s* %s%s. Measured %s %s where the claim expects %s (%s).\n",
				mdEscape.Replace(v.Model), mdEscape.Replace(v.Claim), word, why, mdEscape.Replace(v.Estimate()), mdEscape.Replace(v.Unit),
				mdEscape.Replace(v.Rule()), mdEscape.Replace(v.Detail))
		}
	}
	return b.String()
}
