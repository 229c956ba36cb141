package charts

import (
	"fmt"
	"slices"

	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/internal/units"
)

// semaphoreInFlight draws, for one headline run per model (the run nearest
// the median), how many tasks held a semaphore slot over time, as a step
// line: a flat top at the limit, one step down and up per round of waits,
// where a timeline would show a wall of segments. The limit is drawn as a
// line. It returns nil when no headline has a run.
func semaphoreInFlight(res *experiments.SemaphoreResult, stamp string) (*Chart, error) {
	var series []xySeries
	limit, tasks, latency := 0, 0, ""
	for i, h := range res.Headline {
		at, ok := nearestRun(res, h)
		if !ok {
			continue
		}
		limit, tasks, latency = h.Limit, h.Tasks, h.Latency.String()
		run := res.Runs[at].Run
		var events []event
		for _, s := range run.Spans {
			events = append(events, event{ms(s.Start), +1}, event{ms(s.End), -1})
		}
		// Ends before starts at the same instant: a slot handed over is
		// not two tasks in flight.
		slices.SortStableFunc(events, func(a, b event) int {
			if a.at != b.at {
				if a.at < b.at {
					return -1
				}
				return 1
			}
			return a.delta - b.delta
		})
		s := xySeries{name: h.Model, color: modelColor(h.Model, i), symbol: "none"}
		var most int
		s.points, most = inFlightSteps(h.Model, events, units.Millis(run.Totals.Wall)/inFlightBuckets)
		s.name = fmt.Sprintf("%s (at most %d at once)", h.Model, most)
		series = append(series, s)
	}
	if len(series) == 0 {
		return nil, nil
	}
	series[0].marks = []opts.MarkLineNameYAxisItem{{Name: fmt.Sprintf("the limit: %d", limit), YAxis: float64(limit)}}
	f := frame{
		title:   fmt.Sprintf("Tasks in flight: %d tasks waiting %s, at most %d at a time", tasks, latency, limit),
		context: "one headline run per model (the run nearest the median) · a task is in flight from taking a semaphore slot to giving it back",
		stamp:   stamp,
	}
	return xyChart("semaphore_inflight", f, valueAxis("time since the run started (ms)"), yFromZero("tasks in flight (holding a slot)"), series)
}

// event is a task taking (+1) or giving back (-1) a slot, at a time in ms.
type event struct {
	at    float64
	delta int
}

// inFlightBuckets is how many stretches of a run the in-flight line
// resolves: about a pixel each on a chart's width. A run's thousands of
// starts and ends come in bursts a few microseconds apart, which a point
// each would draw no differently and weigh hundreds of kilobytes in a
// handout.
const inFlightBuckets = 1000

// inFlightSteps turns events, in time order, into a step line's points, one
// group per stretch of width ms: the count on entering the stretch, the
// lowest and the highest it reached inside it in the order they came, and
// the count on leaving it. The peak and the dips survive however many tasks
// start and end inside one stretch. It returns the points and the most in
// flight at once.
func inFlightSteps(model string, events []event, width float64) ([]point, int) {
	pts := []point{{x: 0, y: 0}}
	n, most := 0, 0
	for i := 0; i < len(events); {
		at, before := events[i].at, n
		low, high, lowAt, highAt := n, n, -1, -1
		j := i
		for ; j < len(events) && (j == i || width > 0 && events[j].at < at+width); j++ {
			n += events[j].delta
			if n < low {
				low, lowAt = n, j
			}
			if n > high {
				high, highAt = n, j
			}
		}
		most = max(most, high)
		pts = append(pts, point{x: at, y: float64(before)})
		first, second := lowAt, highAt
		if first > second {
			first, second = second, first
		}
		for _, k := range []int{first, second} {
			switch {
			case k < 0:
			case k == lowAt:
				pts = append(pts, point{x: at, y: float64(low)})
			default:
				pts = append(pts, point{x: at, y: float64(high)})
			}
		}
		pts = append(pts, point{x: at, y: float64(n), name: fmt.Sprintf("%s: %d tasks in flight from %.1f ms", model, n, at)})
		i = j
	}
	return pts, most
}
