package handouts

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/boundlab/boundlab/experiments"
)

// Job is one notebook to build, with the overrides to inject.
type Job struct {
	// Notebook is the notebook as read from disk.
	Notebook *Notebook
	// Params is its parameters cell; Question is that cell's question. Both
	// are zero when the notebook has no parameters cell.
	Params   ParamCell
	Question experiments.Experiment
	// Overrides are the "name=value" settings injected after the parameters
	// cell, in the order they apply.
	Overrides []string
}

// Name is the notebook's name, e.g. "01-async-cpu".
func (j *Job) Name() string { return j.Notebook.Name() }

// ParamError is an override that cannot apply: an unknown parameter or a
// bad value. It is bad usage, found before anything runs.
type ParamError struct {
	// Msg is the one-line message, naming the parameter and the values it
	// accepts.
	Msg string
}

// Error returns the message.
func (e *ParamError) Error() string { return e.Msg }

// Plan reads the notebooks and works out each one's overrides: with quick,
// every parameter whose quick value (the question's Quick) differs from
// its default; then each of overrides ("name=value", in order) that the
// notebook's question has. It checks every value against the question's
// parameters, and the result as a whole, before anything runs: a bad value,
// or a name that no notebook's question has, is a *ParamError.
func Plan(paths []string, overrides []string, quick bool) ([]*Job, error) {
	sets, err := parseOverrides(overrides)
	if err != nil {
		return nil, err
	}
	jobs, err := readJobs(paths)
	if err != nil {
		return nil, err
	}
	used := make([]bool, len(sets))
	for _, j := range jobs {
		if j.Question == nil {
			continue
		}
		if err := j.planOverrides(sets, used, quick); err != nil {
			return nil, err
		}
	}
	for i, s := range sets {
		if !used[i] {
			return nil, &ParamError{fmt.Sprintf("-p %s: no selected notebook has a parameter %q (%s)", s.arg, s.name, knownParams(jobs))}
		}
	}
	return jobs, nil
}

// override is one "name=value" of the command line (arg), split.
type override struct{ name, value, arg string }

// parseOverrides splits each "name=value" (a leading "-" or "--" on the
// name is dropped); one without a name or "=" is a *ParamError.
func parseOverrides(overrides []string) ([]override, error) {
	var sets []override
	for _, o := range overrides {
		name, value, ok := strings.Cut(o, "=")
		name = strings.TrimLeft(strings.TrimSpace(name), "-")
		if !ok || name == "" {
			return nil, &ParamError{fmt.Sprintf("-p %q: want name=value, like -p limit=50", o)}
		}
		sets = append(sets, override{name, strings.TrimSpace(value), o})
	}
	return sets, nil
}

// readJobs reads each notebook and, where it has a parameters cell, finds
// the cell's question.
func readJobs(paths []string) ([]*Job, error) {
	var jobs []*Job
	for _, path := range paths {
		nb, err := ReadNotebook(path)
		if err != nil {
			return nil, err
		}
		j := &Job{Notebook: nb}
		pc, ok, err := nb.Parameters()
		if err != nil {
			return nil, err
		}
		if ok {
			q, err := experiments.Lookup(pc.Question)
			if err != nil {
				return nil, fmt.Errorf("%s: parameters cell %d: %w", filepath.Base(path), pc.Index+1, err)
			}
			j.Params, j.Question = pc, q
		}
		jobs = append(jobs, j)
	}
	return jobs, nil
}

// planOverrides works out j's overrides: with quick, each parameter whose
// quick value differs from its default; then each of sets that j's
// question has (marked in used), checked as it is set and then as a whole.
func (j *Job) planOverrides(sets []override, used []bool, quick bool) error {
	q := j.Question
	p := q.NewParams(false)
	var list overrideList
	if quick {
		p = q.NewParams(true)
		list.quickDiffs(p, q.NewParams(false))
	}
	names := paramNames(p)
	for i, s := range sets {
		if !slices.Contains(names, s.name) {
			continue
		}
		used[i] = true
		if err := experiments.Set(p, s.name, s.value); err != nil {
			return &ParamError{fmt.Sprintf("-p %s for %s (%s): %v", s.arg, j.Name(), q.Name(), err)}
		}
		list.set(s.name, s.value)
	}
	if err := experiments.Validate(p); err != nil {
		return &ParamError{fmt.Sprintf("parameters of %s (%s): %v", j.Name(), q.Name(), err)}
	}
	j.Overrides = list
	return nil
}

// overrideList is a job's "name=value" overrides, in the order they apply.
type overrideList []string

// set records name=value, in the place of an earlier value of name.
func (l *overrideList) set(name, value string) {
	for i, o := range *l {
		if n, _, _ := strings.Cut(o, "="); n == name {
			(*l)[i] = name + "=" + value
			return
		}
	}
	*l = append(*l, name+"="+value)
}

// quickDiffs sets each parameter of quick whose value differs from def's.
func (l *overrideList) quickDiffs(quick, def experiments.Params) {
	defs := map[string]string{}
	for _, x := range def.Params() {
		defs[x.Name] = x.String()
	}
	for _, x := range quick.Params() {
		if v := x.String(); v != defs[x.Name] {
			l.set(x.Name, v)
		}
	}
}

// knownParams lists the parameters of the jobs' questions, for a message.
func knownParams(jobs []*Job) string {
	var parts []string
	seen := map[string]bool{}
	for _, j := range jobs {
		if j.Question == nil || seen[j.Question.Name()] {
			continue
		}
		seen[j.Question.Name()] = true
		parts = append(parts, j.Question.Name()+": "+strings.Join(paramNames(j.Question.NewParams(false)), ", "))
	}
	if len(parts) == 0 {
		return "none of them has a parameters cell"
	}
	return "known: " + strings.Join(parts, "; ")
}

// paramNames lists the names of p's parameters.
func paramNames(p experiments.Params) []string {
	var names []string
	for _, x := range p.Params() {
		names = append(names, x.Name)
	}
	return names
}
