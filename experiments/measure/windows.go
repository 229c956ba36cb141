package measure

import "time"

// Windows cuts the series into k windows of equal time, from its first
// reading to its last, and returns the tree's mean utilisation in each
// (used, in cores: CPU time over the window's length) and its mean time
// queued for a CPU (queued, in cores: run-queue delay over the window's
// length). A window's edges fall between readings: the CPU time and delay
// there are interpolated, as if spread evenly over the sample they fall in.
// The means of the windows average to Mean and MeanWaiting.
//
// The windows are the batches of the batch-means method: a utilisation
// series is autocorrelated sample to sample (a program computes for a while,
// then waits for a while), but the means of windows much longer than that
// vary nearly independently, so their spread gives an interval for the
// series' mean (MeanCI). k is capped at the number of samples; with no
// samples there are no windows.
func (s CPUSeries) Windows(k int) (used, queued []float64) {
	n := len(s.Samples)
	k = min(k, n)
	if k < 1 || s.Wall <= 0 {
		return nil, nil
	}
	// The cumulative figures at each reading: at[i], cpu[i], delay[i],
	// with the first reading at index 0.
	at := make([]time.Duration, n+1)
	cpu := make([]float64, n+1)
	delay := make([]float64, n+1)
	for i, x := range s.Samples {
		at[i+1] = x.At
		cpu[i+1] = float64(x.CPU)
		delay[i+1] = delay[i] + x.Waiting*float64(x.At-at[i])
	}
	// value interpolates a cumulative figure at offset t.
	value := func(c []float64, t float64) float64 {
		for i := 1; i <= n; i++ {
			if t <= float64(at[i]) {
				a, b := float64(at[i-1]), float64(at[i])
				if b <= a {
					return c[i]
				}
				return c[i-1] + (t-a)/(b-a)*(c[i]-c[i-1])
			}
		}
		return c[n]
	}
	w := float64(s.Wall) / float64(k)
	for j := range k {
		from, to := float64(j)*w, float64(j+1)*w
		used = append(used, (value(cpu, to)-value(cpu, from))/w)
		queued = append(queued, (value(delay, to)-value(delay, from))/w)
	}
	return used, queued
}
