package experiments

import (
	"fmt"
	"strings"

	"github.com/boundlab/boundlab/internal/units"
)

// Tables are the scaling result's figures: each series at each pool size
// (its wall and speedup with their 95% intervals, and CPython's speedup at
// the calibrated speed beside its own), what processes pay, and CPython's
// GIL as py-spy sampled it.
func (res *ScalingResult) Tables() []Table {
	if len(res.Points) == 0 {
		return nil
	}
	t := Table{
		Title:   "Speedup at each pool size",
		Columns: []string{"model", "workers", "runs", "wall (s)", "speedup (x)", "ideal", "efficiency", "cores busy", "spawn (excluded)", "calibrated speedup"},
		Note: "wall: the median of the runs [95% interval]; speedup: the wall at one worker over this one, round by round, as measured: the median [95% interval], what the verdicts judge; ideal: min(workers, cores); " +
			"calibrated: CPython's speedup with each wall taken over its tasks' CPU per calibrated second, to explain a miss, not judged",
	}
	for _, p := range res.Points {
		spawn, cal := "-", "-"
		if p.Setup > 0 {
			spawn = units.Duration(p.Setup)
		}
		if len(p.Calibrated) > 0 {
			cal = fmt.Sprintf("%.3f (CPU %.2f× calibrated)", p.CalibratedSpeedup, p.Slowdown)
		}
		t.Rows = append(t.Rows, []string{p.Model, fmt.Sprint(p.Workers), fmt.Sprint(len(p.Walls)),
			figure(p.Wall.Seconds(), p.WallLow.Seconds(), p.WallHigh.Seconds(), len(p.Walls), "%.4f"),
			figure(p.Speedup, p.Low, p.High, len(p.Speedups), "%.3f"),
			fmt.Sprintf("%g", p.Ideal), fmt.Sprintf("%.0f%%", 100*p.Efficiency), fmt.Sprintf("%.2f", p.Cores), spawn, cal})
	}
	out := []Table{t}
	if c := res.Processes; c != nil && len(c.Payloads) > 0 {
		pt := Table{
			Title:   "Processes: serialisation per task against the payload",
			Columns: []string{"payload", "runs", "serialisation per task (ms)", "share of busy time"},
			Note: fmt.Sprintf("serialisation both ways, both sides, at 2 workers: the median [95%% interval]; the time a payload adds over %s's %s ∝ (the bytes it adds)^b with b = %s (log–log fit over every run); spawn %s per worker (mean), %s peak memory per worker (median of %d)",
				FormatSize(c.FixedBytes), units.Duration(c.Fixed), figure(c.Exponent.Median, c.Exponent.Low, c.Exponent.High, c.Exponent.N, "%.3f"), units.Duration(c.SpawnMean), units.Bytes(float64(c.WorkerRSS)), c.Workers),
		}
		for _, p := range c.Payloads {
			pt.Rows = append(pt.Rows, []string{FormatSize(p.Bytes), fmt.Sprint(len(p.PerTasks)),
				figure(units.Millis(p.PerTask), units.Millis(p.Low), units.Millis(p.High), len(p.PerTasks), "%.3f"), fmt.Sprintf("%.0f%%", 100*p.Share)})
		}
		out = append(out, pt)
	}
	if g := res.GIL; g != nil && len(g.Samples) > 0 {
		gt := Table{
			Title:   fmt.Sprintf("CPython's GIL, sampled by py-spy: %d threads on %d tasks × %s", g.Pool, g.Tasks, g.CPU),
			Columns: []string{"thread", "samples", "holding the GIL", "running", "idle"},
			Note:    strings.Join(g.Findings(&res.Report), " "),
		}
		for _, th := range g.Threads {
			gt.Rows = append(gt.Rows, []string{th.Name, fmt.Sprint(th.Samples), fmt.Sprintf("%.0f%%", 100*th.GILShare()),
				fmt.Sprintf("%.0f%%", 100*th.ActiveShare()), fmt.Sprintf("%.0f%%", 100*th.IdleShare())})
		}
		out = append(out, gt)
	}
	return out
}
