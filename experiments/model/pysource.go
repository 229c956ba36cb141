package model

import (
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
)

// PythonFunc is a top-level function or class of the scripts the cpython
// model runs, as embedded in the program.
type PythonFunc struct {
	// File is the script's name, e.g. "boundlab_cpython.py"; Name the
	// function's; Source its text, from its def line to its last line.
	File, Name, Source string
}

// PythonScriptDir is where the cpython model's scripts are in the
// project, relative to its root.
const PythonScriptDir = "experiments/model/cpython"

// pyDef finds a top-level def, async def or class line and its name.
var pyDef = regexp.MustCompile(`^(?:async\s+def|def|class)\s+([A-Za-z_][A-Za-z0-9_]*)`)

// PythonSource returns the source of the named top-level functions (def,
// async def) or classes of the scripts the cpython model runs, in the
// order named: what a notebook shows as the Python that ran. A name no
// script defines, or two do, is an error.
func PythonSource(names ...string) ([]PythonFunc, error) {
	files, err := fs.Glob(cpythonScripts, "cpython/*.py")
	if err != nil {
		return nil, fmt.Errorf("cpython scripts: %w", err)
	}
	slices.Sort(files)
	found := map[string][]PythonFunc{}
	for _, f := range files {
		b, err := cpythonScripts.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("cpython scripts: %w", err)
		}
		for _, fn := range pythonDefs(strings.TrimPrefix(f, "cpython/"), string(b)) {
			found[fn.Name] = append(found[fn.Name], fn)
		}
	}
	out := make([]PythonFunc, 0, len(names))
	for _, n := range names {
		switch fns := found[n]; len(fns) {
		case 0:
			return nil, fmt.Errorf("cpython scripts: no function %q in %s", n, PythonScriptDir)
		case 1:
			out = append(out, fns[0])
		default:
			return nil, fmt.Errorf("cpython scripts: %q is defined in %s and %s", n, fns[0].File, fns[1].File)
		}
	}
	return out, nil
}

// pythonDefs splits a script's top-level definitions out of its text: each
// runs from its def line to the line before the next line that starts at
// the left margin, less trailing blank lines.
func pythonDefs(file, text string) []PythonFunc {
	lines := strings.Split(text, "\n")
	var out []PythonFunc
	for i := 0; i < len(lines); i++ {
		m := pyDef.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		end := i + 1
		for end < len(lines) && (strings.TrimSpace(lines[end]) == "" || strings.HasPrefix(lines[end], " ") || strings.HasPrefix(lines[end], "\t")) {
			end++
		}
		body := strings.TrimRight(strings.Join(lines[i:end], "\n"), " \t\n")
		out = append(out, PythonFunc{File: file, Name: m[1], Source: body})
		i = end - 1
	}
	return out
}
