package measure

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// CIMethod says how a confidence interval was found.
type CIMethod string

// The methods MedianCI uses, by the number of values it is given.
const (
	// OrderStatistics is the distribution-free interval for the median
	// between two order statistics, as benchstat reports it.
	OrderStatistics CIMethod = "order statistics"
	// StudentT is the interval for the mean from Student's t distribution,
	// for samples too small for OrderStatistics at the level asked.
	StudentT CIMethod = "Student's t"
	// OneValue is a single value: there is no interval to find.
	OneValue CIMethod = "one value"
)

// CI is a sample's median with a confidence interval around it.
type CI struct {
	// Median is the sample's median: the middle value, or the mean of the
	// two middle values for an even count.
	Median float64 `json:"median"`
	// Low and High bound the interval; both are Median for one value.
	Low  float64 `json:"low"`
	High float64 `json:"high"`
	// N is the number of values, Level the interval's confidence (0.95 for
	// 95%), Method how the interval was found.
	N      int      `json:"n"`
	Level  float64  `json:"level"`
	Method CIMethod `json:"method"`
}

// MedianCI returns the median of xs (which it does not modify) and a
// confidence interval of the given level (0 < level < 1, e.g. 0.95) that
// never claims more precision than the values support:
//
//   - Order statistics, where n is large enough: with x(1) ≤ … ≤ x(n) the
//     sorted values and B ~ Binomial(n, ½), the interval is
//     [x(k), x(n+1−k)] for the largest k ≥ 1 with
//     P(k ≤ B ≤ n−k) = 1 − 2·P(B ≤ k−1) ≥ level. It covers the true median
//     with probability at least level whatever the distribution. At 95% it
//     exists from n = 6 (k = 1: 1 − 2/64 = 0.969); at n = 5 the widest,
//     [x(1), x(5)], covers only 1 − 2/32 = 0.9375.
//   - Student's t, for 2 ≤ n too small for that: x̄ ± t(n−1, (1+level)/2) ·
//     s/√n, with x̄ the mean and s the sample standard deviation; it assumes
//     roughly normal values and is wide for few of them (t = 12.7 for two
//     values at 95%). If the median falls outside it, the interval is
//     widened to include the median.
//   - One value: Low = High = Median, Method OneValue.
//
// An empty xs gives N 0 and NaN figures.
func MedianCI(xs []float64, level float64) CI {
	n := len(xs)
	ci := CI{N: n, Level: level}
	if n == 0 {
		nan := math.NaN()
		ci.Median, ci.Low, ci.High = nan, nan, nan
		return ci
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	ci.Median = s[(n-1)/2]
	if n%2 == 0 {
		ci.Median = (s[n/2-1] + s[n/2]) / 2
	}
	if n == 1 {
		ci.Low, ci.High, ci.Method = s[0], s[0], OneValue
		return ci
	}
	if k := orderStatistic(n, level); k > 0 {
		ci.Low, ci.High, ci.Method = s[k-1], s[n-k], OrderStatistics
		return ci
	}
	mean, half := meanT(s, level)
	ci.Low = math.Min(mean-half, ci.Median)
	ci.High = math.Max(mean+half, ci.Median)
	ci.Method = StudentT
	return ci
}

// MeanT is the interval of a mean from Student's t (MeanCI).
const MeanT CIMethod = "Student's t on the mean"

// MeanCI returns the mean of xs as the CI's Median (the figure judged)
// with the confidence interval of the given level from Student's t:
// x̄ ± t(n−1, (1+level)/2) · s/√n. It is the interval of batch means: xs
// are the means of consecutive windows of one long series (a utilisation
// over time, see CPUSeries.Windows), each long enough that its neighbours
// barely depend on it, so that their spread says how far the whole
// series' mean could be from the process's. It assumes roughly normal
// window means. One value has no interval (Method OneValue); an empty xs
// gives N 0 and NaN figures.
func MeanCI(xs []float64, level float64) CI {
	n := len(xs)
	ci := CI{N: n, Level: level}
	switch n {
	case 0:
		nan := math.NaN()
		ci.Median, ci.Low, ci.High = nan, nan, nan
		return ci
	case 1:
		ci.Median, ci.Low, ci.High, ci.Method = xs[0], xs[0], xs[0], OneValue
		return ci
	}
	mean, half := meanT(xs, level)
	ci.Median, ci.Low, ci.High, ci.Method = mean, mean-half, mean+half, MeanT
	return ci
}

// meanT is the mean of xs (two or more values) and the half width of its
// interval of the given level from Student's t.
func meanT(xs []float64, level float64) (mean, half float64) {
	mean, sd := stat.MeanStdDev(xs, nil)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(len(xs) - 1)}.Quantile((1 + level) / 2)
	return mean, t * sd / math.Sqrt(float64(len(xs)))
}

// orderStatistic is the largest k ≥ 1 for which [x(k), x(n+1−k)] covers the
// median with probability at least level, or 0 if none does.
func orderStatistic(n int, level float64) int {
	b := distuv.Binomial{N: float64(n), P: 0.5}
	best := 0
	for k := 1; 2*k <= n; k++ {
		if 1-2*b.CDF(float64(k-1)) < level {
			break
		}
		best = k
	}
	return best
}

// SlopeT is the interval of a least-squares slope (SlopeCI).
const SlopeT CIMethod = "Student's t on a least-squares slope"

// SlopeCI fits y = α + β·x by least squares and returns β as the CI's
// Median with a confidence interval of the given level:
//
//	β ± t(n−2, (1+level)/2) · √( Σ(yᵢ − α − β·xᵢ)² / (n−2) / Σ(xᵢ − x̄)² )
//
// from the residuals' spread (it assumes roughly normal residuals). With
// two points, or x all equal, Low = High = β and Method is OneValue: there
// is no spread to estimate.
func SlopeCI(xs, ys []float64, level float64) CI {
	n := len(xs)
	alpha, beta := stat.LinearRegression(xs, ys, nil, false)
	ci := CI{Median: beta, Low: beta, High: beta, N: n, Level: level, Method: OneValue}
	mean := stat.Mean(xs, nil)
	var sxx, sse float64
	for i, x := range xs {
		sxx += (x - mean) * (x - mean)
		r := ys[i] - alpha - beta*x
		sse += r * r
	}
	if n < 3 || sxx == 0 {
		return ci
	}
	se := math.Sqrt(sse / float64(n-2) / sxx)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 2)}.Quantile((1 + level) / 2)
	ci.Low, ci.High, ci.Method = beta-t*se, beta+t*se, SlopeT
	return ci
}
