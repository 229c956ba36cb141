package charts

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/decision"
)

var (
	// diagnosisResult is the diagnosis as the experiments' tests recorded
	// it (a quick run; see experiments/testdata).
	diagnosisResult = sync.OnceValues(func() (*experiments.DiagnosisResult, error) {
		b, err := os.ReadFile(filepath.Join("..", "experiments", "testdata", "diagnosis-quick.json"))
		if err != nil {
			return nil, err
		}
		return experiments.Diagnosis.Decode(b)
	})
)

// The recorded diagnosis drawn: the clock, the utilisations over time,
// the margins, then a chart per workload.
func TestForDiagnosis(t *testing.T) {
	res := must(diagnosisResult())(t)
	pts := func(i int) int { return len(res.Workloads[i].Usage.Samples) + 1 }
	margins := []SeriesInfo{{"demand = what it is built to use", 2}}
	for _, w := range res.Workloads {
		margins = append(margins, SeriesInfo{"workload " + w.Name, 1}, SeriesInfo{"workload " + w.Name, 3})
	}
	wants := []want{
		{"The clock alone cannot tell them apart", []SeriesInfo{{"wall time (perf_counter)", 4}, {"CPU time (process_time)", 4}}},
		{"CPU utilisation over time: the four workloads", []SeriesInfo{{"workload A", pts(0)}, {"workload B", pts(1)}, {"workload C", pts(2)}, {"workload D", pts(3)}}},
		{"The classifier's margin: demand for CPU against the thresholds", margins},
	}
	for i, w := range res.Workloads {
		wants = append(wants, want{"Workload " + w.Name + ": diagnosed " + string(w.Diagnosis.Class),
			[]SeriesInfo{{"workload " + w.Name, pts(i)}, {"workload " + w.Name + ": waiting for a CPU", pts(i)}}})
	}
	cs := checkCharts(t, res, wants)
	// Utilisation: cores up the y axis, from 0 to at least every core.
	p := parse(t, cs[1])
	if n := p.YAxis[0]["name"].(string); !strings.Contains(n, "cores") || p.YAxis[0]["min"] != 0.0 || p.YAxis[0]["max"].(float64) < float64(res.Stamp.Cores) {
		t.Errorf("y axis %v", p.YAxis[0])
	}
	// The margins: each workload's demand at the cores it is built to use,
	// its error bar from the interval, the thresholds drawn.
	m := parse(t, cs[2])
	var lines []float64
	for _, l := range m.Series[0].MarkLine.Data {
		lines = append(lines, l.YAxis)
	}
	if fmt.Sprint(lines) != fmt.Sprint([]float64{decision.IOBoundBelow, decision.CPUBoundFrom}) {
		t.Errorf("threshold lines %v", lines)
	}
	for i, w := range res.Workloads {
		pt := valueOf(t, m.Series[1+2*i].Data[0])
		bar := m.Series[2+2*i].Data
		lo, hi := valueOf(t, bar[0])[1], valueOf(t, bar[1])[1]
		if pt[0] != w.Planned || math.Abs(pt[1].(float64)-w.Diagnosis.Demand) > 1e-4 ||
			math.Abs(lo.(float64)-w.Diagnosis.Low) > 1e-4 || math.Abs(hi.(float64)-w.Diagnosis.High) > 1e-4 {
			t.Errorf("workload %s: point %v, bar %v to %v; want %.2f, %.4f [%.4f, %.4f]", w.Name, pt, lo, hi, w.Planned, w.Diagnosis.Demand, w.Diagnosis.Low, w.Diagnosis.High)
		}
	}
	// The per-workload chart says what the workload is, the margin, and
	// the rule; the near one says it is near.
	for i, w := range res.Workloads {
		sub := parse(t, cs[3+i]).Title.Subtext
		if !strings.Contains(sub, "it is "+string(w.Truth)) || !strings.Contains(sub, w.Diagnosis.Recommendation.Rule) ||
			!strings.Contains(sub, fmt.Sprintf("%.2f from the threshold %.1f", w.Diagnosis.Margin, w.Diagnosis.Threshold)) ||
			strings.Contains(sub, "(near") != w.Diagnosis.Near {
			t.Errorf("workload %s: subtitle %q", w.Name, sub)
		}
	}
}
