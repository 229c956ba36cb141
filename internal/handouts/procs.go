package handouts

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/boundlab/boundlab/internal/setup"
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
	pids := setup.Descendants(root)
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, pid := range pids {
		if _, ok := t.seen[pid]; ok {
			continue
		}
		if st, ok := startTime(pid); ok {
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
		if now, ok := startTime(pid); ok && now == st && !zombie(pid) {
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

// statFields returns the fields of /proc/pid/stat after the command name.
func statFields(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 > len(s) {
		return nil
	}
	return strings.Fields(s[i+2:])
}

// startTime is the process's start time (field 22 of /proc/pid/stat).
func startTime(pid int) (uint64, bool) {
	f := statFields(pid)
	if len(f) < 20 {
		return 0, false
	}
	n, err := strconv.ParseUint(f[19], 10, 64)
	return n, err == nil
}

// zombie reports whether the process has exited and waits to be reaped.
func zombie(pid int) bool {
	f := statFields(pid)
	return len(f) > 0 && (f[0] == "Z" || f[0] == "X")
}
