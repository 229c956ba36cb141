package model

import "testing"

// Every model's series, and CPython's with each flavor, reads back from its
// name; each is on one event loop, on threads or on worker processes as
// its mechanism says, and on no other.
func TestNamesSeries(t *testing.T) {
	type kind struct{ loop, threads, procs bool }
	want := map[string]kind{
		"goroutines":        {},
		"eventloop":         {loop: true},
		"gil":               {threads: true},
		"processes":         {procs: true},
		"cpython":           {},
		"cpython threads":   {threads: true},
		"cpython asyncio":   {loop: true},
		"cpython processes": {procs: true},
	}
	var all []Series
	for _, n := range Names() {
		all = append(all, SeriesOf(n, ""))
	}
	for _, f := range Flavors() {
		all = append(all, SeriesOf(CPython, f))
	}
	if len(all) != len(want) {
		t.Fatalf("%d series, want %d", len(all), len(want))
	}
	for _, s := range all {
		name := s.String()
		w, ok := want[name]
		if !ok {
			t.Errorf("series %#v is called %q, not a name of the scheme", s, name)
			continue
		}
		if got := ParseSeries(name); got != s {
			t.Errorf("ParseSeries(%q) = %#v, want %#v", name, got, s)
		}
		if got := (kind{s.EventLoop(), s.Threads(), s.WorkerProcesses()}); got != w {
			t.Errorf("%s: loop, threads, processes = %v, want %v", name, got, w)
		}
	}
	if got := PythonSeries(FlavorThreads); got != "cpython threads" {
		t.Errorf("PythonSeries(threads) = %q", got)
	}
	// A name the scheme did not make reads back as itself.
	for _, name := range []string{"bare goroutines", "eventloop+processes", ""} {
		if got := ParseSeries(name).String(); got != name {
			t.Errorf("ParseSeries(%q).String() = %q", name, got)
		}
	}
}

// TestOffload: a series offloading to each executor is named with "+" and
// read back to the same series and executor; none is the series' own name.
func TestOffload(t *testing.T) {
	for _, s := range []Series{SeriesOf(EventLoop, ""), SeriesOf(CPython, FlavorAsyncio)} {
		if got := s.Offload(""); got != s.String() {
			t.Errorf("%v.Offload(none) = %q, want %q", s, got, s.String())
		}
		for _, ex := range append(Executors(), "") {
			name := s.Offload(ex)
			if gs, gex := ParseOffload(name); gs != s || gex != ex {
				t.Errorf("ParseOffload(%q) = %v, %q; want %v, %q", name, gs, gex, s, ex)
			}
		}
	}
	if got := SeriesOf(EventLoop, "").Offload(ExecProcesses); got != "eventloop+processes" {
		t.Errorf("eventloop offloading to processes is %q, want eventloop+processes", got)
	}
}
