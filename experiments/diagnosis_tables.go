package experiments

import (
	"fmt"

	"github.com/boundlab/boundlab/experiments/decision"
	"github.com/boundlab/boundlab/internal/units"
)

// Tables are the diagnosis result's figures: what the clock and the
// utilisation say of each workload, how sure the classifier is, the
// recommendation for each, and each workload's CPU profile.
func (res *DiagnosisResult) Tables() []Table {
	seen := Table{
		Title:   "What the clock and top say",
		Columns: []string{"workload", "wall", "CPU time", "used", "queued", "peak", "idle samples", "tasks' time waiting"},
		Note:    "used, queued and peak in cores (1 = one core busy throughout); queued: time ready to run but waiting for a CPU that other work held; idle samples: under 0.2 cores",
	}
	sure := Table{
		Title:   "The diagnosis and its margin",
		Columns: []string{"workload", "demand (cores)", "diagnosed", "nearest threshold", "margin (cores)", "it is", "built to use (cores)", "what it does"},
		Note: fmt.Sprintf("demand: CPU time plus time queued for a CPU, over wall time, the mean over the run with its 95%% interval over %d windows of it; I/O-bound below %.1f, CPU-bound from %.1f; margin: the demand's distance from the nearest threshold, \"near\" where the interval reaches across it",
			decision.Windows, decision.IOBoundBelow, decision.CPUBoundFrom),
	}
	advice := Table{
		Title:   "What to use: the decision framework",
		Columns: []string{"workload", "diagnosed", "rule", "Python", "Go"},
	}
	for _, w := range res.Workloads {
		d := w.Diagnosis
		seen.Rows = append(seen.Rows, []string{
			w.Name, units.Duration(w.Wall), units.Duration(w.CPU), fmt.Sprintf("%.2f", d.Mean), fmt.Sprintf("%.2f", d.Waiting), fmt.Sprintf("%.2f", d.Peak),
			fmt.Sprintf("%.0f%%", 100*d.Idle), fmt.Sprintf("%.0f%%", 100*w.WaitShare),
		})
		margin := fmt.Sprintf("%.3f", d.Margin)
		if d.Near {
			margin += " (near)"
		}
		sure.Rows = append(sure.Rows, []string{
			w.Name, figure(d.Demand, d.Low, d.High, d.Windows, "%.3f"), string(d.Class), fmt.Sprintf("%.1f", d.Threshold), margin,
			string(w.Truth), fmt.Sprintf("%.2f", w.Planned), w.Description,
		})
		advice.Rows = append(advice.Rows, []string{w.Name, string(d.Class), d.Recommendation.Rule, d.Recommendation.Python, d.Recommendation.Go})
	}
	out := []Table{seen, sure, advice}
	for _, w := range res.Workloads {
		if w.Profile != nil {
			out = append(out, profileTable(w))
		}
	}
	return out
}

// profileTable is one workload's CPU profile as pprof's top shows it.
func profileTable(w DiagnosisWorkload) Table {
	p := w.Profile
	t := Table{
		Title:   fmt.Sprintf("CPU profile of workload %s (%s): the top functions", w.Name, w.Truth),
		Columns: []string{"function", "flat", "flat %", "cum", "cum %"},
	}
	if len(p.Top) == 0 {
		t.Columns = nil // nothing to list: the note says so
	}
	for _, f := range p.Top {
		t.Rows = append(t.Rows, []string{f.Name, units.Duration(f.Flat), fmt.Sprintf("%.1f%%", 100*f.FlatShare), units.Duration(f.Cum), fmt.Sprintf("%.1f%%", 100*f.CumShare)})
	}
	t.Note = fmt.Sprintf("%d samples of %s: %s of CPU in the workload's goroutines over %s of wall time; %s elsewhere in the process (the runtime, the sampler)",
		p.Samples, units.Duration(p.Period), units.Duration(p.Total), units.Duration(w.Wall), units.Duration(p.Other))
	if w.Wall > 0 && float64(p.Total) < 0.05*float64(w.Wall) {
		t.Note += ". Almost nothing: a CPU profile sees computing only, and this workload's time went to waiting"
	}
	return t
}
