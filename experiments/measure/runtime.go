package measure

import (
	"math"
	"runtime/metrics"
	"time"
)

// Runtime is a reading of the Go runtime's own counters (runtime/metrics;
// reading them does not stop the world, unlike runtime.ReadMemStats).
type Runtime struct {
	// HeapObjects is the memory in live and not yet swept heap objects;
	// Stacks the memory of goroutine stacks; Goroutines how many exist.
	HeapObjects int64 `json:"heap_objects_bytes"`
	Stacks      int64 `json:"stacks_bytes"`
	Goroutines  int64 `json:"goroutines"`
}

var runtimeNames = []string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/stacks:bytes",
	"/sched/goroutines:goroutines",
}

// ReadRuntime reads the runtime's heap, stack and goroutine counts now.
func ReadRuntime() Runtime {
	v := ReadMetrics(runtimeNames...)
	return Runtime{HeapObjects: v[0], Stacks: v[1], Goroutines: v[2]}
}

// ReadMetrics reads runtime/metrics counters by name, in the order given;
// a name that is not an unsigned counter reads as 0.
func ReadMetrics(names ...string) []int64 {
	s := make([]metrics.Sample, len(names))
	for i, n := range names {
		s[i].Name = n
	}
	metrics.Read(s)
	out := make([]int64, len(s))
	for i := range s {
		if s[i].Value.Kind() == metrics.KindUint64 {
			out[i] = int64(s[i].Value.Uint64())
		}
	}
	return out
}

// SchedHistogram is the runtime's histogram of how long goroutines waited,
// runnable, before they ran (/sched/latencies:seconds) since the program
// started: the scheduler's queueing delay.
type SchedHistogram struct {
	counts  []uint64
	buckets []float64
}

// ReadSchedLatencies reads the histogram now.
func ReadSchedLatencies() SchedHistogram {
	s := []metrics.Sample{{Name: "/sched/latencies:seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64Histogram {
		return SchedHistogram{}
	}
	h := s[0].Value.Float64Histogram()
	return SchedHistogram{counts: append([]uint64(nil), h.Counts...), buckets: append([]float64(nil), h.Buckets...)}
}

// SchedLatency summarises scheduling delays between two histogram
// readings: how many goroutines became runnable and the quantiles of their
// wait, each the upper bound of its histogram bucket (the buckets are
// about 12% wide).
type SchedLatency struct {
	N   uint64        `json:"n"`
	P50 time.Duration `json:"p50_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
}

// Since summarises the delays recorded between earlier and h.
func (h SchedHistogram) Since(earlier SchedHistogram) SchedLatency {
	if len(h.counts) == 0 {
		return SchedLatency{}
	}
	d := make([]uint64, len(h.counts))
	var n uint64
	for i, c := range h.counts {
		if i < len(earlier.counts) {
			c -= earlier.counts[i]
		}
		d[i] = c
		n += c
	}
	out := SchedLatency{N: n}
	if n == 0 {
		return out
	}
	upper := func(i int) time.Duration {
		b := h.buckets[i+1]
		if math.IsInf(b, 1) {
			b = h.buckets[i]
		}
		return time.Duration(b * 1e9)
	}
	var cum uint64
	for i, c := range d {
		if c == 0 {
			continue
		}
		prev := cum
		cum += c
		if prev < (n+1)/2 && cum >= (n+1)/2 {
			out.P50 = upper(i)
		}
		if p99 := uint64(math.Ceil(float64(n) * 0.99)); prev < p99 && cum >= p99 {
			out.P99 = upper(i)
		}
		out.Max = upper(i)
	}
	return out
}
