package charts

import (
	"fmt"

	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/decision"
)

// workloadColors tell the diagnosis workloads apart by their letter, not
// by what they are: the colour gives nothing away.
var workloadColors = map[string]string{"A": "#5470c6", "B": "#fc8452", "C": "#9a60b4"}

func workloadColor(name string, i int) string {
	if c, ok := workloadColors[name]; ok {
		return c
	}
	return spareColors[i%len(spareColors)]
}

// diagnosisCharts are the diagnosis result's charts: wall and CPU time per
// workload, the three utilisations on one time axis, then each workload's
// utilisation with its diagnosis.
func diagnosisCharts(res *experiments.DiagnosisResult) ([]*Chart, error) {
	if len(res.Workloads) == 0 {
		return nil, nil
	}
	stamp := res.Stamp.String()
	var out []*Chart
	c, err := diagnosisTimes(res, stamp)
	if err != nil {
		return nil, err
	}
	out = append(out, c)
	var lines []usageLine
	for i, w := range res.Workloads {
		lines = append(lines, usageLine{name: "workload " + w.Name, color: workloadColor(w.Name, i), usage: w.Usage})
	}
	cores := float64(res.Stamp.Cores)
	f := frame{
		title:   "CPU utilisation over time: the three workloads",
		context: fmt.Sprintf("this process's CPU time per %s, as top samples it · dashed: the classifier's thresholds", param(res.Base(), "interval")),
		stamp:   stamp,
	}
	c, err = usageChart("diagnosis_usage", f, lines, "time since the workload started (s)", cores, thresholds(cores), nil)
	if err != nil {
		return nil, err
	}
	out = append(out, c)
	for i, w := range res.Workloads {
		d := w.Diagnosis
		verdict := "right"
		if !w.Right() {
			verdict = "wrong"
		}
		f := frame{
			title: fmt.Sprintf("Workload %s: diagnosed %s", w.Name, d.Class),
			context: fmt.Sprintf("mean %.2f cores, peak %.2f, %.2f waiting for a CPU · it is %s (%s): %s",
				d.Mean, d.Peak, d.Waiting, w.Truth, verdict, w.Description),
			note:  "decision framework: " + d.Recommendation.Rule,
			stamp: stamp,
		}
		l := usageLine{name: "workload " + w.Name, color: workloadColor(w.Name, i), usage: w.Usage, fill: true, waiting: true}
		c, err := usageChart("diagnosis_workload", f, []usageLine{l}, "time since the workload started (s)", cores, thresholds(cores), nil)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// thresholds are the classifier's lines, and the machine's cores.
func thresholds(cores float64) []opts.MarkLineNameYAxisItem {
	return []opts.MarkLineNameYAxisItem{
		{Name: fmt.Sprintf("I/O-bound below %.1f", decision.IOBoundBelow), YAxis: decision.IOBoundBelow},
		{Name: fmt.Sprintf("CPU-bound from %.1f", decision.CPUBoundFrom), YAxis: decision.CPUBoundFrom},
		{Name: fmt.Sprintf("all %.0f cores", cores), YAxis: cores},
	}
}

// diagnosisTimes draws each workload's wall time beside its CPU time: the
// clock says they are alike, the CPU says they are not.
func diagnosisTimes(res *experiments.DiagnosisResult, stamp string) (*Chart, error) {
	var cats []string
	wall := barGroup{name: "wall time (perf_counter)", color: "#7f7f7f"}
	cpu := barGroup{name: "CPU time (process_time)", color: "#d9534f"}
	for _, w := range res.Workloads {
		cats = append(cats, "workload "+w.Name)
		wall.values = append(wall.values, sec(w.Wall))
		wall.names = append(wall.names, fmt.Sprintf("workload %s: %s of wall time", w.Name, fmtDur(w.Wall)))
		cpu.values = append(cpu.values, sec(w.CPU))
		cpu.names = append(cpu.names, fmt.Sprintf("workload %s: %s of CPU time, %.2f cores on average", w.Name, fmtDur(w.CPU), w.Diagnosis.Mean))
	}
	f := frame{
		title:   "The clock alone cannot tell them apart",
		context: fmt.Sprintf("each workload's wall time and the process's CPU time meanwhile · each about %s long", param(res.Base(), "length")),
		stamp:   stamp,
	}
	y := yValue("time (s)")
	y.Min = 0
	return barChart("diagnosis_times", f, cats, "workload", y, []barGroup{wall, cpu}, nil)
}
