package measure

import (
	"testing"
	"time"
)

func TestMostAtOnce(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		iv   []Interval
		over time.Duration
		want int
	}{
		{nil, 0, 0},
		{[]Interval{{0, 10 * ms}}, 0, 1},
		{[]Interval{{0, 10 * ms}, {10 * ms, 20 * ms}}, 0, 1}, // touching: one after the other
		{[]Interval{{0, 10 * ms}, {5 * ms, 20 * ms}, {6 * ms, 7 * ms}}, 0, 3},
		{[]Interval{{0, 10 * ms}, {20 * ms, 30 * ms}, {25 * ms, 26 * ms}}, 0, 2},
		{[]Interval{{0, 10 * ms}, {5 * ms, 5 * ms}}, 0, 1}, // empty: overlaps nothing
		// Over a duration: the three overlap for 1 ms, two of them for 5.
		{[]Interval{{0, 10 * ms}, {5 * ms, 20 * ms}, {6 * ms, 7 * ms}}, 2 * ms, 2},
		{[]Interval{{0, 10 * ms}, {5 * ms, 20 * ms}, {6 * ms, 7 * ms}}, 500 * time.Microsecond, 3},
		{[]Interval{{0, 10 * ms}, {5 * ms, 20 * ms}}, 5 * ms, 1}, // exactly 5 ms: not more than
		{[]Interval{{0, 10 * ms}, {9 * ms, 20 * ms}}, 5 * ms, 1},
		// Two overlaps of 3 ms with a break between: neither lasts 4 ms,
		// nor does any interval.
		{[]Interval{{0, 3 * ms}, {0, 3 * ms}, {4 * ms, 7 * ms}, {4 * ms, 7 * ms}}, 4 * ms, 0},
		{[]Interval{{0, 3 * ms}, {0, 3 * ms}, {3 * ms, 7 * ms}, {4 * ms, 7 * ms}}, 4 * ms, 1},
		// Two held for 6 ms though the pairs change: a run of level 2.
		{[]Interval{{0, 4 * ms}, {1 * ms, 7 * ms}, {3 * ms, 10 * ms}}, 5 * ms, 2},
		{nil, ms, 0},
	}
	for _, c := range cases {
		if got := MostAtOnce(c.iv, c.over); got != c.want {
			t.Errorf("MostAtOnce(%v, %v) = %d, want %d", c.iv, c.over, got, c.want)
		}
	}
}
