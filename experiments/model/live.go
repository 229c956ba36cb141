package model

import (
	"runtime"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
)

// LiveMemory is what n live tasks hold: the memory of a process with all of
// them alive at once, each parked in a wait, less the same process's memory
// just before the first was created. Both readings follow a forced garbage
// collection, so garbage from creating them is not counted.
//
// The experiment's own bookkeeping is not in it: the recorder's per-task
// spans are allocated before the first reading (RecorderBytes measures them
// apart), and no segment is recorded while the tasks wait. Nor is the batch
// itself (the []Task the model was given: the program, not its running
// state) or the semaphore's slots, which the models allocate before their
// clock starts.
type LiveMemory struct {
	Model string `json:"model"`
	Tasks int    `json:"tasks"`
	// Create is the time from the first reading to the last task parked:
	// creating the tasks and running each to its first wait.
	Create time.Duration `json:"create_ns"`
	// The differences between the two readings, in bytes: Total is the
	// memory the Go runtime had in use (heap objects, goroutine stacks,
	// runtime metadata; free and released heap left out), HeapObjects and
	// Stacks two of its parts; RSS the resident memory the OS counted.
	Total       int64 `json:"total_bytes"`
	HeapObjects int64 `json:"heap_objects_bytes"`
	Stacks      int64 `json:"stacks_bytes"`
	RSS         int64 `json:"rss_bytes"`
	// Objects and Goroutines are the differences in live heap objects and
	// goroutines.
	Objects    int64 `json:"objects"`
	Goroutines int64 `json:"goroutines"`
	// RecorderBytes is the experiment's bookkeeping for the batch (a span
	// per task), measured apart and not in Total.
	RecorderBytes int64 `json:"recorder_bytes"`
	// Sites break the heap objects down by what allocated them, from a
	// memory profile that recorded every allocation (Go), or by type of
	// object (CPython); empty if not asked for.
	Sites []MemorySite `json:"sites,omitempty"`
	// Profiled says the heap was profiled during the run, which slows
	// allocation: Create is then not comparable with unprofiled runs.
	Profiled bool `json:"profiled,omitempty"`
	// PID is the child process that held the tasks.
	PID int `json:"pid,omitempty"`
	// Traced is CPython's tracemalloc count of the bytes the tasks
	// allocated (cpython model only).
	Traced int64 `json:"traced_bytes,omitempty"`
}

// PerTask is Total over the tasks.
func (m *LiveMemory) PerTask() float64 { return float64(m.Total) / float64(max(m.Tasks, 1)) }

// MemorySite is the memory one allocation site (or one type of object)
// holds for the tasks.
type MemorySite struct {
	// Site names it, e.g. "timer (time.NewTimer)".
	Site    string `json:"site"`
	Bytes   int64  `json:"bytes"`
	Objects int64  `json:"objects"`
}

// liveProbe watches a batch's tasks come alive: its baseline is read as the
// model's clock starts (after its own bookkeeping is allocated), and its
// second reading when the last task parks in a wait. Then it ends the batch.
type liveProbe struct {
	total   int64
	profile bool
	parkedN atomic.Int64

	t0, tLive  time.Time
	base, live memReading
	baseSites  map[string]siteBytes
	liveSites  map[string]siteBytes
	done       chan struct{}
	end        func()
}

// baseline takes the first reading. It is a no-op on a nil probe.
func (p *liveProbe) baseline() {
	if p == nil {
		return
	}
	runtime.GC()
	p.base = readMem()
	if p.profile {
		p.baseSites = heapSites()
	}
	p.t0 = time.Now()
}

// parked counts a task that has reached a wait; the last one takes the
// second reading and ends the batch.
func (r *recorder) parked() {
	p := r.probe
	if p == nil || p.parkedN.Add(1) != p.total {
		return
	}
	p.tLive = time.Now()
	runtime.GC()
	p.live = readMem()
	if p.profile {
		p.liveSites = heapSites()
	}
	close(p.done)
	p.end()
}

// memReading is one reading of the runtime's memory classes.
type memReading struct {
	inUse, heapObjects, stacks, objects, goroutines, rss int64
}

