package charts

import (
	"fmt"
	"time"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/model"
)

// A sweep chart is a task timeline with ECharts' timeline control under it:
// a point of the control per setting the experiment swept, each switching
// the bars, the rows, the subtitle (the setting, the figures and where they
// stand against the claim) and the formula's line to that setting's
// recorded run. The page holds every point's bars; nothing is rerun or
// fetched when the reader moves the control.
//
// To keep a handout small, a point draws at most sweepRows rows and
// sweepBars bars: above that, every k-th row (with all its tasks) is drawn,
// then touching bars merged; the point's subtitle says so.
const (
	sweepRows = 50
	sweepBars = 500
)

// sweepPoint is one point of a sweep chart.
type sweepPoint struct {
	// label names the point on the control, e.g. "limit 50".
	label string
	f     frame
	rows  []string
	bars  []bar
	// marks are vertical lines at x (ms), e.g. the formula's runtime.
	marks []sweepMark
}

// sweepMark is a vertical line of a sweep point.
type sweepMark struct {
	name string
	x    float64
}

// sweepBarsOf draws run's tasks on at most sweepRows rows and sweepBars
// bars, and says what it left out ("" if nothing).
func sweepBarsOf(run *model.Run) (rows []string, bars []bar, note string) {
	ws := workers(run)
	per := map[int]int{}
	for _, s := range run.Spans {
		per[s.Worker]++
	}
	// Every k-th row: the fewest rows dropped that fit both bounds, at
	// least one row kept.
	k := 1
	for ; k < len(ws); k++ {
		n, rs := 0, 0
		for i := 0; i < len(ws); i += k {
			n += per[ws[i]]
			rs++
		}
		if rs <= sweepRows && (n <= sweepBars || rs == 1) {
			break
		}
	}
	rowOf := map[int]int{}
	for i := 0; i < len(ws); i += k {
		rowOf[ws[i]] = len(rows)
		rows = append(rows, fmt.Sprintf("worker %d", ws[i]))
	}
	var end time.Duration
	tasks := 0
	for _, s := range run.Spans {
		end = max(end, s.End)
		if r, ok := rowOf[s.Worker]; ok {
			bars = spanBars(bars, r, s)
			tasks++
		}
	}
	end = max(end, barsEnd(bars))
	if k > 1 {
		note = fmt.Sprintf("a sample: every %d%s row drawn, %d of %d rows, %d of %d tasks", k, ordinal(k), len(rows), len(ws), tasks, len(run.Spans))
	}
	bars, capped := capBars(bars, end, sweepBars)
	if capped != "" {
		if note != "" {
			note += "; "
		}
		note += capped
	}
	return rows, bars, note
}

// sweepChart draws points as one timeline chart whose control starts at
// point start. The chart's Series are the start point's.
func sweepChart(title, stamp string, points []sweepPoint, start int, yName string) (*Chart, error) {
	var all []bar
	maxRows, maxLines := 1, 1
	for _, p := range points {
		all = append(all, p.bars...)
		maxRows = max(maxRows, len(p.rows))
		maxLines = max(maxLines, p.f.lines())
	}
	kinds := barKinds(all)
	if len(kinds) == 0 {
		kinds = []model.Kind{kindTask}
	}
	first := points[start]
	f := first.f
	f.title = title
	c, b := timelineChart(f, first.rows, first.bars, yName, kinds)
	b.kind = "sweep"
	top := 44 + 17*maxLines + 22
	// From the bottom: the legend, the zoom slider, the sweep's control,
	// the time axis.
	b.patch.top["grid"] = map[string]any{"left": 64, "right": 40, "top": top, "bottom": 160, "containLabel": true}
	b.patch.top["dataZoom"] = []map[string]any{
		{"type": "slider", "xAxisIndex": 0, "filterMode": "weakFilter", "height": 18, "bottom": 34, "showDetail": false},
		{"type": "inside", "xAxisIndex": 0, "filterMode": "weakFilter", "zoomOnMouseWheel": "ctrl", "moveOnMouseWheel": false},
	}
	labels := make([]string, len(points))
	options := make([]map[string]any, len(points))
	for i, p := range points {
		labels[i] = p.label
		options[i] = sweepOption(p, kinds)
	}
	b.patch.top["timeline"] = map[string]any{
		"axisType": "category", "data": labels, "currentIndex": start,
		"autoPlay": false, "loop": false, "playInterval": 2500,
		"left": 90, "right": 90, "bottom": 62, "height": 48,
		"label":           map[string]any{"fontSize": 12, "color": "#333"},
		"symbolSize":      12,
		"checkpointStyle": map[string]any{"symbolSize": 16, "color": "#1f6fb2", "borderColor": "#fff"},
		"controlStyle":    map[string]any{"itemSize": 20},
		"tooltip":         map[string]any{"show": false},
	}
	b.patch.top["options"] = options
	// The chart's first subtitle is the tallest point's height, so that
	// the plot does not jump as the reader moves the control.
	b.height = timelineHeight(maxRows, top) + 60
	return finish(c, b)
}

