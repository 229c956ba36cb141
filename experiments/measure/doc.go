// Package measure takes the measurements every experiment reports: wall and
// CPU time (user and system, children included where asked), peak resident
// memory, garbage-collector activity, per-thread CPU clocks, latency
// statistics computed with gonum, and the machine stamp that says where a
// result was measured.
//
// It knows nothing of tasks or models; the model package calls it.
package measure
