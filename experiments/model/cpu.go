package model

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
)

// roundsPerUnit is how many rounds of the mixing function make one unit of
// CPU work: about a microsecond on a current x86 core.
const roundsPerUnit = 512

// sink keeps the compiler from discarding the computation.
var sink atomic.Uint64

// burn computes units of work, calling yield every `every` units (if yield
// is not nil). It stops early, returning the units done, when yield returns
// false. The work is deterministic integer mixing (xorshift and a
// multiplicative hash) with a loop-carried dependency, so it cannot be
// skipped or vectorised away and costs the same on every call.
func burn(units, every int64, yield func() bool) int64 {
	x := uint64(0x9E3779B97F4A7C15) ^ uint64(units)
	if every <= 0 {
		every = units
	}
	var done int64
	for done < units {
		n := min(every, units-done)
		for u := int64(0); u < n; u++ {
			for r := 0; r < roundsPerUnit; r++ {
				x ^= x << 13
				x ^= x >> 7
				x ^= x << 17
				x *= 0xBF58476D1CE4E5B9
			}
		}
		done += n
		if yield != nil && done < units && !yield() {
			break
		}
	}
	sink.Add(x)
	return done
}

// Calibration maps units of CPU work to time on this machine.
type Calibration struct {
	// NsPerUnit is the fastest time per unit seen over several trials: the
	// cost on an undisturbed core.
	NsPerUnit float64 `json:"ns_per_unit"`
}

// UnitsFor returns the units that take about d to compute.
func (c Calibration) UnitsFor(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return max(1, int64(math.Round(float64(d)/c.NsPerUnit)))
}

// DurationOf returns the time units take to compute.
func (c Calibration) DurationOf(units int64) time.Duration {
	return time.Duration(float64(units) * c.NsPerUnit)
}

var (
	calOnce sync.Once
	cal     Calibration
)

// Calibrate measures the cost of a unit of CPU work once per process (about
// 100 ms the first time) and returns it.
func Calibrate() Calibration {
	calOnce.Do(func() {
		defer measure.Phase("cpu calibration")()
		cal = measureCalibration(7, 10*time.Millisecond)
	})
	return cal
}

func measureCalibration(trials int, each time.Duration) Calibration {
	// Find a unit count that takes about `each`.
	n := int64(64)
	for {
		t0 := time.Now()
		burn(n, 0, nil)
		if el := time.Since(t0); el >= each/4 {
			n = max(1, int64(float64(n)*float64(each)/float64(el)))
			break
		}
		n *= 4
	}
	best := math.Inf(1)
	for range trials {
		t0 := time.Now()
		burn(n, 0, nil)
		best = min(best, float64(time.Since(t0))/float64(n))
	}
	return Calibration{NsPerUnit: best}
}
