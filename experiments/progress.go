package experiments

import "sync"

// Progress reports how far an experiment has got. Done and Total are in the
// experiment's own units of expected work (about seconds), so Done/Total is
// the fraction done.
type Progress struct {
	// Stage says what is running, e.g. "eventloop, limit 100".
	Stage string
	Done  float64
	Total float64
}

// ProgressFunc receives progress reports. It may be called from several
// goroutines and often; it should return quickly.
type ProgressFunc func(Progress)

// tracker turns per-task callbacks of several model runs into one progress
// stream, weighting each run by its expected cost.
type tracker struct {
	fn    ProgressFunc
	total float64

	mu   sync.Mutex
	base float64 // work of the stages already finished
}

func newTracker(fn ProgressFunc) *tracker { return &tracker{fn: fn} }

// expect sets the total expected work, before the first stage.
func (t *tracker) expect(total float64) {
	t.mu.Lock()
	t.total = total
	t.mu.Unlock()
}

// stage starts a stage of the given weight and returns the per-task
// callback for model.Config.Progress.
func (t *tracker) stage(name string, weight float64) func(done, total int) {
	t.mu.Lock()
	base := t.base
	t.base += weight
	t.mu.Unlock()
	if t.fn == nil {
		return nil
	}
	t.fn(Progress{Stage: name, Done: base, Total: t.total})
	return func(done, total int) {
		t.fn(Progress{Stage: name, Done: base + weight*float64(done)/float64(max(total, 1)), Total: t.total})
	}
}

// finish reports completion.
func (t *tracker) finish() {
	if t.fn != nil {
		t.fn(Progress{Stage: "done", Done: t.total, Total: t.total})
	}
}
