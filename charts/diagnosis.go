package charts

import (
	"fmt"
	"math"

	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/decision"
	"github.com/boundlab/boundlab/internal/units"
)

// workloadColors tell the diagnosis workloads apart by their letter, not
// by what they are: the colour gives nothing away.
var workloadColors = map[string]string{"A": "#5470c6", "B": "#fc8452", "C": "#9a60b4", "D": "#3ba272"}

func workloadColor(name string, i int) string {
	if c, ok := workloadColors[name]; ok {
		return c
	}
	return spareColors[i%len(spareColors)]
}

// diagnosisCharts are the diagnosis result's charts: wall and CPU time per
// workload, the utilisations on one time axis, each workload's demand with
// its interval against the thresholds (the classifier's margin), then each
// workload's utilisation with its diagnosis.
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
		title:   fmt.Sprintf("CPU utilisation over time: the %s workloads", numberWord(len(res.Workloads))),
		context: fmt.Sprintf("this process's CPU time per %s, as top samples it · dashed: the classifier's thresholds", param(res.Base(), "interval")),
		stamp:   stamp,
	}
	c, err = usageChart("diagnosis_usage", f, lines, "time since the workload started (s)", cores, thresholds(cores), nil)
	if err != nil {
		return nil, err
	}
	out = append(out, c)
	c, err = diagnosisMargins(res, stamp)
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
		near := ""
		if d.Near {
			near = " (near: the interval reaches across it)"
		}
		f := frame{
			title: fmt.Sprintf("Workload %s: diagnosed %s", w.Name, d.Class),
			context: fmt.Sprintf("demand %.2f cores [%.2f, %.2f]: %.2f used + %.2f waiting for a CPU · %.2f from the threshold %.1f%s · peak %.2f\nit is %s (%s): %s",
				d.Demand, d.Low, d.High, d.Mean, d.Waiting, d.Margin, d.Threshold, near, d.Peak, w.Truth, verdict, w.Description),
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

// numberWord writes a small number as a word.
func numberWord(n int) string {
	if n >= 0 && n < 10 {
		return []string{"no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}[n]
	}
	return fmt.Sprint(n)
}

// diagnosisMargins draws each workload's measured demand for CPU, with its
// 95% interval over the run, against the cores it is built to use, with
// the classifier's thresholds: a point lies in the band of the class it is
// diagnosed as, and an error bar that reaches across a threshold is a
// diagnosis too close to call.
func diagnosisMargins(res *experiments.DiagnosisResult, stamp string) (*Chart, error) {
	top := 0.0
	for _, w := range res.Workloads {
		top = max(top, w.Planned, w.Diagnosis.High)
	}
	top = math.Ceil(top*1.1*2) / 2 // to the half core above
	ideal := xySeries{name: "demand = what it is built to use", ideal: true,
		points: []point{{x: 0, y: 0, name: "demand = what it is built to use"}, {x: top, y: top, name: "demand = what it is built to use"}},
		marks:  thresholds(float64(res.Stamp.Cores))[:2]}
	series := []xySeries{ideal}
	for i, w := range res.Workloads {
		d := w.Diagnosis
		color := workloadColor(w.Name, i)
		name := "workload " + w.Name
		tip := fmt.Sprintf("workload %s: built to use %.2f cores (%s)\ndemand %.3f cores [%.3f, %.3f]: diagnosed %s, %.3f from the threshold %.1f",
			w.Name, w.Planned, w.Truth, d.Demand, d.Low, d.High, d.Class, d.Margin, d.Threshold)
		label := fmt.Sprintf("%s: %.2f cores, %.2f from %.1f", w.Name, d.Demand, d.Margin, d.Threshold)
		if d.Near {
			label += ", too close to call"
		}
		series = append(series, xySeries{name: name, color: color, symbol: "circle", label: label,
			points: []point{{x: w.Planned, y: d.Demand, name: tip}}})
		if d.Windows > 1 {
			series = append(series, intervals(name, color, []interval{{x: w.Planned, low: d.Low, high: d.High,
				name: fmt.Sprintf("workload %s: 95%% interval %.3f to %.3f cores over %d windows of the run", w.Name, d.Low, d.High, d.Windows)}}))
		}
	}
	f := frame{
		title: "The classifier's margin: demand for CPU against the thresholds",
		context: fmt.Sprintf("each workload's CPU time plus time waiting for a CPU, over wall time, with its 95%% interval over the run · dashed: I/O-bound below %.1f, CPU-bound from %.1f",
			decision.IOBoundBelow, decision.CPUBoundFrom),
		stamp: stamp,
	}
	x := valueAxis("what the workload is built to use (cores)")
	x.Min, x.Max = 0, top
	y := yValue("measured demand (cores)")
	y.Min, y.Max = 0, top
	return xyChart("diagnosis_margins", f, x, y, series)
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
		wall.names = append(wall.names, fmt.Sprintf("workload %s: %s of wall time", w.Name, units.Duration(w.Wall)))
		cpu.values = append(cpu.values, sec(w.CPU))
		cpu.names = append(cpu.names, fmt.Sprintf("workload %s: %s of CPU time, %.2f cores on average", w.Name, units.Duration(w.CPU), w.Diagnosis.Mean))
	}
	f := frame{
		title:   "The clock alone cannot tell them apart",
		context: fmt.Sprintf("each workload's wall time and the process's CPU time meanwhile · each about %s long", param(res.Base(), "length")),
		stamp:   stamp,
	}
	return barChart("diagnosis_times", f, cats, "workload", yFromZero("time (s)"), []barGroup{wall, cpu}, nil)
}
