package charts

import (
	"fmt"
	"html"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/compare"
	"github.com/boundlab/boundlab/internal/units"
)

// Each machine (a comparison's column) keeps one colour and one marker on
// every overlay.
var (
	machineColors  = []string{"#5470c6", "#ee6666", "#3ba272", "#fc8452", "#9a60b4", "#73c0de", "#fac858", "#ea7ccc", "#91cc75", "#2f4554"}
	machineSymbols = []string{"circle", "triangle", "rect", "diamond", "emptyCircle", "emptyTriangle", "emptyRect", "emptyDiamond", "pin", "arrow"}
)

func machineColor(i int) string  { return machineColors[i%len(machineColors)] }
func machineSymbol(i int) string { return machineSymbols[i%len(machineSymbols)] }

// machineName is a column's name in a chart's legend: its label and its
// machine in short, e.g. "A · 2 cores · GOMAXPROCS 1 · go1.26.8".
func machineName(col compare.Column) string { return col.Label + " · " + col.Short() }

// Compared returns the charts that overlay a comparison's results, a
// series per machine (column) in the machine's colour:
//
//   - scaling: per model, speedup against workers with each machine's
//     95% intervals and its ideal min(workers, cores);
//   - semaphore: per model, runtime against the limit (log axes) with each
//     machine's 95% intervals and the formula's steps.
//
// Other questions have no overlay (none, and no error): their comparison
// is the verdict table WriteComparison writes.
func Compared(c *compare.Comparison) ([]*Chart, error) {
	if c == nil || len(c.Columns) == 0 {
		return nil, fmt.Errorf("charts: no comparison")
	}
	var (
		cs  []*Chart
		err error
	)
	switch c.Question {
	case experiments.Scaling.Name():
		cs, err = scalingCompared(c)
	case experiments.Semaphore.Name():
		cs, err = semaphoreCompared(c)
	}
	if err != nil {
		return nil, fmt.Errorf("charts for the %s comparison: %w", c.Question, err)
	}
	return cs, nil
}

// machinesNote is the subtitle line naming what the machines ran, where
// that differs between them; "" where it is the same on all.
func machinesNote(c *compare.Comparison, what func(compare.Column) string) (same string, note string) {
	var parts, seen []string
	for _, col := range c.Columns {
		w := what(col)
		parts = append(parts, col.Label+": "+w)
		seen = append(seen, w)
	}
	slices.Sort(seen)
	if len(slices.Compact(seen)) == 1 {
		return seen[0], ""
	}
	return "", strings.Join(parts, " · ")
}

// typedColumn is a column's result as its question's type, with the
// column's index.
type typedColumn[R any] struct {
	i   int
	res *R
}

// columnsOf returns the comparison's results as *R.
func columnsOf[R any](c *compare.Comparison) ([]typedColumn[R], error) {
	var out []typedColumn[R]
	for i, cl := range c.Columns {
		res, ok := any(cl.Result).(*R)
		if !ok {
			return nil, fmt.Errorf("%s holds a %T, not a %T", cl.Name, cl.Result, res)
		}
		out = append(out, typedColumn[R]{i, res})
	}
	return out, nil
}

// overlay is how a question's results overlay: a chart per model, with the
// series draw returns for it over the machines' results.
type overlay[R any] struct {
	// kind names the charts' type in their ids.
	kind string
	// models lists a result's models, a name per point.
	models func(res *R) []string
	// draw returns model m's series and frame; no series where no machine
	// measured m.
	draw func(cols []typedColumn[R], m string) ([]xySeries, frame)
	x    opts.XAxis
	y    opts.YAxis
}

