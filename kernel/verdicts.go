package kernel

import (
	"cmp"
	"fmt"
	"html"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/janpfeifer/gonb/gonbui"

	"github.com/boundlab/boundlab/charts"
	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/experiments/model"
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
	ShowCharts(cs...)
	ShowVerdicts(res)
}

// ShowVerdicts shows a result's verdicts as a table: claim, model, measured,
// expected, holds or not, and where it was measured.
func ShowVerdicts(res experiments.Result) {
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

// ShowFindings shows "what we saw": the verdicts read out as sentences, the
// ones that do not hold first, so the notebook's conclusion comes from this
// run's measurements rather than from text written in advance.
func ShowFindings(res experiments.Result) {
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

// sourcesTally says how the lecture's claims came out apart from the
// project's checks, e.g. "the lecture's claims: 3 of 5 verdicts hold; the
// project's checks: 1 of 1 verdicts hold", so the two are not read as one
// score.
func sourcesTally(r *experiments.Report) string {
	var parts []string
	for _, g := range groups(r) {
		name := "the lecture's claims"
		if g.claims[0].vs[0].Source == experiments.Check {
			name = "the project's checks"
		}
		parts = append(parts, name+": "+g.tally())
	}
	if len(parts) == 0 {
		return tally(r)
	}
	return strings.Join(parts, "; ")
}

func summaryText(res experiments.Result) string {
	r := res.Base()
	s := fmt.Sprintf("%s: ran in %s; %s; measured on %s",
		r.Title, r.Elapsed.Round(10*time.Millisecond), sourcesTally(r), r.Stamp)
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
		html.EscapeString(r.Title), r.Elapsed.Round(10*time.Millisecond), html.EscapeString(sourcesTally(r)), html.EscapeString(r.Stamp.String()), notesHTML(r))
}

// outcomeColor is how an outcome is marked in a table.
var outcomeColor = map[experiments.Outcome]string{
	experiments.Holds: "#1a7f37", experiments.DoesNotHold: "#b35900", experiments.Inconclusive: "#6e6e6e",
	experiments.Observed: "#1f5fa8",
}

// outcomeRank orders outcomes for reading: failures first, then the
// inconclusive ones, then those that hold, then observations.
var outcomeRank = map[experiments.Outcome]int{
	experiments.DoesNotHold: 0, experiments.Inconclusive: 1, experiments.Holds: 2, experiments.Observed: 3,
}

// where is a verdict's detail, with why it is inconclusive first.
func where(v experiments.Verdict) string {
	if v.Reason == "" {
		return v.Detail
	}
	return "inconclusive: " + v.Reason + "; " + v.Detail
}

// claimVerdicts is one claim's verdicts, one a model.
type claimVerdicts struct {
	vs    []experiments.Verdict
	worst int // the lowest outcomeRank among vs
}

// group is the claims of one source, under a heading.
type group struct {
	heading string
	claims  []claimVerdicts
}

// tally says how a group's verdicts came out, e.g. "3 of 5 verdicts
// hold, 1 inconclusive".
func (g group) tally() string {
	r := &experiments.Report{}
	for _, c := range g.claims {
		r.Verdicts = append(r.Verdicts, c.vs...)
	}
	return tally(r)
}

// groups sorts r's verdicts for reading: the lecture's claims, then the
// project's own checks; in each, the claims with a failing verdict first,
// then those with an inconclusive one, each in the question's order; in a
// claim, the verdicts on CPython first. A verdict saved without a source
// counts as the lecture's.
func groups(r *experiments.Report) []group {
	gs := []group{{heading: "The lecture's claims"}, {heading: "The project's own checks, not the lecture's"}}
	idx := map[string]int{}
	var all []claimVerdicts
	var src []int
	for _, v := range r.Verdicts {
		i, ok := idx[v.ClaimID]
		if !ok {
			i = len(all)
			idx[v.ClaimID] = i
			all = append(all, claimVerdicts{worst: outcomeRank[v.Outcome]})
			g := 0
			if v.Source == experiments.Check {
				g = 1
			}
			src = append(src, g)
		}
		all[i].vs = append(all[i].vs, v)
		all[i].worst = min(all[i].worst, outcomeRank[v.Outcome])
	}
	for i, c := range all {
		slices.SortStableFunc(c.vs, func(a, b experiments.Verdict) int {
			return cmp.Compare(cpythonLast(a.Model), cpythonLast(b.Model))
		})
		gs[src[i]].claims = append(gs[src[i]].claims, c)
	}
	for i := range gs {
		slices.SortStableFunc(gs[i].claims, func(a, b claimVerdicts) int { return cmp.Compare(a.worst, b.worst) })
	}
	return slices.DeleteFunc(gs, func(g group) bool { return len(g.claims) == 0 })
}

// cpythonLast is 0 for a model that is CPython, 1 for another: a claim
// about Python is read on CPython first.
func cpythonLast(name string) int {
	if model.ParseSeries(name).Model == model.CPython {
		return 0
	}
	return 1
}

// withUnit writes a figure or a rule with its unit.
func withUnit(s, unit string) string {
	if unit == "" {
		return s
	}
	return s + " " + unit
}

// expected is what a verdict's claim expects, with its unit.
func expected(v experiments.Verdict) string {
	if v.Kind == experiments.Observation {
		return v.Rule()
	}
	return withUnit(v.Rule(), v.Unit)
}

// said is where a claim comes from: the lecture's words and where it says
// them, or that it is the project's own check.
func said(v experiments.Verdict) string {
	if v.Source == experiments.Check {
		return "The project's own check, not the lecture's."
	}
	if v.Quote == "" {
		return ""
	}
	return "The lecture: “" + v.Quote + "” (" + v.Cite + ")."
}

func verdictsHTML(r *experiments.Report) string {
	const td = `<td style="padding:3px 8px;vertical-align:top`
	var b strings.Builder
	b.WriteString(`<table class="boundlab-verdicts" style="border-collapse:collapse;font-family:sans-serif;font-size:13px">`)
	b.WriteString(`<caption style="text-align:left;font-weight:bold;padding:4px 0">Verdicts: the lecture's claims apart from the project's own checks, failures first</caption>`)
	b.WriteString(`<tr style="background:#f0f0f0"><th style="text-align:left;padding:3px 8px"></th><th style="text-align:left;padding:3px 8px">claim</th><th style="text-align:left;padding:3px 8px">model</th><th style="text-align:right;padding:3px 8px">measured [95% interval]</th><th style="text-align:left;padding:3px 8px">expected</th><th style="text-align:left;padding:3px 8px">where and why</th></tr>`)
	for _, g := range groups(r) {
		b.WriteString(`<tr class="boundlab-group"><th colspan="6" style="text-align:left;padding:8px 8px 3px;border-bottom:2px solid #999">` + html.EscapeString(g.heading) + ` <span style="font-weight:normal;color:#555">(` + html.EscapeString(g.tally()) + `)</span></th></tr>`)
		for _, c := range g.claims {
			for i, v := range c.vs {
				claim := ""
				if i == 0 {
					claim = html.EscapeString(v.Brief)
					if claim == "" {
						claim = html.EscapeString(v.ClaimID)
					}
				}
				fmt.Fprintf(&b, `<tr style="border-top:1px solid #ddd">%s;color:%s;font-weight:bold;white-space:nowrap">%s</td>%s" title="%s">%s</td>%s">%s</td>%s;text-align:right;white-space:nowrap">%s</td>%s;white-space:nowrap">%s</td>%s;color:#555"><details><summary>where</summary>%s</details></td></tr>`,
					td, outcomeColor[v.Outcome], html.EscapeString(string(v.Outcome)),
					td, html.EscapeString(v.Claim), claim,
					td, html.EscapeString(v.Model),
					td, html.EscapeString(withUnit(v.Estimate(), v.Unit)),
					td, html.EscapeString(expected(v)),
					td, html.EscapeString(strings.TrimSpace(said(v)+" Tested as: "+v.Claim+". Measured: "+where(v))))
			}
		}
	}
	b.WriteString(`</table>`)
	return b.String()
}

func verdictsText(r *experiments.Report) string {
	var b strings.Builder
	b.WriteString("Verdicts: the lecture's claims apart from the project's own checks, failures first\n")
	for _, g := range groups(r) {
		fmt.Fprintf(&b, "%s (%s):\n", g.heading, g.tally())
		for _, c := range g.claims {
			fmt.Fprintf(&b, "  %s [%s]\n", c.vs[0].Brief, c.vs[0].ClaimID)
			for _, v := range c.vs {
				fmt.Fprintf(&b, "    %s  %s  measured %s, expected %s  (%s)\n", strings.ToUpper(string(v.Outcome)), v.Model, withUnit(v.Estimate(), v.Unit), expected(v), where(v))
			}
		}
	}
	return b.String()
}

// mdEscape keeps Markdown from reading a measured text as markup.
var mdEscape = strings.NewReplacer(`\`, `\\`, `*`, `\*`, `_`, `\_`, "`", "\\`", `[`, `\[`, `]`, `\]`, `<`, `&lt;`, `>`, `&gt;`, `|`, `\|`)

// maxSentences is about the most sentences "what we saw" reads out: past
// it, the claims that held on every model share one sentence.
const maxSentences = 10

// findingsMarkdown reads the verdicts out, one sentence a claim across its
// models, the lecture's claims apart from the project's checks, in each
// the claims that do not hold first, then the inconclusive ones with why.
func findingsMarkdown(r *experiments.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**What we saw** on %s.\n\n", mdEscape.Replace(r.Stamp.String()))
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "*Note:* %s\n\n", mdEscape.Replace(n))
	}
	gs := groups(r)
	claims := 0
	for _, g := range gs {
		claims += len(g.claims)
	}
	for _, g := range gs {
		fmt.Fprintf(&b, "*%s* (%s)\n\n", g.heading, g.tally())
		var allHeld []string
		for _, c := range g.claims {
			if claims > maxSentences && c.worst == outcomeRank[experiments.Holds] && allHold(c.vs) {
				allHeld = append(allHeld, "**"+mdEscape.Replace(c.vs[0].Brief)+"** ("+figures(c.vs)+")")
				continue
			}
			b.WriteString("- " + sentence(c.vs) + "\n")
		}
		if len(allHeld) > 0 {
			b.WriteString("- Held on every model: " + strings.Join(allHeld, "; ") + ".\n")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func allHold(vs []experiments.Verdict) bool {
	for _, v := range vs {
		if v.Outcome != experiments.Holds {
			return false
		}
	}
	return true
}

// figures writes each verdict's model and figure, e.g. "`gil` 1.0 ×,
// `goroutines` 1.9 ×".
func figures(vs []experiments.Verdict) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = "`" + mdEscape.Replace(v.Model) + "` " + mdEscape.Replace(withUnit(v.Estimate(), v.Unit))
	}
	return strings.Join(parts, ", ")
}

// sentence reads one claim's verdicts out: on which models it did not
// hold, was inconclusive (and why) and held, each with its figure, and
// what the claim expects; an observation says what happened.
func sentence(vs []experiments.Verdict) string {
	brief := "**" + mdEscape.Replace(vs[0].Brief) + "**"
	if vs[0].Kind == experiments.Observation {
		var details, parts []string
		for _, v := range vs {
			if !slices.Contains(details, v.Detail) {
				details = append(details, v.Detail)
			}
			parts = append(parts, "on `"+mdEscape.Replace(v.Model)+"`, "+mdEscape.Replace(v.Detail))
		}
		if len(details) == 1 && len(vs) > 1 {
			parts = []string{"on every model, " + mdEscape.Replace(details[0])}
		}
		return brief + " (an observation, not a test): " + strings.Join(parts, "; ") + "."
	}
	var parts []string
	for _, o := range []experiments.Outcome{experiments.DoesNotHold, experiments.Inconclusive, experiments.Holds} {
		var these []experiments.Verdict
		for _, v := range vs {
			if v.Outcome == o {
				these = append(these, v)
			}
		}
		if len(these) == 0 {
			continue
		}
		word := map[experiments.Outcome]string{experiments.Holds: "held", experiments.DoesNotHold: "did **not** hold", experiments.Inconclusive: "was **inconclusive**"}[o]
		p := word + " on " + figures(these)
		if o == experiments.Inconclusive && these[0].Reason != "" {
			p += " (" + mdEscape.Replace(these[0].Reason) + ")"
		}
		parts = append(parts, p)
	}
	return brief + " " + strings.Join(parts, "; ") + "; the claim expects " + expects(vs) + "."
}

// expects is what a claim expects of its verdicts' models: one rule, or
// each model's where their tolerances differ.
func expects(vs []experiments.Verdict) string {
	var rules []string
	for _, v := range vs {
		if e := mdEscape.Replace(expected(v)); !slices.Contains(rules, e) {
			rules = append(rules, e)
		}
	}
	if len(rules) == 1 {
		return rules[0]
	}
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = mdEscape.Replace(expected(v)) + " on `" + mdEscape.Replace(v.Model) + "`"
	}
	return strings.Join(parts, ", ")
}
