package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/internal/units"
)

// progressBar draws a one-line progress bar with an estimate of the time
// left on a terminal. It draws nothing when the stream is not a terminal,
// or when asked to be quiet, or for runs shorter than a second.
type progressBar struct {
	w     io.Writer
	on    bool
	start time.Time

	mu    sync.Mutex
	last  time.Time
	drawn bool
}

func newProgressBar(w io.Writer, wanted bool) *progressBar {
	return &progressBar{w: w, on: wanted && isTerminal(w), start: time.Now()}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

func (b *progressBar) update(p experiments.Progress) {
	if !b.on || p.Total <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	if now.Sub(b.start) < time.Second || now.Sub(b.last) < 100*time.Millisecond {
		return
	}
	b.last = now
	frac := min(1, max(0, p.Done/p.Total))
	const width = 30
	fill := int(frac * width)
	eta := ""
	if frac > 0.01 {
		left := time.Duration(float64(now.Sub(b.start)) * (1 - frac) / frac)
		eta = " ~" + units.Elapsed(left.Round(time.Second)) + " left"
	}
	stage := p.Stage
	if len(stage) > 40 {
		stage = stage[:40]
	}
	fmt.Fprintf(b.w, "\r\033[K[%s%s] %3.0f%% %s%s", strings.Repeat("#", fill), strings.Repeat(".", width-fill), frac*100, stage, eta)
	b.drawn = true
}

// done clears the bar.
func (b *progressBar) done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drawn {
		fmt.Fprint(b.w, "\r\033[K")
		b.drawn = false
	}
	b.on = false
}
