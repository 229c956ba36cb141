package charts

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/boundlab/boundlab/experiments"
)

// The sleeping experiment as recorded by the experiments' tests: a quick
// run, CPython's threads and asyncio beside the models.
var sleepingResult = recordedResult(experiments.Sleeping, "sleeping-quick")

func TestForSleeping(t *testing.T) {
	res := must(sleepingResult())(t)
	models := []string{"goroutines", "gil", "eventloop", "processes", "cpython threads", "cpython asyncio"}
	var usage []SeriesInfo
	for i, m := range models {
		usage = append(usage, SeriesInfo{m, len(res.Points[i].Usage.Samples) + 1})
	}
	bars := []SeriesInfo{{"all at once: wall time", 6}, {"all at once: CPU time", 6}, {"one after another: wall time", 6}}
	cs := checkCharts(t, res, []want{
		{"Wall time and CPU time per model", bars},
		{"CPU utilisation while the tasks wait", usage},
		{"Wall times against the claims", judgedSeries(res.Base(), "sleep-overlap", "sleep-adds-up")},
		// Six models' five waits; the processes model's five tasks and
		// results sent over pipes.
		{"All at once: 5 tasks each waiting 250ms, started together", []SeriesInfo{{"wait", 30}, {"serialise", 10}}},
	})
	p := parse(t, cs[1])
	// x = 0 is the clock start: the processes' spawn is before it.
	first := valueOf(t, p.Series[3].Data[0])[0].(float64)
	if first >= 0 {
		t.Errorf("the processes' line starts at %v s, want before the clock start", first)
	}
	if p.YAxis[0]["max"] != 1.0 {
		t.Errorf("y axis up to %v cores, want 1", p.YAxis[0]["max"])
	}
	if sub := parse(t, cs[0]).Title.Subtext; !strings.Contains(sub, "CPU time while waiting, too small to see: goroutines") {
		t.Errorf("subtitle %q", sub)
	}
	// The judged walls, over what their claims expect, carry their
	// verdicts' intervals and bounds.
	v, _ := res.Verdict("sleep-adds-up", "gil")
	v = relative(v)
	lo, hi := v.Bounds()
	o := cs[2].Option()
	if !strings.Contains(o, fmt.Sprintf("sleep-adds-up on gil: 95%% interval %.4g to %.4g", v.Low, v.High)) ||
		!strings.Contains(o, fmt.Sprintf(`"value":[7,%v]`, round(lo, 6))) || !strings.Contains(o, fmt.Sprintf(`"value":[7,%v]`, round(hi, 6))) {
		t.Errorf("the gil's walls one after another lack their interval or bounds %v, %v", lo, hi)
	}
}

// judgedSeries are what judgedChart draws for the verdicts on the claims:
// the bounds (two points, a figure and a gap, per bound), then each outcome's
// figures and error bars, in the order holds, inconclusive, does not hold.
func judgedSeries(r *experiments.Report, claims ...string) []SeriesInfo {
	bounds := 0
	figures, bars := map[experiments.Outcome]int{}, map[experiments.Outcome]int{}
	for _, v := range r.Verdicts {
		if !slices.Contains(claims, v.ClaimID) {
			continue
		}
		lo, hi := v.Bounds()
		for _, b := range []float64{lo, hi} {
			if b > -1e300 && b < 1e300 {
				bounds += 2
			}
		}
		figures[v.Outcome] += 2
		if v.Runs > 1 && v.Low < v.High {
			bars[v.Outcome] += 3
		}
	}
	out := []SeriesInfo{{"the claim's bound", bounds}}
	for _, o := range []experiments.Outcome{experiments.Holds, experiments.Inconclusive, experiments.DoesNotHold} {
		if figures[o] > 0 {
			out = append(out, SeriesInfo{string(o), figures[o]})
			if bars[o] > 0 {
				out = append(out, SeriesInfo{string(o), bars[o]})
			}
		}
	}
	return out
}
