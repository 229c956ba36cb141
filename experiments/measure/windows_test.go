package measure

import (
	"testing"
	"time"
)

// series builds a series from per-sample cores used and queued, every
// interval.
func series(interval time.Duration, used, queued []float64) CPUSeries {
	s := CPUSeries{Interval: interval}
	for i, u := range used {
		x := CPUSample{At: time.Duration(i+1) * interval, Cores: u, Waiting: queued[i]}
		s.CPU += time.Duration(u * float64(interval))
		s.Waiting += time.Duration(queued[i] * float64(interval))
		x.CPU = s.CPU
		s.Samples = append(s.Samples, x)
	}
	s.Wall = time.Duration(len(used)) * interval
	return s
}

// A program that computes for one sample and waits for the next, cut into
// windows of two samples: every window is half a core. Cut into windows of
// a sample and a half, the edges fall inside samples and are
// interpolated.
func TestWindows(t *testing.T) {
	ms := 50 * time.Millisecond
	s := series(ms, []float64{1, 0, 1, 0, 1, 0}, []float64{0.5, 0, 0.5, 0, 0.5, 0})
	used, queued := s.Windows(3)
	for i := range 3 {
		if !near(used[i], 0.5) || !near(queued[i], 0.25) {
			t.Errorf("window %d of 3: %.3f used, %.3f queued, want 0.5 and 0.25", i, used[i], queued[i])
		}
	}
	// Four windows of 75 ms: 50 ms computing and 25 of waiting, 25 of
	// waiting and 50 computing, 50 waiting and 25 computing, 25 computing
	// and 50 waiting.
	used, _ = s.Windows(4)
	want := []float64{50.0 / 75, 50.0 / 75, 25.0 / 75, 25.0 / 75}
	sum := 0.0
	for i, u := range used {
		sum += u
		if !near(u, want[i]) {
			t.Errorf("window %d of 4: %.4f, want %.4f", i, u, want[i])
		}
	}
	if !near(sum/4, s.Mean()) {
		t.Errorf("windows average %.4f, series mean %.4f", sum/4, s.Mean())
	}
	// More windows than samples: one per sample.
	if used, _ := s.Windows(100); len(used) != 6 || used[0] != 1 || used[1] != 0 {
		t.Errorf("100 windows of 6 samples: %v", used)
	}
	if used, queued := (CPUSeries{}).Windows(10); used != nil || queued != nil {
		t.Errorf("no samples: %v %v", used, queued)
	}
}
