package charts

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments"
)

var (
	diagnosisResult = sync.OnceValues(func() (*experiments.DiagnosisResult, error) {
		p := experiments.Diagnosis.Defaults()
		p.Length, p.Tasks, p.Interval = 300*time.Millisecond, 5, 50*time.Millisecond
		return experiments.Diagnosis.Run(context.Background(), &p, nil)
	})
)

func TestForDiagnosis(t *testing.T) {
	res := must(diagnosisResult())(t)
	pts := func(i int) int { return len(res.Workloads[i].Usage.Samples) + 1 }
	var wants []want
	wants = append(wants,
		want{"The clock alone cannot tell them apart", []SeriesInfo{{"wall time (perf_counter)", 3}, {"CPU time (process_time)", 3}}},
		want{"CPU utilisation over time: the three workloads", []SeriesInfo{{"workload A", pts(0)}, {"workload B", pts(1)}, {"workload C", pts(2)}}})
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
	// The per-workload chart says what the workload is, and the rule.
	sub := parse(t, cs[4]).Title.Subtext
	w := res.Workloads[2]
	if !strings.Contains(sub, "it is "+string(w.Truth)) || !strings.Contains(sub, w.Diagnosis.Recommendation.Rule) {
		t.Errorf("subtitle %q", sub)
	}
}
