package charts

import (
	"fmt"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/experiments/model"
)

// failedBars lays out the failed calls of some points by kind, a bar per
// point: a group per kind of error that failed any of their calls (a
// crashed run's calls all count as failed), or, where no call failed, one
// group of zeros.
type failedBars struct {
	pts []experiments.CallRuns
	// name names a group: a kind's description, or "errors of any kind".
	name func(what string) string
	// color is a kind's colour; noneColor the group of zeros'.
	color     func(k model.ErrKind) string
	noneColor string
	// at says whose point j is, to start its bar's tooltip.
	at func(j int) string
	// failed says how many of a point's calls failed: n of tasks.
	failed func(n, tasks int) string
}

// groups are the bar groups, in the order of model.ErrKinds.
func (fb failedBars) groups() []barGroup {
	var groups []barGroup
	for _, k := range model.ErrKinds() {
		g := barGroup{name: fb.name(k.Describe()), color: fb.color(k)}
		n := 0
		for j, p := range fb.pts {
			v := p.Errors[k]
			if p.Crash != "" {
				v = p.Tasks
			}
			n += v
			g.values = append(g.values, float64(v))
			g.names = append(g.names, fmt.Sprintf("%s: %s: %s", fb.at(j), fb.failed(v, p.Tasks), k.Describe()))
		}
		if n > 0 {
			groups = append(groups, g)
		}
	}
	if len(groups) > 0 {
		return groups
	}
	g := barGroup{name: fb.name("errors of any kind"), color: fb.noneColor}
	for j := range fb.pts {
		g.values = append(g.values, 0)
		g.names = append(g.names, fb.at(j)+": no call failed")
	}
	return []barGroup{g}
}

// repeated is a figure of a point: the median of its runs, with its 95%
// interval where it ran more than once (nil otherwise).
func repeated(p experiments.CallRuns, f func(experiments.CallPoint) float64) (float64, *measure.CI) {
	if len(p.Repeats) < 2 {
		return f(p.CallPoint), nil
	}
	ci := measure.MedianCI(p.Each(f), 0.95)
	return ci.Median, &ci
}

// errorsLine writes errors by kind for a tooltip.
func errorsLine(errs map[model.ErrKind]int) string { return model.DescribeErrors(errs, "no errors") }
