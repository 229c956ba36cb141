package proc

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// ID is one process: its pid and its start time (in clock ticks since
// boot), which together tell it from a later process given the same pid.
type ID struct {
	PID   int
	Start uint64
}

// Identify reads process pid's identity from /proc/<pid>/stat; running is
// false for a process that has exited and awaits its parent (a zombie), ok
// is false where there is no such process.
func Identify(pid int) (id ID, running, ok bool) {
	s, ok := readStat(pid)
	if !ok {
		return ID{}, false, false
	}
	return ID{PID: pid, Start: s.start}, !s.zombie, true
}

// Running reports whether the process id names still runs: a process with
// its pid exists, has its start time and is not a zombie.
func (id ID) Running() bool {
	now, running, ok := Identify(id.PID)
	return ok && running && now.Start == id.Start
}

// stat is the part of /proc/<pid>/stat that identifies a process.
type stat struct {
	ppid   int
	start  uint64
	zombie bool
}

// readStat reads process pid's stat file. The command name, in
// parentheses, may hold spaces and parentheses itself: the fields start
// after the last ')'; after it come the state (field 3 of proc(5)), the
// parent (4) and, at field 22, the start time.
func readStat(pid int) (stat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return stat{}, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return stat{}, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return stat{}, false
	}
	ppid, err1 := strconv.Atoi(f[1])
	start, err2 := strconv.ParseUint(f[19], 10, 64)
	if err1 != nil || err2 != nil {
		return stat{}, false
	}
	return stat{ppid: ppid, start: start, zombie: f[0] == "Z" || f[0] == "X"}, true
}

// Descendants lists the processes below pid (its children, theirs, ...),
// children first, from the threads' children files, or from a scan of
// /proc where the kernel keeps none.
func Descendants(pid int) []int {
	kids := childrenOf
	if !haveChildrenFiles() {
		kids = scanParents()
	}
	var out []int
	for next := []int{pid}; len(next) > 0; {
		p := next[0]
		next = next[1:]
		k := kids(p)
		out = append(out, k...)
		next = append(next, k...)
	}
	return out
}

// haveChildrenFiles reports whether this kernel has
// /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN).
var haveChildrenFiles = sync.OnceValue(func() bool {
	_, err := os.Stat("/proc/thread-self/children")
	return err == nil
})

// childrenOf lists pid's children from its threads' children files.
func childrenOf(pid int) []int {
	files, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	var out []int
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, w := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(w); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// scanParents reads every process's parent from /proc once and returns
// the children of a pid by that map.
func scanParents() func(int) []int {
	m := map[int][]int{}
	es, _ := os.ReadDir("/proc")
	for _, e := range es {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if s, ok := readStat(pid); ok {
			m[s.ppid] = append(m[s.ppid], pid)
		}
	}
	return func(pid int) []int { return m[pid] }
}

// Process is a process a Tracker has seen.
type Process struct {
	ID
	// Cmd is its command line when first seen (a process may exec another
	// program later), its arguments separated by spaces.
	Cmd string
}

// Tracker remembers every process seen below a root process, so that
// those still alive at the end can be listed or stopped even after their
// parents have gone and they were re-parented elsewhere, or left the
// root's process group. A process is known by its ID, so a pid reused by an
// unrelated process is never signalled. Its methods may be called from any
// goroutine.
type Tracker struct {
	mu   sync.Mutex
	seen map[int]Process
}

// Scan records root's current descendants.
func (t *Tracker) Scan(root int) {
	for _, pid := range Descendants(root) {
		t.mu.Lock()
		_, known := t.seen[pid]
		t.mu.Unlock()
		if known {
			continue
		}
		id, _, ok := Identify(pid)
		if !ok {
			continue
		}
		cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		p := Process{ID: id, Cmd: strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " "))}
		t.mu.Lock()
		if t.seen == nil {
			t.seen = map[int]Process{}
		}
		t.seen[pid] = p
		t.mu.Unlock()
	}
}

// Seen lists every process recorded.
func (t *Tracker) Seen() []Process {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Process, 0, len(t.seen))
	for _, p := range t.seen {
		out = append(out, p)
	}
	return out
}

// Alive lists the processes recorded that still run (zombies excluded).
func (t *Tracker) Alive() []Process {
	var out []Process
	for _, p := range t.Seen() {
		if p.Running() {
			out = append(out, p)
		}
	}
	return out
}

// Kill sends SIGKILL to every process recorded that still runs and
// returns how many there were.
func (t *Tracker) Kill() int {
	alive := t.Alive()
	for _, p := range alive {
		_ = syscall.Kill(p.PID, syscall.SIGKILL)
	}
	return len(alive)
}
