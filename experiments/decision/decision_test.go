package decision

import (
	"strings"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
)

// usageSeries builds a utilisation series from per-sample cores (and, if given,
// cores waiting for a CPU), 100 ms apart.
func usageSeries(cores []float64, waiting ...float64) measure.CPUSeries {
	s := measure.CPUSeries{Interval: 100 * time.Millisecond, Cores: 2}
	for i, c := range cores {
		x := measure.CPUSample{At: time.Duration(i+1) * s.Interval, Cores: c}
		if i < len(waiting) {
			x.Waiting = waiting[i]
			s.Waiting += time.Duration(waiting[i] * float64(s.Interval))
		}
		s.CPU += time.Duration(c * float64(s.Interval))
		x.CPU = s.CPU
		s.Samples = append(s.Samples, x)
	}
	s.Wall = time.Duration(len(cores)) * s.Interval
	return s
}

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		name    string
		s       measure.CPUSeries
		conc    int
		class   Class
		rule    string
		reasons []string
	}{
		{"idle", usageSeries([]float64{0, 0.01, 0, 0.02, 0}), 0, IOBound, "I/O-bound → threads for moderate", []string{"idle while it ran"}},
		{"idle, 50 waits", usageSeries([]float64{0.01, 0.01}), 50, IOBound, "moderate concurrency (50 waits at once) → threads", nil},
		{"idle, 1000 waits", usageSeries([]float64{0.01, 0.01}), 1000, IOBound, "high concurrency (1000 waits at once) → async", nil},
		{"one core busy", usageSeries([]float64{1, 0.98, 1.02, 1}), 0, CPUBound, "multiprocessing", []string{"kept the CPU busy"}},
		{"two cores busy", usageSeries([]float64{2, 2, 1.9}), 0, CPUBound, "multiprocessing", nil},
		{"just under a core", usageSeries([]float64{0.85, 0.8, 0.8, 0.75}), 0, CPUBound, "multiprocessing", nil},
		{"half and half", usageSeries([]float64{1, 0, 1, 0, 1, 0}), 0, Mixed, "split it", []string{"idle in 50% of the samples"}},
		{"a fifth of a core", usageSeries([]float64{0.2, 0.2}), 0, Mixed, "split it", nil},
		// Crowded out by other processes: it got half a core but wanted
		// one; still computing-bound, not waiting on I/O.
		{"crowded out", usageSeries([]float64{0.5, 0.5, 0.5}, 0.5, 0.5, 0.5), 0, CPUBound, "multiprocessing", []string{"1.00 cores on average (100% of one core): 0.50 used, 0.50 waiting for a CPU"}},
		{"no samples", measure.CPUSeries{}, 0, IOBound, "I/O-bound", nil},
	} {
		d := Classify(c.s, c.conc)
		if d.Class != c.class || !strings.Contains(d.Recommendation.Rule, c.rule) {
			t.Errorf("%s: %s (%s), want %s (%s); mean %.2f demand %.2f", c.name, d.Class, d.Recommendation.Rule, c.class, c.rule, d.Mean, d.Demand)
		}
		for _, r := range c.reasons {
			if !strings.Contains(d.Reason, r) {
				t.Errorf("%s: reason %q lacks %q", c.name, d.Reason, r)
			}
		}
		if d.Recommendation.Python == "" || d.Recommendation.Go == "" {
			t.Errorf("%s: recommendation %+v", c.name, d.Recommendation)
		}
	}
}

// The thresholds sit where the lecture draws the line: mostly idle is
// I/O-bound, a core kept busy is CPU-bound.
func TestClassifyThresholds(t *testing.T) {
	if c := Classify(usageSeries([]float64{IOBoundBelow - 0.01}), 0).Class; c != IOBound {
		t.Errorf("just under %.1f: %s", IOBoundBelow, c)
	}
	if c := Classify(usageSeries([]float64{CPUBoundFrom}), 0).Class; c != CPUBound {
		t.Errorf("at %.1f: %s", CPUBoundFrom, c)
	}
	if c := Classify(usageSeries([]float64{CPUBoundFrom - 0.01}), 0).Class; c != Mixed {
		t.Errorf("just under %.1f: %s", CPUBoundFrom, c)
	}
}
