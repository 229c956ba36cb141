package model

import "strings"

// Name is a model's name: one of the constants below. It is what the
// command line, a question's parameters and a result's JSON call the
// model, and the registry (Names, Get) is keyed by it.
//
// One scheme names everything the experiments run, in three layers:
//
//   - a model is a Name (Goroutines, EventLoop, GILThreads, Processes,
//     CPython);
//   - a series, one line of a result or chart, is a Series: a model and,
//     for CPython, the flavor it ran (FlavorThreads, FlavorAsyncio,
//     FlavorProcesses). Series.String makes its name ("gil", "cpython
//     asyncio") and ParseSeries reads it back; no other code joins or
//     splits the words;
//   - a variant of a question (the json question's executors, as in
//     "eventloop+gil-threads") is a series offloading to an Executor:
//     Series.Offload makes its name and ParseOffload reads it back; the
//     json question names the variants it asks for in its own file.
//
// Fields that results and parameters expose (Run.Model, a question's
// Models) stay strings, so that notebooks and JSON see the same words.
type Name string

// The models (see the package doc). The gil model's constant is
// GILThreads, threads sharing one GIL, since GIL names the lock itself.
const (
	Goroutines Name = "goroutines"
	EventLoop  Name = "eventloop"
	GILThreads Name = "gil"
	Processes  Name = "processes"
	CPython    Name = "cpython"
)

// Strings converts names to the strings results and parameters hold.
func Strings(names ...Name) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = string(n)
	}
	return out
}

// Series is one line of a result: a model and, for the cpython model, the
// flavor it ran (one question may run several). Flavor is empty for the
// other models.
type Series struct {
	Model  Name
	Flavor string
}

// SeriesOf is the series of model m with flavor (empty for a Go model).
func SeriesOf(m Name, flavor string) Series { return Series{Model: m, Flavor: flavor} }

// String is the series' name in results and charts: the model's name, and
// for a flavor a space and the flavor, e.g. "gil" or "cpython threads".
func (s Series) String() string {
	if s.Flavor == "" {
		return string(s.Model)
	}
	return string(s.Model) + " " + s.Flavor
}

// PythonSeries is the name of the cpython model's series with flavor, e.g.
// "cpython threads".
func PythonSeries(flavor string) string { return SeriesOf(CPython, flavor).String() }

// ParseSeries reads back a name Series.String made, e.g. "cpython asyncio".
// A name it did not make comes back as a Series whose String is name.
func ParseSeries(name string) Series {
	m, flavor, _ := strings.Cut(name, " ")
	return Series{Model: Name(m), Flavor: flavor}
}

// EventLoop reports whether the series runs its tasks on one event loop:
// the eventloop model, or CPython's asyncio.
func (s Series) EventLoop() bool {
	return s.Model == EventLoop || s == Series{Model: CPython, Flavor: FlavorAsyncio}
}

// Threads reports whether the series runs its tasks on a pool of threads
// sharing a GIL: the gil model, or CPython's threads.
func (s Series) Threads() bool {
	return s.Model == GILThreads || s == Series{Model: CPython, Flavor: FlavorThreads}
}

// WorkerProcesses reports whether the series runs its tasks on a pool of
// worker processes: the processes model, or CPython's
// ProcessPoolExecutor.
func (s Series) WorkerProcesses() bool {
	return s.Model == Processes || s == Series{Model: CPython, Flavor: FlavorProcesses}
}
