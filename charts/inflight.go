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
		type event struct {
			at    float64
			delta int
		}
		var events []event
		for _, s := range run.Spans {
			events = append(events, event{round(units.Millis(s.Start), 3), +1}, event{round(units.Millis(s.End), 3), -1})
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
		n, most := 0, 0
		s.points = append(s.points, point{x: 0, y: 0})
		for _, e := range events {
			// A vertical step at each start and end: the count before,
			// then after.
			last := float64(n)
			n += e.delta
			most = max(most, n)
			s.points = append(s.points, point{x: e.at, y: last},
				point{x: e.at, y: float64(n), name: fmt.Sprintf("%s: %d tasks in flight from %.1f ms", h.Model, n, e.at)})
		}
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
	y := yValue("tasks in flight (holding a slot)")
	y.Min = 0
	return xyChart("semaphore_inflight", f, valueAxis("time since the run started (ms)"), y, series)
}
