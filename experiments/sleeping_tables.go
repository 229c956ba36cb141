package experiments

import (
	"fmt"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/internal/units"
)

// Tables are the sleeping result's figures: per model, the wall time and
// the CPU all at once, the wall time one after another, and the spawning
// the processes model does before its clock starts.
func (res *SleepingResult) Tables() []Table {
	t := Table{
		Title:   "Wall time and CPU time per model",
		Columns: []string{"model", "all at once", "runs", "CPU while waiting", "utilisation", "one after another", "runs", "slower by", "spawn, stop (excluded)"},
		Note:    "wall times: the median of the runs [95% interval]; utilisation in cores (CPU time over wall time) of this process and its worker processes, sampled from /proc while the tasks waited, the median of the runs; CPU while waiting, slower by, spawn and stop: the run shown",
	}
	for _, p := range res.Points {
		walls := p.sleepWalls()
		all := durFigure(medianDur(walls))
		seq, seqRuns, by, spawn := "-", "-", "-", "-"
		if p.Sequential >= 0 {
			sw := p.SequentialWalls
			if len(sw) == 0 {
				sw = []time.Duration{p.SequentialWall}
			}
			seq, seqRuns, by = durFigure(medianDur(sw)), fmt.Sprint(len(sw)), fmt.Sprintf("%.2fx", p.Speedup)
		}
		if p.Spawn > 0 {
			spawn = units.Duration(p.Spawn) + ", " + units.Duration(p.Stop)
		}
		t.Rows = append(t.Rows, []string{p.Model, all, fmt.Sprint(len(walls)), units.Duration(p.CPU), fmt.Sprintf("%.3f", measure.Median(p.sleepUtilisations())), seq, seqRuns, by, spawn})
	}
	return []Table{t}
}

// medianDur is the median of ds with its 95% interval, and how many.
func medianDur(ds []time.Duration) (median, low, high time.Duration, runs int) {
	ci := measure.MedianCI(secondsOf(ds), level)
	return durationOf(ci.Median), durationOf(ci.Low), durationOf(ci.High), ci.N
}
