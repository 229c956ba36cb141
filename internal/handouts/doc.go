// Package handouts turns the notebooks into handouts: it executes each
// notebook headlessly on its Jupyter kernel (GoNB), with the parameters a
// caller overrides injected papermill-style, fails on any cell that fails,
// exports the executed notebook to one self-contained HTML page with an
// nbconvert template that loads nothing from the network, and checks the
// page before writing it.
//
// Plan reads the notebooks and validates the overrides against each
// notebook's question before anything runs; Build executes the plan:
//
//	jobs, err := handouts.Plan(paths, []string{"limit=50"}, false)
//	if err != nil { ... } // a *ParamError is bad usage
//	hs, err := handouts.Build(ctx, jobs, handouts.Options{OutDir: "handouts", Jupyter: j})
//
// A notebook's parameters cell is the code cell tagged "parameters" whose
// metadata names the question and the Go variable:
//
//	{"tags": ["parameters"], "boundlab": {"question": "async-cpu", "var": "params"}}
//
// Overrides go into a new cell right after it, tagged "injected-parameters",
// that calls kernel.Override from an init function.
//
// Each kernel saves its question's result in a directory of the build's
// (kernel.ResultsDirEnv); Build copies it beside the handout as NAME.json
// and writes the overview of the output directory, index.html (WriteIndex):
// every claim judged, with its outcome and figure per model. Cells tagged
// remove-cell are left out of a handout, and remove-input shows only its
// output (the template's conf.json).
package handouts
