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
		p := experiments.DefaultDiagnosis()
		p.Length, p.Tasks, p.Interval = 300*time.Millisecond, 5, 50*time.Millisecond
		return experiments.RunDiagnosis(context.Background(), p, nil)
	})
	sleepingResult = sync.OnceValues(func() (*experiments.SleepingResult, error) {
		p := experiments.DefaultSleeping()
		p.Tasks, p.Wait, p.Interval = 3, 100*time.Millisecond, 25*time.Millisecond
		p.Models = []string{"goroutines", "processes"}
		return experiments.RunSleeping(context.Background(), p, nil)
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

func TestForSleeping(t *testing.T) {
	res := must(sleepingResult())(t)
	pts := func(i int) int { return len(res.Points[i].Usage.Samples) + 1 }
	bars := []SeriesInfo{{"all at once: wall time", 2}, {"all at once: CPU time", 2}, {"one after another: wall time", 2}}
	cs := checkCharts(t, res, []want{
		{"Wall time and CPU time per model", bars},
		{"CPU utilisation while the tasks wait", []SeriesInfo{{"goroutines", pts(0)}, {"processes", pts(1)}}},
		{"All at once: 3 tasks each waiting 100ms, started together", []SeriesInfo{{"wait", 6}, {"serialise", 6}}},
	})
	p := parse(t, cs[1])
	// x = 0 is the clock start: the processes' spawn is before it.
	first := p.Series[1].Data[0].([]any)[0].(float64)
	if first >= 0 {
		t.Errorf("the processes' line starts at %v s, want before the clock start", first)
	}
	if p.YAxis[0]["max"] != 1.0 {
		t.Errorf("y axis up to %v cores, want 1", p.YAxis[0]["max"])
	}
	if sub := parse(t, cs[0]).Title.Subtext; !strings.Contains(sub, "CPU time while waiting, too small to see: goroutines") {
		t.Errorf("subtitle %q", sub)
	}
}
