package measure

import (
	"slices"
	"time"
)

// Interval is a stretch of time, from Start to End, as offsets from any
// common origin.
type Interval struct {
	Start, End time.Duration
}

// MostAtOnce is the most intervals in progress at the same instant; an
// interval that ends at the instant another begins does not overlap it.
func MostAtOnce(iv []Interval) int {
	type edge struct {
		at    time.Duration
		delta int
	}
	es := make([]edge, 0, 2*len(iv))
	for _, v := range iv {
		es = append(es, edge{v.Start, 1}, edge{v.End, -1})
	}
	slices.SortFunc(es, func(a, b edge) int {
		if a.at != b.at {
			return int(a.at - b.at)
		}
		return a.delta - b.delta
	})
	cur, best := 0, 0
	for _, e := range es {
		cur += e.delta
		best = max(best, cur)
	}
	return best
}
