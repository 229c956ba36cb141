// Package kernel is the glue between the experiments and a GoNB notebook:
// it loads ECharts into the notebook page once, binds a question's
// parameters to the cell program's flags, runs an experiment with a live
// progress bar that the result replaces, saves the result for later cells,
// and shows charts, verdicts and findings inline.
//
// A notebook uses it like this:
//
//	%%
//	kernel.Setup() // once, near the top: loads ECharts into the page
//
//	// The parameters cell: the lecture's values.
//	var params = experiments.Semaphore.Defaults()
//	func init_params() { kernel.BindFlags(&params) }
//
//	%% --limit=50
//	res := kernel.Run(experiments.Semaphore, &params)
//	kernel.ShowResult(res)
//
//	%%
//	kernel.ShowControls(experiments.Semaphore, &params) // a panel: sliders, fields, Run
//
// Outside a notebook (a test, a terminal) every display falls back to plain
// text on standard output.
package kernel
