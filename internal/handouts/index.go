package handouts

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/model"
	"github.com/boundlab/boundlab/internal/proc"
)

// IndexName is the overview page's file name in the output directory.
const IndexName = "index.html"

// Entry is one handout on the overview page.
type Entry struct {
	// Notebook is the notebook's name; Page the handout's file name.
	Notebook, Page string
	// Result is the result its run saved; nil for a notebook without a
	// question.
	Result experiments.Result
}

// ReadIndex lists the handouts in dir (every NAME.html but the overview),
// in name order, each with the result saved beside it (NAME.json, as Build
// writes it), if any.
func ReadIndex(dir string) ([]Entry, error) {
	pages, err := filepath.Glob(filepath.Join(dir, "*.html"))
	if err != nil {
		return nil, err
	}
	slices.Sort(pages)
	var out []Entry
	for _, p := range pages {
		page := filepath.Base(p)
		if page == IndexName {
			continue
		}
		e := Entry{Notebook: strings.TrimSuffix(page, ".html"), Page: page}
		data, err := os.ReadFile(filepath.Join(dir, e.Notebook+".json"))
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("overview: %w", err)
		default:
			if e.Result, err = decodeResult(data); err != nil {
				return nil, fmt.Errorf("overview: %s.json: %w", e.Notebook, err)
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// decodeResult reads a saved result of any question.
func decodeResult(data []byte) (experiments.Result, error) {
	var head struct {
		Question string `json:"question"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, err
	}
	q, err := experiments.Lookup(head.Question)
	if err != nil {
		return nil, err
	}
	return q.DecodeResult(data)
}

// WriteIndex writes dir/index.html, the overview of the handouts in dir
// (ReadIndex, Index).
func WriteIndex(dir string) error {
	es, err := ReadIndex(dir)
	if err != nil {
		return err
	}
	page := Index(es)
	if err := verifyIndex(page); err != nil {
		return err
	}
	if err := proc.WriteFile(filepath.Join(dir, IndexName), page, 0o644); err != nil {
		return fmt.Errorf("overview: %w", err)
	}
	return nil
}

// Index is the overview page of the handouts es: every lecture claim each
// handout's question judged (the lecture's words, quoted, and where it says
// them), then apart and labelled the project's own checks, with the
// notebook that tests it (a link to its handout), and, for every model its
// run judged (CPython first), the outcome and the key figure: the median of
// the runs with its 95% interval, from the result the notebook's run saved. A page of its own,
// with its style inline and no script.
func Index(hs []Entry) []byte {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>boundlab: the lecture's claims, measured</title>
<style>` + indexCSS + `</style></head>
<body><main>
<h1>The lecture's claims, measured</h1>
`)
	fmt.Fprintf(&b, `<p>Each row is one of the lecture's claims, the notebook that tests it, and what that notebook's run in this build measured on each model it ran: CPython first (a claim about Python is judged on CPython), then Go's models beside it as contrast. The figure is the median of the runs with its 95%% interval in brackets. A claim <b>holds</b> when the whole interval lies in the range the claim allows, <b>does not hold</b> when the whole interval lies outside it, and is <b>inconclusive</b> when the noise is larger than the margin. Open a notebook's handout for the charts, the rule each figure was held to and where it was measured. %d handouts.</p>
`, len(hs))
	b.WriteString(`<table class="boundlab-index">
<thead><tr><th>the lecture's claim</th><th>handout</th><th>outcome per model: median [95% interval]</th></tr></thead>
<tbody>
`)
	for _, h := range hs {
		page := h.Page
		link := fmt.Sprintf(`<a class="handout" href="%s">%s</a>`, html.EscapeString(page), html.EscapeString(h.Notebook))
		if h.Result == nil {
			fmt.Fprintf(&b, `<tr class="notebook no-claims" data-notebook="%s"><th colspan="3">%s <span class="small">no claims measured</span></th></tr>
`, html.EscapeString(h.Notebook), link)
			continue
		}
		r := h.Result.Base()
		models := indexModels(r.Verdicts)
		about := "models run: " + strings.Join(models, ", ") + "; measured on " + r.Stamp.String()
		if changed := changedParams(r); len(changed) > 0 {
			about = "run with " + strings.Join(changed, " ") + " (the lecture's setting otherwise); " + about
		}
		fmt.Fprintf(&b, `<tr class="notebook" data-notebook="%s" data-models="%s"><th colspan="3">%s · %s<br><span class="small">%s</span></th></tr>
`, html.EscapeString(h.Notebook), html.EscapeString(strings.Join(models, ",")), link, html.EscapeString(r.Title), html.EscapeString(about))
		// The lecture's claims first, then the project's own checks,
		// labelled apart: a check is not a claim of the lecture's.
		for _, src := range []experiments.Source{experiments.Lecture, experiments.Check} {
			ids := claimIDsFrom(r.Verdicts, src)
			if len(ids) == 0 {
				continue
			}
			if src == experiments.Check {
				fmt.Fprintf(&b, `<tr class="group" data-notebook="%s"><td colspan="3" class="small"><i>The project's own checks, not the lecture's</i> (a model's fidelity to CPython, a property of the set-up)</td></tr>
`, html.EscapeString(h.Notebook))
			}
			for _, id := range ids {
				indexRow(&b, h.Notebook, link, id, src, r.Verdicts, models)
			}
		}
	}
	b.WriteString("</tbody></table>\n</main></body></html>\n")
	return []byte(b.String())
}

// indexRow writes the row of claim id in a notebook's section: the
// claim (for a lecture claim its own words, quoted, and where it says
// them; for a check the check as tested), the handout, and each model's
// outcome and figure, or the models it was not judged on.
func indexRow(b *strings.Builder, notebook, link, id string, src experiments.Source, verdicts []experiments.Verdict, models []string) {
	var text, cite string
	var cells strings.Builder
	var unjudged []string
	for _, m := range models {
		vs := verdictsOn(verdicts, id, m)
		if len(vs) == 0 {
			unjudged = append(unjudged, m)
			continue
		}
		for _, v := range vs {
			text, cite = v.Claim, ""
			if src == experiments.Lecture && v.Quote != "" {
				text, cite = v.Quote, v.Cite
			}
			figure := v.Estimate()
			if v.Unit != "" {
				figure += " " + v.Unit
			}
			if len(vs) > 1 {
				figure += ` <span class="small">` + html.EscapeString(setting(v.Detail)) + `</span>`
			}
			why := "expected " + v.Rule()
			if v.Reason != "" {
				why = v.Reason + "; " + why
			}
			if v.Detail != "" {
				why += "; " + v.Detail
			}
			fmt.Fprintf(&cells, `<li class="outcome" data-model="%s" data-outcome="%s" title="%s"><span class="model">%s</span> <b class="%s">%s</b> <span class="figure">%s</span></li>`,
				html.EscapeString(m), html.EscapeString(string(v.Outcome)), html.EscapeString(why), html.EscapeString(m),
				outcomeClass(v.Outcome), html.EscapeString(string(v.Outcome)), figure)
		}
	}
	if len(unjudged) > 0 {
		fmt.Fprintf(&cells, `<li class="unjudged" data-models="%s">not judged on %s</li>`,
			html.EscapeString(strings.Join(unjudged, ",")), html.EscapeString(strings.Join(unjudged, ", ")))
	}
	claim := "“" + html.EscapeString(text) + "”"
	if src != experiments.Lecture {
		claim = html.EscapeString(text)
	}
	if cite != "" {
		claim += ` <span class="small">(` + html.EscapeString(cite) + `)</span>`
	}
	fmt.Fprintf(b, `<tr class="claim" data-notebook="%s" data-claim="%s" data-source="%s"><td class="claim-text">%s</td><td>%s</td><td><ul class="outcomes">%s</ul></td></tr>
`, html.EscapeString(notebook), html.EscapeString(id), html.EscapeString(string(src)), claim, link, cells.String())
}

// claimIDsFrom are the claims of source src with a verdict, in the order
// of their first one; a verdict recorded before claims had a source counts
// as the lecture's.
func claimIDsFrom(vs []experiments.Verdict, src experiments.Source) []string {
	var out []string
	for _, v := range vs {
		s := v.Source
		if s == "" {
			s = experiments.Lecture
		}
		if s == src && !slices.Contains(out, v.ClaimID) {
			out = append(out, v.ClaimID)
		}
	}
	return out
}

// indexModels are the models with a verdict, CPython's first (the cpython
// model's series, "cpython asyncio", "cpython threads", ...), the others
// in the order of their first verdict.
func indexModels(vs []experiments.Verdict) []string {
	var py, other []string
	for _, v := range vs {
		switch {
		case slices.Contains(py, v.Model) || slices.Contains(other, v.Model):
		case IsCPython(v.Model):
			py = append(py, v.Model)
		default:
			other = append(other, v.Model)
		}
	}
	return append(py, other...)
}

// IsCPython reports whether a verdict's model is one of the cpython
// model's series: a claim about Python is judged on it first, and the
// overview lists its series before Go's models.
func IsCPython(name string) bool { return model.ParseSeries(name).Model == model.CPython }

// verdictsOn are the verdicts on claim id for model, in order: one, or one
// per setting where a claim is judged at several (workers, sizes).
func verdictsOn(vs []experiments.Verdict, id, model string) []experiments.Verdict {
	var out []experiments.Verdict
	for _, v := range vs {
		if v.ClaimID == id && v.Model == model {
			out = append(out, v)
		}
	}
	return out
}

// changedParams are the parameters of r's run that differ from the
// lecture's setting, as name=value.
func changedParams(r *experiments.Report) []string {
	q, err := experiments.Lookup(r.Question)
	if err != nil {
		return nil
	}
	var out []string
	for _, p := range q.NewParams(false).Params() {
		if v, ok := r.ParamValues[p.Name]; ok && v != p.String() {
			out = append(out, p.Name+"="+v)
		}
	}
	return out
}

// setting is the part of a verdict's detail that says at which setting it
// was measured ("4 workers, 8 tasks × 25ms"), to tell apart the verdicts on
// one claim and model.
func setting(detail string) string {
	s, _, _ := strings.Cut(detail, ":")
	s, _, _ = strings.Cut(s, ";")
	return strings.TrimSpace(s)
}

// outcomeClass is an outcome's CSS class.
func outcomeClass(o experiments.Outcome) string { return strings.ReplaceAll(string(o), " ", "-") }

const indexCSS = `
body { font-family: system-ui, -apple-system, 'Segoe UI', helvetica, arial, sans-serif; font-size: 14px; color: rgba(0,0,0,.87); margin: 0; }
main { max-width: 1200px; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.8em; font-weight: 500; }
p { line-height: 1.5; }
table { border-collapse: collapse; width: 100%; }
th { text-align: left; border-bottom: 2px solid #bdbdbd; padding: 6px 8px; }
tr.notebook th { border-bottom: 1px solid #bdbdbd; padding-top: 18px; font-size: 15px; font-weight: 500; }
.unjudged { color: #999; font-size: 12px; white-space: normal !important; }
td { vertical-align: top; border-top: 1px solid #e0e0e0; padding: 6px 8px; }
.claim-text { width: 40%; }
a { color: #0d47a1; text-decoration: none; }
a:hover { text-decoration: underline; }
.small { color: #666; font-size: 12px; }
ul.outcomes { list-style: none; margin: 0; padding: 0; }
ul.outcomes li { white-space: nowrap; padding: 1px 0; }
.model { display: inline-block; min-width: 8em; font-family: menlo, consolas, 'DejaVu Sans Mono', monospace; font-size: 12px; }
.holds { color: #1a7f37; }
.does-not-hold { color: #b35900; }
.inconclusive { color: #6e6e6e; }
.observed { color: #1f5fa8; }
.none { color: #999; }
.figure { font-variant-numeric: tabular-nums; }
tr { break-inside: avoid; }
@media print { main { max-width: none; padding: 0; } a { color: inherit; } }
`
