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
	// Checked is set when NsPerUnit was measured by an earlier process and
	// kept (see CacheDirEnv): the fastest time per unit of this process's
	// short re-check, which agreed with NsPerUnit (see RecheckSlower).
	// It is 0 when this process measured NsPerUnit itself.
	Checked float64 `json:"checked_ns_per_unit,omitempty"`
	// At is when NsPerUnit was measured.
	At time.Time `json:"calibrated_at,omitzero"`
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

// Calibrate returns the cost of a unit of CPU work on this machine,
// measured once per process: in full (about 100 ms), or, where an earlier
// process's calibration was kept (see CacheDirEnv), by a re-check of about
// 20 ms that must agree with it.
func Calibrate() Calibration {
	calOnce.Do(func() { cal = calibrate(goCalibrationKey()) })
	return cal
}

// calibrate re-checks the calibration kept under key and returns it if the
// re-check agrees; otherwise it calibrates in full and keeps the result.
func calibrate(key string) Calibration {
	if k, ok := lookupCalibration(key); ok && k.Trial > 0 {
		end := measure.Phase("cpu calibration check")
		check := recheck(max(1, k.Trial/2), k.NsPer)
		end()
		if agrees(check, k.NsPer) {
			return Calibration{NsPerUnit: k.NsPer, Checked: check, At: k.At}
		}
	}
	end := measure.Phase("cpu calibration")
	c, trial := measureCalibration(7, 10*time.Millisecond)
	end()
	keepCalibration(keptCalibration{Key: key, NsPer: c.NsPerUnit, Trial: trial, At: c.At})
	return c
}

// measureCalibration finds a unit count that takes about `each` and returns
// the fastest of `trials` runs of it, and that count.
func measureCalibration(trials int, each time.Duration) (Calibration, int64) {
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
	return Calibration{NsPerUnit: fastestTrial(n, trials), At: time.Now().UTC()}, n
}

// recheck runs trials of n units until the fastest agrees with kept (see
// agrees), two at least and seven at most, and returns the fastest time
// per unit. A trial on a busy machine can only be slower than on an idle
// one: more trials give the fastest more chances to be an undisturbed one,
// as in a full calibration, while an idle machine needs only two. It stops
// at once when the fastest is faster than kept allows: more trials can
// only be faster still.
func recheck(n int64, kept float64) float64 {
	best := math.Inf(1)
	for i := range 7 {
		best = min(best, fastestTrial(n, 1))
		if best < kept*(1-RecheckFaster) || i >= 1 && agrees(best, kept) {
			break
		}
	}
	return best
}

// fastestTrial is the fastest time per unit over `trials` runs of n units.
func fastestTrial(n int64, trials int) float64 {
	best := math.Inf(1)
	for range trials {
		t0 := time.Now()
		burn(n, 0, nil)
		best = min(best, float64(time.Since(t0))/float64(n))
	}
	return best
}
