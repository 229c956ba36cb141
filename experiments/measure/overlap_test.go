package measure

import (
	"testing"
	"time"
)

func TestMostAtOnce(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		iv   []Interval
		want int
	}{
		{nil, 0},
		{[]Interval{{0, 10 * ms}}, 1},
		{[]Interval{{0, 10 * ms}, {10 * ms, 20 * ms}}, 1}, // touching: one after the other
		{[]Interval{{0, 10 * ms}, {5 * ms, 20 * ms}, {6 * ms, 7 * ms}}, 3},
		{[]Interval{{0, 10 * ms}, {20 * ms, 30 * ms}, {25 * ms, 26 * ms}}, 2},
	}
	for _, c := range cases {
		if got := MostAtOnce(c.iv); got != c.want {
			t.Errorf("MostAtOnce(%v) = %d, want %d", c.iv, got, c.want)
		}
	}
}
