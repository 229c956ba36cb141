package handouts

import (
	"sync"
	"syscall"

	"github.com/boundlab/boundlab/experiments/measure"
)

// procTracker remembers every process seen below a root process (Jupyter's
// Python, the kernel it starts, the cell programs and the tools the kernel
// runs), so that the ones still alive once the run is over can be stopped,
// even after their parents have gone and they were re-parented elsewhere.
// A process is known by its pid and start time, so a pid reused by an
// unrelated process is never signalled.
type procTracker struct {
	mu   sync.Mutex
	seen map[int]uint64 // pid → start time, in clock ticks since boot
}

func newProcTracker() *procTracker { return &procTracker{seen: map[int]uint64{}} }

// scan records root's current descendants.
func (t *procTracker) scan(root int) {
	pids := measure.Descendants(root)[1:]
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, pid := range pids {
		if _, ok := t.seen[pid]; ok {
			continue
		}
		if st, _, ok := measure.ProcStart(pid); ok {
			t.seen[pid] = st
		}
	}
}

// alive lists the recorded processes that still run (zombies excluded).
func (t *procTracker) alive() []int {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []int
	for pid, st := range t.seen {
		if now, running, ok := measure.ProcStart(pid); ok && running && now == st {
			out = append(out, pid)
		}
	}
	return out
}

// kill sends SIGKILL to every recorded process still alive and returns
// how many there were.
func (t *procTracker) kill() int {
	pids := t.alive()
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	return len(pids)
}