// overlayCharts draws o's chart for each model the results name, in order
// of first appearance, skipping those no machine measured.
func overlayCharts[R any](c *compare.Comparison, o overlay[R]) ([]*Chart, error) {
	cols, err := columnsOf[R](c)
	if err != nil {
		return nil, err
	}
	var models []string
	for _, cl := range cols {
		models = append(models, o.models(cl.res)...)
	}
	var out []*Chart
	for _, m := range modelOrder(models...) {
		series, f := o.draw(cols, m)
		if len(series) == 0 {
			continue
		}
		ch, err := xyChart(o.kind, f, o.x, o.y, series)
		if err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, nil
}

// scalingCompared is, per model, speedup against workers on each machine.
func scalingCompared(c *compare.Comparison) ([]*Chart, error) {
	return overlayCharts(c, overlay[experiments.ScalingResult]{
		kind: "compare_scaling",
		models: func(res *experiments.ScalingResult) []string {
			var models []string
			for _, p := range res.Points {
				models = append(models, p.Model)
			}
			return models
		},
		draw: func(cols []typedColumn[experiments.ScalingResult], m string) ([]xySeries, frame) {
			measured := scalingMachines(c, cols, m)
			if len(measured) == 0 {
				return nil, frame{}
			}
			work, varies := machinesNote(c, func(cl compare.Column) string {
				return fmt.Sprintf("%s tasks × %s CPU", param(cl.Result.Base(), "tasks"), param(cl.Result.Base(), "cpu"))
			})
			f := frame{
				title:   fmt.Sprintf("%s: speedup against workers, per machine", m),
				context: joinParts(work, "speedups as measured, the median of the rounds with its 95% interval · dashed: ideal min(workers, cores)"),
				note:    varies,
			}
			return append(scalingIdeals(c, cols), measured...), f
		},
		x: valueAxis("workers"),
		y: yValue("speedup over one worker (×)"),
	})
}

// scalingIdeals are the ideals min(workers, cores) over the machines'
// pools: one per number of cores, in the colour of the first machine with
// it, or grey where every machine has the same.
func scalingIdeals(c *compare.Comparison, cols []typedColumn[experiments.ScalingResult]) []xySeries {
	ideals := map[int][]string{}
	var cores []int
	top := 1
	for _, cl := range cols {
		for _, p := range cl.res.Points {
			top = max(top, p.Workers)
		}
		if _, ok := ideals[cl.res.Cores]; !ok {
			cores = append(cores, cl.res.Cores)
		}
		ideals[cl.res.Cores] = append(ideals[cl.res.Cores], c.Columns[cl.i].Label)
	}
	var series []xySeries
	for _, n := range cores {
		s := xySeries{name: fmt.Sprintf("ideal min(workers, %d): %s", n, strings.Join(ideals[n], ", ")), ideal: true}
		if len(cores) > 1 {
			s.color = machineColor(slices.IndexFunc(c.Columns, func(cl compare.Column) bool { return cl.Label == ideals[n][0] }))
		}
		ws := []int{1, top}
		if n > 1 && n < top {
			ws = []int{1, n, top}
		}
		for _, w := range ws {
			v := math.Min(float64(w), float64(n))
			s.points = append(s.points, point{x: float64(w), y: v,
				name: fmt.Sprintf("%d workers, %d cores: %g× (machines %s)", w, n, v, strings.Join(ideals[n], ", "))})
		}
		series = append(series, s)
	}
	return series
}

// scalingMachines is model m's speedups on each machine that ran it, with
// their 95% intervals, the machines side by side at each pool size.
func scalingMachines(c *compare.Comparison, cols []typedColumn[experiments.ScalingResult], m string) []xySeries {
	var series []xySeries
	for k, cl := range cols {
		label := c.Columns[cl.i].Label
		s := xySeries{name: machineName(c.Columns[cl.i]), color: machineColor(cl.i), symbol: machineSymbol(cl.i)}
		var ivs []interval
		for _, p := range cl.res.Points {
			if p.Model != m {
				continue
			}
			x := dodge(float64(p.Workers), k, len(cols))
			s.points = append(s.points, point{x: x, y: round(p.Speedup, 4),
				name: fmt.Sprintf("%s, %d workers: %s as measured over %d rounds (wall %s, median)\nideal %g× · %.2f cores busy",
					label, p.Workers, p.Text(), len(p.Speedups), units.Duration(p.Wall), p.Ideal, p.Cores)})
			if len(p.Speedups) > 1 && p.Workers > 1 {
				ivs = append(ivs, interval{x: x, low: round(p.Low, 4), high: round(p.High, 4),
					name: fmt.Sprintf("%s, %d workers: 95%% interval %.3f× to %.3f× over %d rounds", label, p.Workers, p.Low, p.High, len(p.Speedups))})
			}
		}
		if len(s.points) > 0 {
			series = append(series, withIntervals(s, ivs)...)
		}
	}
	return series
}

// semaphoreCompared is, per model, runtime against the limit on each
// machine.
func semaphoreCompared(c *compare.Comparison) ([]*Chart, error) {
	return overlayCharts(c, overlay[experiments.SemaphoreResult]{
		kind: "compare_semaphore",
		models: func(res *experiments.SemaphoreResult) []string {
			var models []string
			for _, p := range res.Limits {
				models = append(models, p.Model)
			}
			return models
		},
		draw: func(cols []typedColumn[experiments.SemaphoreResult], m string) ([]xySeries, frame) {
			measured, ran := semaphoreMachines(c, cols, m)
			if len(measured) == 0 {
				return nil, frame{}
			}
			work, varies := machinesNote(c, func(cl compare.Column) string {
				return fmt.Sprintf("%s tasks, each waiting %s", param(cl.Result.Base(), "tasks"), param(cl.Result.Base(), "latency"))
			})
			f := frame{
				title:   fmt.Sprintf("%s: runtime against the semaphore limit, per machine", m),
				context: joinParts(work, "the median of the runs with its 95% interval · dashed: "+idealName),
				note:    varies,
			}
			return append(ran.ideals(), measured...), f
		},
		x: logAxis("semaphore limit (tasks waiting at once, log scale)"),
		y: yLog("runtime (s, log scale)"),
	})
}

// semaphoreSetting is what the formula's steps depend on.
type semaphoreSetting struct {
	tasks   int
	latency time.Duration
}

// semaphoreRan gathers, over the machines, the settings a model ran at
// (each with the labels of the machines that ran it) and its limits'
// range.
type semaphoreRan struct {
	settings []semaphoreSetting
	at       map[semaphoreSetting][]string
	lo, hi   int
}

// add notes that the machine labelled label ran p.
func (r *semaphoreRan) add(p experiments.SemaphorePoint, label string) {
	st := semaphoreSetting{p.Tasks, p.Latency}
	if _, ok := r.at[st]; !ok {
		r.settings = append(r.settings, st)
	}
	if !slices.Contains(r.at[st], label) {
		r.at[st] = append(r.at[st], label)
	}
	r.lo, r.hi = min(r.lo, p.Limit), max(r.hi, p.Limit)
}

// ideals are the formula's steps over the limits' range, once per
// setting, named with the setting and its machines where there are
// several.
func (r *semaphoreRan) ideals() []xySeries {
	var series []xySeries
	for _, st := range r.settings {
		ideal := xySeries{name: idealName, ideal: true}
		if len(r.settings) > 1 {
			ideal.name = fmt.Sprintf("%s, %d tasks × %s: %s", idealName, st.tasks, st.latency, strings.Join(r.at[st], ", "))
		}
		for _, step := range idealSteps(st.tasks, r.lo, r.hi) {
			d := time.Duration(step[1]) * st.latency
			ideal.points = append(ideal.points, point{x: float64(step[0]), y: sec(d),
				name: fmt.Sprintf("limit %d: %d rounds × %s = %s", step[0], step[1], st.latency, units.Duration(d))})
		}
		series = append(series, ideal)
	}
	return series
}

// semaphoreMachines is model m's runtime against the limit on each
// machine that ran it, with its 95% intervals, the machines side by side
// at each limit; and what they ran.
func semaphoreMachines(c *compare.Comparison, cols []typedColumn[experiments.SemaphoreResult], m string) ([]xySeries, *semaphoreRan) {
	ran := &semaphoreRan{at: map[semaphoreSetting][]string{}, lo: math.MaxInt}
	var series []xySeries
	for k, cl := range cols {
		pts := sortedBy(cl.res.Limits, m, func(p experiments.SemaphorePoint) int { return p.Limit })
		if len(pts) == 0 {
			continue
		}
		label := c.Columns[cl.i].Label
		s := xySeries{name: machineName(c.Columns[cl.i]), color: machineColor(cl.i), symbol: machineSymbol(cl.i)}
		var ivs []interval
		for _, p := range pts {
			ran.add(p, label)
			// Machines side by side at one limit: a few per cent apart on
			// the log axis.
			x := round(float64(p.Limit)*(1+0.04*(float64(k)-float64(len(cols)-1)/2)), 3)
			s.points = append(s.points, point{x: x, y: sec(p.Runtime),
				name: fmt.Sprintf("%s, limit %d: %s%s\nideal %s · ratio %.4f", label, p.Limit, units.Duration(p.Runtime), medianOfRuns(len(p.Walls)), units.Duration(p.Ideal), p.Ratio)})
			if len(p.Walls) > 1 {
				ivs = append(ivs, interval{x: x, low: sec(p.Low), high: sec(p.High),
					name: fmt.Sprintf("%s, limit %d: 95%% interval %s to %s over %d runs", label, p.Limit, units.Duration(p.Low), units.Duration(p.High), len(p.Walls))})
			}
		}
		series = append(series, withIntervals(s, ivs)...)
	}
	return series, ran
}

// joinParts joins the non-empty parts with " · ".
func joinParts(parts ...string) string {
	return strings.Join(slices.DeleteFunc(parts, func(s string) bool { return s == "" }), " · ")
}

// WriteComparison writes a comparison as one self-contained page that
// loads nothing from the network: a legend naming each column's result and
// its whole machine stamp, the parameters that differ, the verdict table
// (each claim's figure with its 95% interval and outcome per machine, the
// machines in short as the columns' heads, the rule per row or per
// machine where it differs, and why an inconclusive verdict is, as a
// footnote and in the cell's tooltip), the results' notes, the claims in
// the lecture's words, and then the charts Compared overlays.
func WriteComparison(w io.Writer, c *compare.Comparison) error {
	cs, err := Compared(c)
	if err != nil {
		return err
	}
	title := fmt.Sprintf("%s on %d machines: %s", c.Question, len(c.Columns), c.Title)
	if len(c.Columns) == 1 {
		title = fmt.Sprintf("%s on one machine: %s", c.Question, c.Title)
	}
	return writePage(w, title, comparisonHTML(c, len(cs)), compareCSS, cs)
}

// comparisonHTML is the page's part before the charts.
func comparisonHTML(c *compare.Comparison, charts int) string {
	var b strings.Builder
	resultsHTML(&b, c)
	verdictsHTML(&b, c)
	notesHTML(&b, c)
	if charts == 0 {
		fmt.Fprintf(&b, "<p class=\"stamp\">No charts overlay %s results: the table above is the comparison (overlays exist for scaling and semaphore).</p>\n", html.EscapeString(c.Question))
	}
	return b.String()
}

// resultsHTML writes the section naming each column's result and its
// whole machine stamp, and the parameters that differ.
func resultsHTML(b *strings.Builder, c *compare.Comparison) {
	e := html.EscapeString
	b.WriteString("<section class=\"boundlab-card compare\">\n<h2>The results</h2>\n<table class=\"legend\">\n")
	for i, col := range c.Columns {
		fmt.Fprintf(b, "<tr><th style=\"color:%s\">%s</th><td class=\"file\">%s</td><td>%s</td></tr>\n",
			machineColor(i), e(col.Label), e(col.Name), e(col.Machine()))
	}
	b.WriteString("</table>\n")
	switch {
	case len(c.Columns) == 1:
	case len(c.Params) == 0:
		b.WriteString("<p>Parameters: the same in every result.</p>\n")
	default:
		b.WriteString("<p>Parameters that differ:</p>\n<table class=\"params\">\n")
		for _, p := range c.Params {
			fmt.Fprintf(b, "<tr><th>%s</th>", e(p.Name))
			for i, v := range p.Values {
				if v == "" {
					v = "(not recorded)"
				}
				fmt.Fprintf(b, "<td>%s: %s</td>", e(c.Columns[i].Label), e(v))
			}
			b.WriteString("</tr>\n")
		}
		b.WriteString("</table>\n")
	}
	b.WriteString("</section>\n")
}

// verdictsHTML writes the verdict table's section up to its footnotes: a
// head per machine, a row per claim, model and setting, and each
// machine's outcomes at the foot.
func verdictsHTML(b *strings.Builder, c *compare.Comparison) {
	e := html.EscapeString
	b.WriteString("<section class=\"boundlab-card compare\">\n<h2>The verdicts, side by side</h2>\n<table class=\"verdicts\">\n<thead><tr><th>claim (unit)<br>model · setting</th>")
	for i, col := range c.Columns {
		one, two := col.Head()
		fmt.Fprintf(b, "<th colspan=\"2\" style=\"border-top:3px solid %s\">%s · %s<br><span class=\"sub\">%s</span></th>",
			machineColor(i), e(col.Label), e(one), e(two))
	}
	b.WriteString("<th>rule</th></tr></thead>\n<tbody>\n")
	for _, g := range c.Groups {
		unit := ""
		if g.Unit != "" {
			unit = " (" + e(g.Unit) + ")"
		}
		fmt.Fprintf(b, "<tr class=\"claim\"><th colspan=\"%d\" title=\"%s\">%s%s</th></tr>\n", 2*len(c.Columns)+2, e(g.Claim), e(g.ClaimID), unit)
		for _, r := range g.Rows {
			verdictRowHTML(b, c, r)
		}
	}
	b.WriteString("</tbody>\n<tfoot><tr><th>outcomes</th>")
	for _, col := range c.Columns {
		fmt.Fprintf(b, "<td colspan=\"2\">%s</td>", e(col.Outcomes()))
	}
	b.WriteString("<td></td></tr></tfoot>\n</table>\n")
}

// verdictRowHTML writes one row of the verdict table: each machine's
// figure and outcome (why an inconclusive one is, in its tooltip), then
// the rule, marked where it differs between the machines.
func verdictRowHTML(b *strings.Builder, c *compare.Comparison, r compare.Row) {
	e := html.EscapeString
	fmt.Fprintf(b, "<tr><td class=\"row\">%s</td>", e(r.Label()))
	for _, cell := range r.Cells {
		fig, out := compare.CellText(cell)
		if cell.Verdict == nil {
			b.WriteString("<td class=\"fig none\">—</td><td></td>")
			continue
		}
		tip := cell.Verdict.Detail
		if cell.Verdict.Reason != "" {
			tip = "why: " + cell.Verdict.Reason + "; " + tip
		}
		fmt.Fprintf(b, "<td class=\"fig\">%s</td><td class=\"outcome %s\" title=\"%s\">%s</td>",
			e(fig), outcomeClass(cell.Verdict.Outcome), e(tip), e(out))
	}
	rule, same := r.Rule(c.Columns)
	cls := "rule"
	if !same {
		cls += " differs"
	}
	fmt.Fprintf(b, "<td class=\"%s\">%s</td></tr>\n", cls, e(rule))
}

// notesHTML ends the verdicts' section: why each inconclusive verdict is,
// the results' notes, and the claims in the lecture's words.
func notesHTML(b *strings.Builder, c *compare.Comparison) {
	e := html.EscapeString
	if len(c.Footnotes) > 0 {
		b.WriteString("<p>Why inconclusive:</p>\n<ol class=\"notes\">\n")
		for i, f := range c.Footnotes {
			fmt.Fprintf(b, "<li><span class=\"mark\">%s</span> %s</li>\n", compare.Mark(i+1), e(f))
		}
		b.WriteString("</ol>\n")
	}
	var notes []string
	for _, col := range c.Columns {
		for _, n := range col.Result.Base().Notes {
			notes = append(notes, fmt.Sprintf("<li><b>%s</b> %s</li>\n", e(col.Label), e(n)))
		}
	}
	if len(notes) > 0 {
		b.WriteString("<p>Notes:</p>\n<ul class=\"notes\">\n" + strings.Join(notes, "") + "</ul>\n")
	}
	b.WriteString("<p>Claims:</p>\n<ul class=\"notes\">\n")
	for _, g := range c.Groups {
		fmt.Fprintf(b, "<li><b>%s</b>: %s</li>\n", e(g.ClaimID), e(g.Claim))
	}
	b.WriteString("</ul>\n</section>\n")
}

// outcomeClass is an outcome's CSS class.
func outcomeClass(o experiments.Outcome) string {
	switch o {
	case experiments.Holds:
		return "holds"
	case experiments.DoesNotHold:
		return "fails"
	}
	return "inconclusive"
}

// compareCSS lays out the comparison's tables.
const compareCSS = `.compare h2 { font-size: 1.05rem; margin: 6px 10px 10px; }
.compare p, .compare ul, .compare ol { margin: 8px 12px; font-size: 0.88rem; }
.compare table { border-collapse: collapse; margin: 0 12px 10px; font-size: 0.86rem; }
.compare th, .compare td { padding: 3px 8px; text-align: left; vertical-align: top; }
.compare .legend td.file, .compare td.fig { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; white-space: nowrap; }
.compare .verdicts thead th { border-bottom: 1px solid #ccc; }
.compare .verdicts .sub { color: #666; font-weight: normal; }
.compare .verdicts tr.claim th { padding-top: 10px; border-bottom: 1px solid #eee; cursor: help; }
.compare .verdicts td.row { padding-left: 20px; white-space: nowrap; }
.compare .verdicts tfoot th, .compare .verdicts tfoot td { border-top: 1px solid #ccc; color: #444; }
.compare td.outcome { white-space: nowrap; font-weight: 600; cursor: help; }
.compare td.holds { color: #2e7d32; }
.compare td.fails { color: #c62828; }
.compare td.inconclusive { color: #b26a00; }
.compare td.none { color: #aaa; }
.compare td.rule { color: #555; }
.compare td.rule.differs { color: #222; font-weight: 600; }
.compare ol.notes { list-style: none; padding-left: 0; }
.compare ol.notes li { display: flex; gap: 0.4em; }
.compare .mark { flex: none; min-width: 1.2em; }
`
