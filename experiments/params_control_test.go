package experiments

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Every question's parameters describe themselves for a control panel:
// a single number has bounds that hold its default and that Set accepts
// and refuses just outside; a choice lists the values Set accepts.
func TestParamControls(t *testing.T) {
	kinds := map[ControlKind]int{}
	for _, q := range Questions() {
		for _, x := range q.NewParams(false).Params() {
			c := x.Control()
			kinds[c.Kind]++
			switch c.Kind {
			case ControlCount:
				if c.Min > c.Max {
					t.Errorf("%s --%s: bounds %d > %d", q.Name(), x.Name, c.Min, c.Max)
				}
				if !strings.Contains(x.Allowed, "from") {
					t.Errorf("%s --%s: a count whose allowed values %q give no range", q.Name(), x.Name, x.Allowed)
				}
			case ControlChoices:
				for _, v := range strings.Split(x.String(), ",") {
					if !slices.Contains(c.Choices, v) {
						t.Errorf("%s --%s: default %q is not among the choices %v", q.Name(), x.Name, v, c.Choices)
					}
				}
			}
		}
	}
	if kinds[ControlCount] == 0 || kinds[ControlDuration] == 0 || kinds[ControlChoices] == 0 || kinds[ControlText] == 0 {
		t.Errorf("controls by kind: %v; want counts, durations, choices and text among the questions", kinds)
	}
}

// A count's bounds are the ones Set checks.
func TestControlBoundsAreSets(t *testing.T) {
	p := Semaphore.Quick()
	for _, x := range p.Params() {
		c := x.Control()
		if c.Kind != ControlCount {
			continue
		}
		for v, ok := range map[int64]bool{c.Min: true, c.Max: true, c.Min - 1: false, c.Max + 1: false} {
			err := x.Set(strconv.FormatInt(v, 10))
			if (err == nil) != ok {
				t.Errorf("--%s=%d: %v, want accepted=%v", x.Name, v, err, ok)
			}
		}
	}
}
