package experiments

import "fmt"

// Tables are the sleeping result's figures: per model, the wall time and
// the CPU all at once, the wall time one after another, and the spawning
// the processes model does before its clock starts.
func (res *SleepingResult) Tables() []Table {
	t := Table{
		Title:   "Wall time and CPU time per model",
		Columns: []string{"model", "all at once", "CPU while waiting", "utilisation", "one after another", "slower by", "spawn, stop (excluded)"},
		Note:    "utilisation in cores (CPU time over wall time) of this process and its worker processes, sampled from /proc while the tasks waited",
	}
	for _, p := range res.Points {
		seq, by, spawn := "-", "-", "-"
		if p.Sequential >= 0 {
			seq, by = showDur(p.SequentialWall), fmt.Sprintf("%.2fx", p.Speedup)
		}
		if p.Spawn > 0 {
			spawn = showDur(p.Spawn) + ", " + showDur(p.Stop)
		}
		t.Rows = append(t.Rows, []string{p.Model, showDur(p.Wall), showDur(p.CPU), fmt.Sprintf("%.3f", p.Utilisation), seq, by, spawn})
	}
	return []Table{t}
}
