package e2e

import (
	"time"

	"github.com/boundlab/boundlab/internal/proc"
)

// watcher records every process that descends from a root process while
// it runs, so that a test can check that none is left once it is over.
type watcher struct {
	proc.Tracker
	stop chan struct{}
	done chan struct{}
}

// watch starts recording root's descendants every 100ms.
func watch(root int) *watcher {
	w := &watcher{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			w.Scan(root)
			select {
			case <-w.stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return w
}

// finish stops recording.
func (w *watcher) finish() {
	close(w.stop)
	<-w.done
}

// all lists the command lines of every process seen.
func (w *watcher) all() []string {
	var out []string
	for _, p := range w.Seen() {
		out = append(out, p.Cmd)
	}
	return out
}

// alive lists the processes seen that still run, by pid and command line.
func (w *watcher) alive() map[int]string {
	out := map[int]string{}
	for _, p := range w.Alive() {
		out[p.PID] = p.Cmd
	}
	return out
}

// killAlive kills what alive lists.
func (w *watcher) killAlive() { w.Kill() }
