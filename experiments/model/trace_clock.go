package model

import (
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
)

// A traced CPU step in a worker process (see TraceClock) reads its
// thread's CPU clock every clockChunk units of work (about 50 µs) and
// records a stretch off the CPU longer than clockGap; shorter ones stay in
// the on-CPU time. Undisturbed, a chunk's wall time and CPU time agree to
// well under a microsecond; a thread sharing a core with others can be
// switched out for about 100 µs at a time, so the threshold must sit well
// below that.
const (
	clockChunk = 50
	clockGap   = 20 * time.Microsecond
)

// clockResolution is how far an edge of a clock-traced step's Sched may be
// off when every chunk costs its calibrated CPU: a stretch off the CPU is
// placed in the middle of the chunk it was found in, and a shorter one
// than clockGap is not seen. A chunk that held a switch off the CPU costs
// more (measured here: 60 µs undisturbed, a median of 76 µs and up to
// 0.4 ms for the chunks that held a switch, the switch's own cost
// counted on the thread's clock), so a traced run reports the largest
// bound its steps saw (clockBurn's edge), not less than this.
func clockResolution() time.Duration {
	return Calibrate().DurationOf(clockChunk) + clockGap
}

// clockBurn computes units on the calling thread, which must be locked to
// it, and returns the step's scheduling on CLOCK_MONOTONIC (see
// TraceClock): on a CPU but for the stretches off it, of which the part the
// kernel counted as run-queue delay is runnable, placed at the stretch's
// end (a thread that was blocked queues when it wakes). Where the kernel
// keeps no run-queue delay, a whole stretch is runnable: the thread
// computes and never blocks, so off its CPU it waits for one. edge bounds
// how far an edge it placed may be off: the CPU time of the costliest
// chunk a stretch was found in, and clockGap.
func clockBurn(units int64) (segs []monoSeg, edge time.Duration) {
	var out []monoSeg
	t0 := measure.Mono()
	tPrev, cPrev := t0, measure.ThreadCPU()
	_, dPrev, sched := measure.ThreadSchedstat()
	on := t0 // the current stretch on a CPU began
	check := func() bool {
		t, c := measure.Mono(), measure.ThreadCPU()
		ran := int64(c - cPrev)
		if off := (t - tPrev) - ran; off > int64(clockGap) {
			from, to := tPrev+ran/2, t-(ran-ran/2)
			queued := to - from
			if sched {
				_, d, ok := measure.ThreadSchedstat()
				if ok {
					queued = min(max(int64(d-dPrev), 0), to-from)
					dPrev = d
				}
			}
			edge = max(edge, time.Duration(ran)+clockGap)
			out = append(out, monoSeg{Kind: KindOnCPU, Start: on, End: from})
			if queued > 0 {
				out = append(out, monoSeg{Kind: KindRunnable, Start: to - queued, End: to})
			}
			on = to
		}
		tPrev, cPrev = t, c
		return true
	}
	burn(units, clockChunk, check)
	check()
	return append(out, monoSeg{Kind: KindOnCPU, Start: on, End: tPrev}), edge
}

// onTimeline moves a worker's segments, on CLOCK_MONOTONIC, onto the run's
// timeline by off.
func onTimeline(segs []monoSeg, off func(int64) time.Duration) []Segment {
	if len(segs) == 0 {
		return nil
	}
	out := make([]Segment, 0, len(segs))
	for _, s := range segs {
		out = append(out, Segment{Kind: s.Kind, Start: off(s.Start), End: off(s.End)})
	}
	return out
}
