// Package measure takes the measurements every experiment reports: wall and
// CPU time (user and system, children included where asked), peak resident
// memory, garbage-collector activity, per-thread CPU clocks, latency
// statistics computed with gonum, and the machine stamp that says where a
// result was measured.
//
// It also watches a program the way top does: Sampler reads the CPU time
// of a process and all its descendants from /proc at a fixed interval, as a
// series of utilisation in cores, with the tree's threads by state in each
// interval (running, queued for a CPU, sleeping, in I/O: ThreadStates) and
// where its blocked threads waited (WaitPlace); ProfileCPU records a runtime/pprof CPU
// profile of a function's goroutines and reports its top functions, as
// pprof's top (and the lecture's cProfile) would.
//
// It knows nothing of tasks or models; the model package calls it.
package measure
