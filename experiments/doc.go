// Package experiments is the lecture as code: each of its questions is an
// experiment that runs real tasks under the concurrency models of package
// model, measures them, and judges the lecture's claims against the
// measurements.
//
// A question has parameters (the lecture's values by default, validated with
// errors that name the parameter and its allowed range), claims as data (the
// lecture's words, the quantity measured, what the claim predicts and with
// what tolerance) and a result that carries one verdict per claim and model.
// A verdict that does not hold is a finding, not an error.
//
// Classify and Recommend are the lecture's first takeaway as code: a
// program's class (I/O-bound, CPU-bound or mixed) read off its measured CPU
// utilisation, and the decision framework's advice for it.
//
// The package knows nothing of charts, notebooks or terminals: callers get
// typed results (and JSON) and a progress callback.
package experiments
