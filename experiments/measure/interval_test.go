package measure

import (
	"fmt"
	"math"
	"testing"
)

// The intervals below are worked by hand from the formulas in MedianCI's
// doc comment: binomial sums for the order statistics, t quantiles from a
// table for Student's t.
func TestMedianCI(t *testing.T) {
	cases := []struct {
		name      string
		xs        []float64
		median    float64
		low, high float64
		method    CIMethod
	}{
		// n = 6, k = 1: 1 − 2·(1/64) = 0.969; k = 2: 1 − 2·(7/64) = 0.781.
		{"six: the extremes", []float64{6, 1, 5, 2, 4, 3}, 3.5, 1, 6, OrderStatistics},
		// n = 10, k = 2: 1 − 2·(11/1024) = 0.979; k = 3: 1 − 2·(56/1024) = 0.891.
		{"ten: second from each end", []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 5.5, 2, 9, OrderStatistics},
		// n = 20, k = 6: 1 − 2·(21700/2^20) = 0.9586; k = 7: 1 − 2·(60460/2^20) = 0.885.
		{"twenty: sixth from each end", seq(20), 10.5, 6, 15, OrderStatistics},
		// n = 5: x̄ 3, s √2.5, s/√5 = 0.70711, t(4, 0.975) = 2.77645.
		{"five: Student's t", []float64{5, 1, 4, 2, 3}, 3, 3 - 1.96324, 3 + 1.96324, StudentT},
		// n = 3: x̄ 11, s 1, s/√3 = 0.57735, t(2, 0.975) = 4.30265.
		{"three: Student's t", []float64{12, 10, 11}, 11, 11 - 2.48414, 11 + 2.48414, StudentT},
		// n = 2: x̄ 2, s √2, s/√2 = 1, t(1, 0.975) = 12.7062.
		{"two: Student's t, wide", []float64{3, 1}, 2, 2 - 12.7062, 2 + 12.7062, StudentT},
		// n = 3 skewed: x̄ 4, s √27, s/√3 = 3, t(2, 0.975) = 4.30265; the
		// median 1 lies inside.
		{"three, skewed", []float64{1, 1, 10}, 1, 4 - 12.9080, 4 + 12.9080, StudentT},
		{"one value", []float64{7}, 7, 7, 7, OneValue},
	}
	for _, c := range cases {
		ci := MedianCI(c.xs, 0.95)
		if ci.N != len(c.xs) || ci.Method != c.method || ci.Level != 0.95 ||
			!near(ci.Median, c.median) || !near(ci.Low, c.low) || !near(ci.High, c.high) {
			t.Errorf("%s: got %+v, want median %v [%v, %v] by %s", c.name, ci, c.median, c.low, c.high, c.method)
		}
	}
	if ci := MedianCI(nil, 0.95); ci.N != 0 || !math.IsNaN(ci.Median) || !math.IsNaN(ci.Low) {
		t.Errorf("empty: %+v", ci)
	}
	// At a lower level, five values are enough for order statistics:
	// 1 − 2/32 = 0.9375 ≥ 0.9.
	if ci := MedianCI([]float64{5, 1, 4, 2, 3}, 0.9); ci.Method != OrderStatistics || ci.Low != 1 || ci.High != 5 {
		t.Errorf("five at 90%%: %+v", ci)
	}
	// The input is left as it was.
	xs := []float64{3, 1, 2}
	MedianCI(xs, 0.95)
	if xs[0] != 3 || xs[1] != 1 || xs[2] != 2 {
		t.Errorf("input reordered: %v", xs)
	}
}

func seq(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(n - i)
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-4*math.Max(1, math.Abs(b)) }

// Six runs of a one-second task: the median and the 95% interval between
// the fastest and the slowest run, which is what six values support.
func ExampleMedianCI() {
	runs := []float64{1.012, 1.004, 1.009, 1.006, 1.031, 1.007} // seconds
	ci := MedianCI(runs, 0.95)
	fmt.Printf("%.4f [%.4f, %.4f] by %s\n", ci.Median, ci.Low, ci.High, ci.Method)
	three := MedianCI(runs[:3], 0.95)
	fmt.Printf("%.4f [%.4f, %.4f] by %s\n", three.Median, three.Low, three.High, three.Method)
	// Output:
	// 1.0080 [1.0040, 1.0310] by order statistics
	// 1.0090 [0.9983, 1.0184] by Student's t
}

// y = 2x + 1 with residuals +0.1, −0.1, −0.1, +0.1 at x = 0, 1, 2, 3: the
// fit's slope stays 2 (the residuals have no trend), Σr² = 0.04,
// Σ(x − x̄)² = 5, so se = √(0.04 / 2 / 5) = 0.063246 and t(2, 0.975) =
// 4.30265 gives 2 ± 0.27212.
func TestSlopeCI(t *testing.T) {
	ci := SlopeCI([]float64{0, 1, 2, 3}, []float64{1.1, 2.9, 4.9, 7.1}, 0.95)
	if ci.Method != SlopeT || ci.N != 4 || !near(ci.Median, 2) || !near(ci.Low, 2-0.27212) || !near(ci.High, 2+0.27212) {
		t.Errorf("got %+v", ci)
	}
	if ci := SlopeCI([]float64{1, 2}, []float64{3, 5}, 0.95); ci.Method != OneValue || !near(ci.Low, 2) || !near(ci.High, 2) {
		t.Errorf("two points: %+v", ci)
	}
}

// MeanCI is the mean with Student's t: worked by hand as above.
func TestMeanCI(t *testing.T) {
	// n = 5: x̄ 3, s √2.5, s/√5 = 0.70711, t(4, 0.975) = 2.77645.
	ci := MeanCI([]float64{5, 1, 4, 2, 3}, 0.95)
	if ci.N != 5 || ci.Method != MeanT || !near(ci.Median, 3) || !near(ci.Low, 3-1.96324) || !near(ci.High, 3+1.96324) {
		t.Errorf("five: %+v", ci)
	}
	// Skewed: the mean, not the median, is the figure.
	if ci := MeanCI([]float64{1, 1, 10}, 0.95); !near(ci.Median, 4) || !near(ci.Low, 4-12.9080) {
		t.Errorf("skewed: %+v", ci)
	}
	// Ten equal windows: no spread, no width.
	if ci := MeanCI([]float64{0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5}, 0.95); ci.Low != 0.5 || ci.High != 0.5 || ci.N != 10 {
		t.Errorf("constant: %+v", ci)
	}
	if ci := MeanCI([]float64{7}, 0.95); ci.Method != OneValue || ci.Low != 7 || ci.High != 7 {
		t.Errorf("one: %+v", ci)
	}
	if ci := MeanCI(nil, 0.95); ci.N != 0 || !math.IsNaN(ci.Median) {
		t.Errorf("empty: %+v", ci)
	}
}
