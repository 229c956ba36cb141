package charts

import (
	"fmt"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/internal/units"
)

// sleepingCharts are the sleeping result's charts: wall and CPU time per
// model, the utilisation while the tasks wait, and the concurrent runs on
// one time axis.
func sleepingCharts(res *experiments.SleepingResult) ([]*Chart, error) {
	if len(res.Points) == 0 {
		return nil, nil
	}
	stamp := res.Stamp.String()
	tasks, wait := param(res.Base(), "tasks"), param(res.Base(), "wait")
	work := fmt.Sprintf("%s tasks each waiting %s", tasks, wait)
	var out []*Chart
	c, err := sleepingTimes(res, work, stamp)
	if err != nil {
		return nil, err
	}
	out = append(out, c)

	var lines []usageLine
	var spawn []string
	for i, p := range res.Points {
		lines = append(lines, usageLine{name: p.Model, color: modelColor(p.Model, i), usage: p.Usage, zero: p.ClockStart})
		if p.Spawn > 0 {
			spawn = append(spawn, fmt.Sprintf("%s started its workers for %s before 0", p.Model, units.Duration(p.Spawn)))
		}
	}
	f := frame{
		title:   "CPU utilisation while the tasks wait",
		context: fmt.Sprintf("%s, all at once · this process and its workers, sampled every %s", work, param(res.Base(), "interval")),
		note:    strings.Join(spawn, " · "),
		stamp:   stamp,
	}
	w := res.Points[0].Wall.Seconds()
	if d, err := time.ParseDuration(wait); err == nil {
		w = d.Seconds()
	}
	ys := []opts.MarkLineNameYAxisItem{{Name: "5% of one core", YAxis: 0.05}}
	xs := []opts.MarkLineNameXAxisItem{{Name: "clock starts", XAxis: 0}, {Name: "one wait later", XAxis: round(w, 4)}}
	c, err = usageChart("sleeping_usage", f, lines, "time since the run's clock started (s)", 1, ys, xs)
	if err != nil {
		return nil, err
	}
	out = append(out, c)

	var items []judged
	for _, id := range []string{"sleep-overlap", "sleep-adds-up"} {
		for _, v := range res.Verdicts {
			if v.ClaimID == id {
				label := v.Model + " · all at once"
				if id == "sleep-adds-up" {
					label = v.Model + " · one after another"
				}
				items = append(items, judged{label: label, v: relative(v)})
			}
		}
	}
	c, err = judgedChart("sleeping_judged", "Wall times against the claims", work+" · over what each claim expects: all at once one wait, one after another tasks × wait", stamp, "wall time / expected (×)", items)
	if err != nil {
		return nil, err
	}
	if c != nil {
		out = append(out, c)
	}

	var lanes []lane
	for _, p := range res.Points {
		if validRun(res.Base(), p.Concurrent) {
			lanes = append(lanes, lane{prefix: p.Model + " · ", run: res.Runs[p.Concurrent].Run})
		}
	}
	if len(lanes) > 0 {
		c, err := allAtOnce(work, "the runs on one time axis · a row per thread, process or slot · blue: waiting", stamp, lanes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// sleepingTimes draws, per model, the wall time all at once, the CPU time
// meanwhile, and the wall time one after another.
func sleepingTimes(res *experiments.SleepingResult, work, stamp string) (*Chart, error) {
	var cats, cpus []string
	wall := barGroup{name: "all at once: wall time", color: "#3ba272"}
	cpu := barGroup{name: "all at once: CPU time", color: "#d9534f"}
	seq := barGroup{name: "one after another: wall time", color: "#c8c8c8"}
	hasSeq := false
	for _, p := range res.Points {
		cats = append(cats, p.Model)
		wall.values = append(wall.values, sec(p.Wall))
		wall.names = append(wall.names, fmt.Sprintf("%s: %s all at once", p.Model, units.Duration(p.Wall)))
		cpu.values = append(cpu.values, sec(p.CPU))
		cpu.names = append(cpu.names, fmt.Sprintf("%s: %s of CPU while waiting (%.3f cores)", p.Model, units.Duration(p.CPU), p.Utilisation))
		cpus = append(cpus, fmt.Sprintf("%s %s", p.Model, units.Duration(p.CPU)))
		if p.Sequential >= 0 {
			hasSeq = true
			seq.values = append(seq.values, sec(p.SequentialWall))
			seq.names = append(seq.names, fmt.Sprintf("%s: %s one after another, %.2f× all at once", p.Model, units.Duration(p.SequentialWall), p.Speedup))
		} else {
			seq.values = append(seq.values, 0)
			seq.names = append(seq.names, p.Model+": not run one after another")
		}
	}
	groups := []barGroup{wall, cpu}
	if hasSeq {
		groups = append(groups, seq)
	}
	f := frame{
		title:   "Wall time and CPU time per model",
		context: fmt.Sprintf("%s · CPU time while waiting, too small to see: %s", work, strings.Join(cpus, ", ")),
		stamp:   stamp,
	}
	y := yFromZero("time (s)")
	var marks []opts.MarkLineNameYAxisItem
	if d, err := time.ParseDuration(param(res.Base(), "wait")); err == nil {
		marks = append(marks, opts.MarkLineNameYAxisItem{Name: "one wait", YAxis: d.Seconds()})
		if hasSeq {
			n := 0
			fmt.Sscan(param(res.Base(), "tasks"), &n)
			marks = append(marks, opts.MarkLineNameYAxisItem{Name: fmt.Sprintf("%d waits", n), YAxis: d.Seconds() * float64(n)})
		}
	}
	return barChart("sleeping_times", f, cats, "model", y, groups, marks)
}
