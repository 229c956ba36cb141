package handouts

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/model"
)

var (
	showPython  = regexp.MustCompile(`kernel\.ShowPython\(([^)]*)\)`)
	quoted      = regexp.MustCompile(`"[^"]*"`)
	rerunLine   = regexp.MustCompile("`%% ([^`]+)`")
	modelsList  = regexp.MustCompile(`Models:\s*\[\]string\{([^}]*)\}`)
	glossaryFor = []string{"Loop lag", "GIL hand-over", "Switch interval", "Calibrated speed", "p99"}
)

// cellTags are cell i's tags.
func cellTags(nb *Notebook, i int) []string {
	md, _ := nb.cells[i]["metadata"].(map[string]any)
	tags, _ := md["tags"].([]any)
	var out []string
	for _, t := range tags {
		if s, ok := t.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// What every notebook carries for teaching, checked on the notebooks as
// they are in git: the set-up cells tagged to be hidden in handouts; where
// the experiment runs CPython, the Python it ran, by names the embedded
// scripts define; exercises at the end, two or three, each with a folded
// answer and a rerun whose flags the notebook's question accepts; the
// glossary in the first notebook and the history in the last; no outputs.
func TestNotebooksTeach(t *testing.T) {
	paths := nbs(t)
	for i, path := range paths {
		nb, err := ReadNotebook(path)
		if err != nil {
			t.Fatal(err)
		}
		name := nb.Name()
		pc, ok, err := nb.Parameters()
		if err != nil || !ok {
			t.Fatalf("%s: parameters cell: %v", name, err)
		}
		q, err := experiments.Lookup(pc.Question)
		if err != nil {
			t.Fatal(err)
		}
		hidden := map[string]string{"go mod edit": "remove-cell", "github.com/boundlab/boundlab/experiments\"": "remove-cell", "kernel.Setup()": "remove-input"}
		var python, exercises, all string
		for c := range nb.Cells() {
			src := nb.Source(c)
			all += src + "\n"
			if outs, _ := nb.cells[c]["outputs"].([]any); len(outs) > 0 {
				t.Errorf("%s: cell %d has outputs in git", name, c+1)
			}
			for marker, tag := range hidden {
				if nb.CellType(c) == "code" && strings.Contains(src, marker) {
					if !strings.Contains(strings.Join(cellTags(nb, c), " "), tag) {
						t.Errorf("%s: cell %d (%s) is not tagged %s", name, c+1, marker, tag)
					}
					delete(hidden, marker)
				}
			}
			if nb.CellType(c) == "code" && showPython.MatchString(src) {
				python = showPython.FindStringSubmatch(src)[1]
			}
			if nb.CellType(c) == "markdown" && strings.HasPrefix(src, "## Exercises") {
				exercises = src
			}
		}
		for marker := range hidden {
			t.Errorf("%s: no set-up cell with %s", name, marker)
		}

		m := modelsList.FindStringSubmatch(nb.Source(pc.Index))
		runsPython := m != nil && strings.Contains(m[1], `"cpython"`)
		switch {
		case runsPython && python == "":
			t.Errorf("%s: runs CPython but shows no Python (kernel.ShowPython)", name)
		case python != "":
			var names []string
			for _, s := range quoted.FindAllString(python, -1) {
				n, _ := strconv.Unquote(s)
				names = append(names, n)
			}
			if _, err := model.PythonSource(names...); err != nil || len(names) == 0 {
				t.Errorf("%s: kernel.ShowPython(%s): %v", name, python, err)
			}
		}

		details := strings.Count(exercises, "<details>")
		reruns := rerunLine.FindAllStringSubmatch(exercises, -1)
		if details < 2 || details > 3 || len(reruns) != details {
			t.Errorf("%s: %d exercises with folded answers, %d reruns; want two or three of each", name, details, len(reruns))
		}
		if last := nb.Source(nb.Cells() - 1); exercises != "" && !strings.HasPrefix(last, "## Exercises") && !(i == len(paths)-1 && strings.HasPrefix(last, "## Why each model exists")) {
			t.Errorf("%s: the notebook does not end with its exercises: %.40q", name, last)
		}
		for _, r := range reruns {
			p := q.NewParams(false)
			for _, f := range strings.Fields(r[1]) {
				k, v, ok := strings.Cut(strings.TrimPrefix(f, "--"), "=")
				if !ok || !strings.HasPrefix(f, "--") {
					t.Errorf("%s: exercise rerun %q: %q is not --name=value", name, r[1], f)
					continue
				}
				if err := experiments.Set(p, k, v); err != nil {
					t.Errorf("%s: exercise rerun %q: %v", name, r[1], err)
				}
			}
			if err := experiments.Validate(p); err != nil {
				t.Errorf("%s: exercise rerun %q: %v", name, r[1], err)
			}
		}

		if i == 0 {
			for _, w := range glossaryFor {
				if !strings.Contains(all, "**"+w+"**") {
					t.Errorf("%s, the first notebook: no glossary entry for %s", name, w)
				}
			}
		}
		if i == len(paths)-1 && !strings.Contains(all, "## Why each model exists") {
			t.Errorf("%s, the last notebook: no historical section", name)
		}
	}
}