// sweepOption is the part of the option that point p changes: the
// subtitle, the rows, the time axis' end, every series' bars (empty where
// p has none of that kind) and the first series' marks.
func sweepOption(p sweepPoint, kinds []model.Kind) map[string]any {
	byKind := map[model.Kind][]any{}
	end := 0.0
	for _, b := range p.bars {
		byKind[b.kind] = append(byKind[b.kind], barValue(b))
		end = max(end, ms(b.end))
	}
	// The first mark dashed, the others dotted; the subtitle names them.
	var marks []any
	for i, m := range p.marks {
		mk := map[string]any{"name": m.name, "xAxis": m.x}
		if i > 0 {
			mk["lineStyle"] = map[string]any{"type": "dotted"}
		}
		marks = append(marks, mk)
		end = max(end, m.x)
	}
	series := make([]any, len(kinds))
	for i, k := range kinds {
		data := byKind[k]
		if data == nil {
			data = []any{}
		}
		series[i] = map[string]any{"data": data}
	}
	if len(series) > 0 {
		series[0].(map[string]any)["markLine"] = map[string]any{
			"silent": true, "symbol": "none", "animation": false,
			"lineStyle": map[string]any{"type": "dashed", "color": "#444", "width": 1.5},
			"label":     map[string]any{"show": false},
			"data":      marks,
		}
	}
	rows := p.rows
	if rows == nil {
		rows = []string{}
	}
	return map[string]any{
		"title": map[string]any{"subtext": p.f.subtitle()},
		"xAxis": []any{map[string]any{"max": round(end*1.02, 0)}},
		"yAxis": []any{map[string]any{"data": rows, "axisLabel": map[string]any{"fontSize": labelSize(len(rows))},
			"splitLine": map[string]any{"show": len(rows) <= 40}}},
		"series": series,
	}
}

// semaphoreSweep draws model m's limit sweep as a sweep chart: a point per
// limit, each the recorded run nearest that limit's median, with the
// formula's runtime and the sweep claim's upper bound as lines and a line
// saying where the run's ratio to the formula stands against the claim's
// range, and the claim's recorded verdict on the whole sweep. The control
// starts at the lecture's limit where it was swept. ok is false when the
// sweep has fewer than two limits or no run at any limit kept its tasks.
func semaphoreSweep(res *experiments.SemaphoreResult, m, stamp string) (c *Chart, ok bool, err error) {
	pts := sortedBy(res.Limits, m, func(p experiments.SemaphorePoint) int { return p.Limit })
	if len(pts) < 2 {
		return nil, false, nil
	}
	var sweep experiments.Claim
	for _, cl := range experiments.Semaphore.Claims() {
		if cl.ID == "semaphore-sweep" {
			sweep = cl
		}
	}
	verdict := "not judged"
	for _, v := range res.Verdicts {
		if v.ClaimID == sweep.ID && v.Model == m {
			verdict = string(v.Outcome)
		}
	}
	head := 0
	if len(res.Headline) > 0 {
		head = res.Headline[0].Limit
	}
	start, drawn := 0, 0
	points := make([]sweepPoint, len(pts))
	for i, p := range pts {
		if p.Limit == head {
			start = i
		}
		lo, hi := 1-sweep.Slack/p.Ideal.Seconds(), 1+sweep.Tolerance
		where := "inside"
		if p.Ratio < lo || p.Ratio > hi {
			where = "outside"
		}
		rounds := (p.Tasks + p.Limit - 1) / p.Limit
		sp := sweepPoint{
			label: fmt.Sprintf("limit %d", p.Limit),
			marks: []sweepMark{
				{fmt.Sprintf("⌈%d/%d⌉ × %s = %s", p.Tasks, p.Limit, p.Latency, fmtDur(p.Ideal)), ms(p.Ideal)},
				{fmt.Sprintf("%.0f%% over the formula: the claim's bound", 100*sweep.Tolerance), ms(time.Duration(float64(p.Ideal) * hi))},
			},
		}
		verdictLine := fmt.Sprintf("limit %d: runtime %s%s = %.4f × the formula (dashed: %s),\n%s the sweep claim's range %.4f to %.2f (dotted: %.0f%% over) · the claim's verdict on the whole sweep (%s): %s",
			p.Limit, fmtDur(p.Runtime), runsText(p), p.Ratio, sp.marks[0].name, where, lo, hi, 100*sweep.Tolerance, m, verdict)
		sp.f = frame{stamp: stamp}
		k, found := nearestRun(res, p)
		if !found || len(res.Runs[k].Spans) == 0 {
			sp.f.context = fmt.Sprintf("recorded run at limit %d: its tasks were not kept in the result, only its figures", p.Limit)
			sp.f.note = verdictLine
			points[i] = sp
			continue
		}
		run := res.Runs[k].Run
		var note string
		sp.rows, sp.bars, note = sweepBarsOf(run)
		drawn++
		which := "its one run"
		if len(p.Runs) > 1 {
			which = fmt.Sprintf("of %d runs, the one nearest their median", len(p.Runs))
		}
		sp.f.context = fmt.Sprintf("recorded run at limit %d (%s): %d tasks waiting %s in %d round%s · wall %s",
			p.Limit, which, p.Tasks, p.Latency, rounds, map[bool]string{true: "s"}[rounds != 1], fmtDur(run.Totals.Wall))
		sp.f.note = verdictLine
		if note != "" {
			sp.f.note = note + "\n" + verdictLine
		}
		points[i] = sp
	}
	if drawn == 0 {
		return nil, false, nil
	}
	title := fmt.Sprintf("%s: the recorded limit sweep, a run per limit (move the control below)", m)
	c, err = sweepChart(title, stamp, points, start, "worker: "+rowNoun(m))
	return c, err == nil, err
}