var memNames = []string{
	"/memory/classes/total:bytes",
	"/memory/classes/heap/free:bytes",
	"/memory/classes/heap/released:bytes",
	"/memory/classes/profiling/buckets:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/stacks:bytes",
	"/gc/heap/objects:objects",
	"/sched/goroutines:goroutines",
}

// readMem reads the memory classes now. In use is the total less the free
// and released heap and the memory profile's own buckets.
func readMem() memReading {
	m := measure.ReadMetrics(memNames...)
	v := func(i int) int64 { return m[i] }
	return memReading{
		inUse:       v(0) - v(1) - v(2) - v(3),
		heapObjects: v(4), stacks: v(5), objects: v(6), goroutines: v(7),
		rss: measure.RSS(),
	}
}

// siteBytes is what one allocation site holds.
type siteBytes struct{ bytes, objects int64 }

// heapSites reads the memory profile: the heap objects in use by
// allocation site (see siteName). It is exact when runtime.MemProfileRate
// is 1, and current after a runtime.GC.
func heapSites() map[string]siteBytes {
	var recs []runtime.MemProfileRecord
	n, _ := runtime.MemProfile(nil, false)
	for {
		recs = make([]runtime.MemProfileRecord, n+64)
		var ok bool
		n, ok = runtime.MemProfile(recs, false)
		if ok {
			recs = recs[:n]
			break
		}
	}
	out := map[string]siteBytes{}
	for _, r := range recs {
		site := siteName(r.Stack())
		sb := out[site]
		sb.bytes += r.InUseBytes()
		sb.objects += r.InUseObjects()
		out[site] = sb
	}
	return out
}

// siteLabels name the allocation sites a task's memory comes from, by a
// function on the allocating stack: the runtime's own first, then this
// package's.
var siteLabels = []struct{ fn, label string }{
	{"runtime.malg", "goroutine descriptor (runtime.g)"},
	{"runtime.allgadd", "the runtime's list of goroutines"},
	{"runtime.acquireSudog", "channel waits (sudog, one per channel waited on)"},
	{"runtime.(*timers).addHeap", "the runtime's timer heap"},
	{"time.NewTimer", "timer (time.NewTimer: timer and channel)"},
	{"model.newWaiters", "the batch's registry of waiting timers (to cancel them)"},
	{"model.goroutines.Run", "task closure (the go statement)"},
	{"model.(*loop).callSoon", "ready queue (loop.callSoon)"},
	{"model.(*timerHeap).Push", "timer heap entry (loop.callAt)"},
	{"model.(*loop).advance", "timer callback closure (loop.advance)"},
	{"model.(*loop).run", "coro state and its first callback (loop.run)"},
}

// siteName labels a stack by siteLabels, or by its first function outside
// the runtime.
func siteName(stack []uintptr) string {
	var fns []string
	frames := runtime.CallersFrames(stack)
	for {
		f, more := frames.Next()
		fns = append(fns, f.Function)
		if !more {
			break
		}
	}
	for _, l := range siteLabels {
		for _, fn := range fns {
			if strings.HasSuffix(fn, l.fn) && (strings.HasPrefix(l.fn, "runtime.") == strings.HasPrefix(fn, "runtime.")) {
				return l.label
			}
		}
	}
	for _, fn := range fns {
		if !strings.HasPrefix(fn, "runtime.") {
			return shortFunc(fn)
		}
	}
	if len(fns) > 0 {
		return fns[0]
	}
	return "?"
}

// shortFunc drops a function name's module path.
func shortFunc(fn string) string {
	if i := strings.LastIndex(fn, "/"); i >= 0 {
		return fn[i+1:]
	}
	return fn
}

// diffSites is later less earlier, by site, the sites holding at least
// minBytes, largest first, with the rest summed as "other".
func diffSites(earlier, later map[string]siteBytes, minBytes int64) []MemorySite {
	var out []MemorySite
	var other MemorySite
	for site, l := range later {
		e := earlier[site]
		d := MemorySite{Site: site, Bytes: l.bytes - e.bytes, Objects: l.objects - e.objects}
		if d.Bytes <= 0 {
			continue
		}
		if d.Bytes < minBytes {
			other.Bytes += d.Bytes
			other.Objects += d.Objects
			continue
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Bytes > out[j].Bytes })
	if other.Bytes > 0 {
		other.Site = "other"
		out = append(out, other)
	}
	return out
}
