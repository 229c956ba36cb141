package measure

import (
	"math"
	"slices"
	"time"

	"github.com/boundlab/boundlab/internal/units"
	"gonum.org/v1/gonum/stat"
)

// Summary describes a sample of durations in milliseconds: count, mean,
// standard deviation and the quantiles the lecture talks about (the tail).
type Summary struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean_ms"`
	Std  float64 `json:"std_ms"`
	Min  float64 `json:"min_ms"`
	P50  float64 `json:"p50_ms"`
	P95  float64 `json:"p95_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
}

// Summarize computes a Summary of ds. An empty sample gives the zero Summary.
func Summarize(ds []time.Duration) Summary {
	if len(ds) == 0 {
		return Summary{}
	}
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = units.Millis(d)
	}
	return SummarizeMillis(xs)
}

// SummarizeMillis computes a Summary of xs, already in milliseconds.
func SummarizeMillis(xs []float64) Summary {
	if len(xs) == 0 {
		return Summary{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	mean, std := stat.MeanStdDev(s, nil)
	if math.IsNaN(std) {
		std = 0
	}
	return Summary{
		N:    len(s),
		Mean: mean,
		Std:  std,
		Min:  s[0],
		P50:  stat.Quantile(0.50, stat.Empirical, s, nil),
		P95:  stat.Quantile(0.95, stat.Empirical, s, nil),
		P99:  stat.Quantile(0.99, stat.Empirical, s, nil),
		Max:  s[len(s)-1],
	}
}

// Median returns the median of xs (which it does not modify).
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return stat.Quantile(0.5, stat.Empirical, s, nil)
}

// LinearFit fits y = alpha + beta*x by least squares and returns alpha,
// beta and the coefficient of determination R².
func LinearFit(xs, ys []float64) (alpha, beta, r2 float64) {
	alpha, beta = stat.LinearRegression(xs, ys, nil, false)
	r2 = stat.RSquared(xs, ys, nil, alpha, beta)
	return alpha, beta, r2
}
