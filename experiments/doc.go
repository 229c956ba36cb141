// Package experiments is the lecture as code: each of its questions is an
// experiment that runs real tasks under the concurrency models of package
// model, measures them, and judges the lecture's claims against the
// measurements.
//
// A question is a Question[P, R]: parameters of type P (the lecture's values
// by Defaults, validated with errors that name the parameter and its
// allowed range) and a result of type R, so that
//
//	p := experiments.Semaphore.Defaults()
//	res, err := experiments.Semaphore.Run(ctx, &p, nil) // *SemaphoreResult
//
// needs no type assertion. Questions and Lookup give the same questions
// untyped, as Experiment, for a program that picks one by name.
//
// A question measures, then judges. Measuring runs the models and fills the
// result's figures; where a figure at the lecture's setting is timed, its
// runs are repeated and interleaved across the models (A B C A B C …) so
// that drift on a shared machine hits every model alike. Judging is a pure
// function of the result: each claim (data listed by Claims: the lecture's
// words, the quantity measured, the prediction, the rule and tolerance, per
// model where it differs) is held against a Measurement, and the Verdict
// carries the figure's median, its 95% confidence interval (measure.MedianCI),
// the number of runs and one of three outcomes: it holds, it does not hold,
// or it is inconclusive, when the interval straddles a bound or when other
// work on the machine took more than a quarter of its cores while a timed
// figure was measured (measure.Load, in the result's stamp). A verdict that
// does not hold is a finding, not an error.
//
// The package knows nothing of charts, notebooks or terminals: callers get
// typed results (and JSON) and a progress callback. The classifier and the
// decision framework are package decision.
package experiments
