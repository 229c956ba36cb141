// Package pyprof profiles Python programs with the tools the lecture
// names: a command line that runs a Python program runs it under the
// standard library's cProfile instead, unchanged in what it does (Prepare),
// and a running CPython process is sampled with py-spy, its threads' states
// and which of them held the GIL when (StartSpy).
package pyprof
