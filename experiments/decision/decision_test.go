package decision

import (
	"math"
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

// The classifier's margin: how far the demand is from the nearest
// threshold, and whether its interval over the run reaches across one.
func TestClassifyMargin(t *testing.T) {
	steady := make([]float64, 20)
	for i := range steady {
		steady[i] = 0.5
	}
	d := Classify(usageSeries(steady), 0)
	if d.Class != Mixed || d.Windows != Windows || d.Low != 0.5 || d.High != 0.5 || d.Near || math.Abs(d.Margin-0.3) > 1e-9 {
		t.Errorf("steady half core: %+v", d)
	}
	// 0.75 cores on average, swinging ±0.1 window to window: 0.05 under
	// the CPU-bound threshold, with an interval that reaches across it.
	var swing []float64
	for i := range 20 {
		swing = append(swing, 0.75+0.1*float64(1-2*(i/2%2)))
	}
	d = Classify(usageSeries(swing), 0)
	if d.Class != Mixed || d.Threshold != CPUBoundFrom || math.Abs(d.Margin-0.05) > 1e-9 || !d.Near || d.High < CPUBoundFrom {
		t.Errorf("0.75 ± 0.1: %+v", d)
	}
	if !strings.Contains(d.Reason, "only 0.05 cores from the threshold 0.8") || !strings.Contains(d.Reason, "it could as well be CPU-bound") {
		t.Errorf("reason %q", d.Reason)
	}
	// The same swing about 0.5 stays clear of both thresholds.
	for i := range swing {
		swing[i] -= 0.25
	}
	if d := Classify(usageSeries(swing), 0); d.Near || d.Low < IOBoundBelow || d.High > CPUBoundFrom {
		t.Errorf("0.5 ± 0.1: %+v", d)
	}
	// One sample: no interval.
	if d := Classify(usageSeries([]float64{0.3}), 0); d.Windows != 1 || d.Low != d.Demand || d.High != d.Demand {
		t.Errorf("one sample: %+v", d)
	}
}

func TestMargin(t *testing.T) {
	for _, c := range []struct {
		class Class
		x     float64
		want  float64
	}{
		{IOBound, 0.05, 0.15}, {IOBound, 0.3, -0.1},
		{Mixed, 0.5, 0.3}, {Mixed, 0.75, 0.05}, {Mixed, 0.1, -0.1}, {Mixed, 0.9, -0.1},
		{CPUBound, 2, 1.2}, {CPUBound, 0.7, -0.1},
	} {
		if got := Margin(c.class, c.x); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("Margin(%s, %v) = %v, want %v", c.class, c.x, got, c.want)
		}
		if got := ClassOf(c.x); (Margin(got, c.x) >= 0) != true {
			t.Errorf("%v reads as %s, outside its range", c.x, got)
		}
	}
	for _, c := range []struct {
		class             Class
		low, high         float64
		wantLow, wantHigh float64
	}{
		{Mixed, 0.7, 0.85, -0.05, 0.1},
		{Mixed, 0.4, 0.6, 0.2, 0.3}, // the middle, 0.5, is inside
		{IOBound, 0.01, 0.05, 0.15, 0.19},
		{CPUBound, 1.5, 2.1, 0.7, 1.3},
	} {
		lo, hi := MarginRange(c.class, c.low, c.high)
		if math.Abs(lo-c.wantLow) > 1e-9 || math.Abs(hi-c.wantHigh) > 1e-9 {
			t.Errorf("MarginRange(%s, %v, %v) = %v, %v, want %v, %v", c.class, c.low, c.high, lo, hi, c.wantLow, c.wantHigh)
		}
	}
}
