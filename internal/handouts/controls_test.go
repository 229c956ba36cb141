package handouts

import (
	"regexp"
	"strings"
	"testing"
)

var runCall = regexp.MustCompile(`kernel\.Run\((experiments\.\w+), &(\w+)\)`)

// Every notebook with a parameters cell offers the control panel (issue 12):
// right after the cell that runs the experiment, a markdown cell saying what
// the panel does and how it shows in a handout, then the one-line cell
// kernel.ShowControls(experiments.X, &params) for the same experiment and
// variable as the run cell. Checked on the notebooks as they are in git.
func TestNotebooksHaveControls(t *testing.T) {
	paths := nbs(t)
	checked := 0
	for _, path := range paths {
		nb, err := ReadNotebook(path)
		if err != nil {
			t.Fatal(err)
		}
		name := nb.Name()
		pc, ok, err := nb.Parameters()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			continue
		}
		run := -1
		var m []string
		for c := pc.Index + 1; c < nb.Cells(); c++ {
			if nb.CellType(c) != "code" {
				continue
			}
			if m = runCall.FindStringSubmatch(nb.Source(c)); m != nil && m[2] == pc.Var {
				run = c
				break
			}
		}
		if run < 0 {
			t.Errorf("%s: no cell below the parameters runs kernel.Run(experiments.…, &%s)", name, pc.Var)
			continue
		}
		want := "%%\nkernel.ShowControls(" + m[1] + ", &" + pc.Var + ")"
		if run+2 >= nb.Cells() {
			t.Errorf("%s: no cells after the run cell (cell %d); want an explanation, then %q", name, run+1, want)
			continue
		}
		if got := strings.TrimSpace(nb.Source(run + 2)); nb.CellType(run+2) != "code" || got != want {
			t.Errorf("%s: cell %d, two after the run cell, is %.60q; want the controls cell %q", name, run+3, got, want)
		}
		md := nb.Source(run + 1)
		if nb.CellType(run+1) != "markdown" || !strings.HasPrefix(md, "**Controls.**") {
			t.Errorf("%s: cell %d, between the run cell and the controls, is not the markdown starting **Controls.**: %.60q", name, run+2, md)
		}
		for _, w := range []string{"**Run**", "**Stop**", "**Close**", "wait while the panel is open", "values used"} {
			if !strings.Contains(md, w) {
				t.Errorf("%s: the controls' explanation does not say %q", name, w)
			}
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no notebook has a parameters cell")
	}
}
