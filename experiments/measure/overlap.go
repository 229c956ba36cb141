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

// MostAtOnce is the most intervals in progress together for longer than
// over: with over 0, at any instant (an interval that ends at the instant
// another begins does not overlap it, and an empty one overlaps nothing);
// with over d, an overlap of k intervals counts only where k or more stay
// in progress, without a break, for more than d. The latter is how a count
// is read from intervals whose edges are known only to within d/2 (a
// clock's resolution, a sampling period): a shorter overlap may be an
// artefact of the edges. It is the one sweep over start and end edges that
// every "most at once" figure (tasks computing, encoding, alive, holding a
// lock) is read with.
func MostAtOnce(iv []Interval, over time.Duration) int {
	type edge struct {
		at    time.Duration
		delta int
	}
	es := make([]edge, 0, 2*len(iv))
	for _, v := range iv {
		if v.End > v.Start {
			es = append(es, edge{v.Start, 1}, edge{v.End, -1})
		}
	}
	slices.SortFunc(es, func(a, b edge) int {
		if a.at != b.at {
			return int(a.at - b.at)
		}
		return a.delta - b.delta
	})
	// The count between successive edges: level k holds from one edge to
	// the next.
	type level struct {
		from, to time.Duration
		n        int
	}
	var levels []level
	cur, best := 0, 0
	for i, e := range es {
		cur += e.delta
		if i+1 < len(es) && es[i+1].at > e.at {
			levels = append(levels, level{e.at, es[i+1].at, cur})
			best = max(best, cur)
		}
	}
	if over <= 0 {
		return best
	}
	// The highest k held, without a break, for more than over.
	for k := best; k > 0; k-- {
		var run time.Duration
		for i, l := range levels {
			if l.n < k || (i > 0 && levels[i-1].to != l.from) {
				run = 0
			}
			if l.n >= k {
				run += l.to - l.from
				if run > over {
					return k
				}
			}
		}
	}
	return 0
}
