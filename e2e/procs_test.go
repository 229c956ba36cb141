package e2e

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
)

// watcher records every process that descends from a root process while
// it runs, so that a test can check that none is left once it is over.
type watcher struct {
	mu   sync.Mutex
	seen map[int]proc
	stop chan struct{}
	done chan struct{}
}

// proc is a process seen: its start time tells it from a later process
// with the same pid.
type proc struct {
	start uint64
	cmd   string
}

// watch starts recording root's descendants every 100ms.
func watch(root int) *watcher {
	w := &watcher{seen: map[int]proc{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			w.scan(root)
			select {
			case <-w.stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return w
}

func (w *watcher) scan(root int) {
	for _, pid := range measure.Descendants(root)[1:] {
		w.mu.Lock()
		_, ok := w.seen[pid]
		w.mu.Unlock()
		if ok {
			continue
		}
		if st, _, ok := measure.ProcStart(pid); ok {
			cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
			w.mu.Lock()
			w.seen[pid] = proc{st, strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " "))}
			w.mu.Unlock()
		}
	}
}

// finish stops recording.
func (w *watcher) finish() {
	close(w.stop)
	<-w.done
}

// all lists the command lines of every process seen.
func (w *watcher) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, p := range w.seen {
		out = append(out, p.cmd)
	}
	return out
}

// alive lists the processes seen that still run, by pid and command line.
func (w *watcher) alive() map[int]string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[int]string{}
	for pid, p := range w.seen {
		if st, running, ok := measure.ProcStart(pid); ok && running && st == p.start {
			out[pid] = p.cmd
		}
	}
	return out
}

// killAlive kills what alive lists.
func (w *watcher) killAlive() {
	for pid := range w.alive() {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}
