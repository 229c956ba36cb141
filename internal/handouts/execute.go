package handouts

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/boundlab/boundlab/internal/proc"
)

// executeScript runs one notebook with nbclient; see its doc string.
//
//go:embed execute.py
var executeScript []byte

// stopGrace is how long Jupyter's Python has, once asked to stop, to shut
// the kernel down before it and everything below it are killed.
var stopGrace = 15 * time.Second

// pyEvent is one line of execute.py's event stream.
type pyEvent struct {
	Event   string   `json:"event"`
	Cells   int      `json:"cells"`
	Index   int      `json:"index"`
	Seconds float64  `json:"seconds"`
	Outputs []Output `json:"outputs"`
	Error   string   `json:"error"`
	Text    string   `json:"text"`
}

// execution is one notebook being executed.
type execution struct {
	o      *Options
	nb     *Notebook // as prepared, with the injected cell
	script string    // execute.py on disk
	log    string    // where the kernel's log goes
	env    []string  // the environment of Jupyter and the kernel
	report func(Event)
	base   Event // the notebook's fields of every event

	// With release set, the cells from index gate on wait until it is
	// closed (see execute.py).
	gate    int
	release <-chan struct{}

	current int // the running cell, from 0; -1 before the first
	cells   []CellTime
}

// run executes src (nb, written to disk) and writes the executed notebook
// to dst. It stops at the first cell that fails (a *CellError), when ctx
// is done, or when the notebook's time is up, and then leaves no process
// behind.
func (x *execution) run(ctx context.Context, src, dst string) error {
	workdir, err := filepath.Abs(filepath.Dir(x.nb.Path))
	if err != nil {
		return fmt.Errorf("%s: %w", x.nb.Name(), err)
	}
	logf, err := os.Create(x.log)
	if err != nil {
		return fmt.Errorf("%s: kernel log: %w", x.nb.Name(), err)
	}
	defer logf.Close()

	args := []string{x.script, src, dst, workdir}
	if x.release != nil {
		args = append(args, strconv.Itoa(x.gate))
	}
	cmd := exec.Command(x.o.Jupyter.Python, args...)
	cmd.Dir = workdir
	cmd.Env = x.env
	cmd.Stderr = logf
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("%s: %w", x.nb.Name(), err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("%s: %w", x.nb.Name(), err)
	}
	events := make(chan pyEvent)
	readDone := make(chan struct{})
	// Its own process group: a terminal's Ctrl-C reaches this process
	// only, which stops the run in order. If this process dies, Python
	// gets SIGTERM and shuts the kernel down.
	child, err := proc.Start(cmd, syscall.SIGTERM)
	if err != nil {
		return fmt.Errorf("%s: start %s: %w", x.nb.Name(), x.o.Jupyter.Python, err)
	}
	exited := make(chan error, 1)
	go func() {
		<-readDone // all reads from the pipe come before Wait
		exited <- child.Wait()
	}()
	go readEvents(stdout, events, logf, readDone)
	go func() {
		// The line that opens the gate; a closed stdin is all the
		// script sees when it has no gate or ends first.
		defer stdin.Close()
		if x.release == nil {
			return
		}
		select {
		case <-x.release:
			_, _ = io.WriteString(stdin, "go\n")
		case <-readDone:
		}
	}()

	pid := child.Pid()
	var procs proc.Tracker
	var (
		failed   *CellError
		fatal    string
		done     bool
		stopping bool
		grace    <-chan time.Time
		ctxDone  = ctx.Done()
		tick     = time.NewTicker(200 * time.Millisecond)
	)
	defer tick.Stop()
	stop := func() {
		if stopping {
			return
		}
		stopping = true
		procs.Scan(pid)
		child.Kill(syscall.SIGTERM)
		grace = time.After(stopGrace)
	}
	x.current = -1
	for events != nil {
		select {
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			procs.Scan(pid)
			switch ev.Event {
			case "kernel_ready":
				x.emit(Event{Kind: KernelReady})
			case "waiting":
				x.emit(Event{Kind: Waiting, Cell: ev.Index + 1, Line: x.line(ev.Index)})
			case "cell_start":
				x.current = ev.Index
				x.emit(Event{Kind: CellStarted, Cell: ev.Index + 1, Line: x.line(ev.Index)})
			case "cell_progress":
				x.emit(Event{Kind: CellProgress, Cell: ev.Index + 1, Line: x.line(ev.Index), Text: ev.Text})
			case "cell_end":
				d := time.Duration(ev.Seconds * float64(time.Second))
				x.cells = append(x.cells, CellTime{Cell: ev.Index + 1, Line: x.line(ev.Index), Elapsed: d})
				x.emit(Event{Kind: CellFinished, Cell: ev.Index + 1, Line: x.line(ev.Index), Elapsed: d})
				if msg := Failure(ev.Outputs); msg != "" && failed == nil && !stopping {
					failed = &CellError{Notebook: x.nb.Name(), Cell: ev.Index + 1, Cells: x.nb.Cells(), Line: x.line(ev.Index), Text: msg}
					stop()
				}
			case "fatal":
				fatal = ev.Error
			case "done":
				done = true
			}
		case <-ctxDone:
			ctxDone = nil
			stop()
		case <-tick.C:
			procs.Scan(pid)
		case <-grace:
			grace = nil
			child.Kill(syscall.SIGKILL)
			procs.Kill()
		}
	}
	waitErr := <-exited
	procs.Kill() // whatever the kernel left behind

	switch {
	case failed != nil:
		return failed
	case ctx.Err() != nil:
		where := "before the first cell"
		if x.current >= 0 {
			where = fmt.Sprintf("in cell %d/%d (%s)", x.current+1, x.nb.Cells(), x.line(x.current))
		}
		if errors.Is(context.Cause(ctx), errTimeout) {
			return fmt.Errorf("%s: stopped %s: %w", x.nb.Name(), where, context.Cause(ctx))
		}
		return fmt.Errorf("%s: stopped %s: %w", x.nb.Name(), where, ctx.Err())
	case fatal != "" || waitErr != nil || !done:
		why := fatal
		if why == "" && waitErr != nil {
			why = waitErr.Error()
		}
		if why == "" {
			why = "the executor ended without a result"
		}
		return fmt.Errorf("%s: executing with %s failed: %s%s", x.nb.Name(), x.o.Jupyter.Python, why, logTail(x.log))
	}
	return nil
}

// errTimeout is the cause of a notebook's context when its time is up.
var errTimeout = errors.New("timed out")

// emit reports e with the notebook's fields filled in.
func (x *execution) emit(e Event) {
	if x.report == nil {
		return
	}
	e.Notebook, e.Index, e.Total, e.Cells = x.base.Notebook, x.base.Index, x.base.Total, x.nb.Cells()
	x.report(e)
}

// line is cell i's first line, for messages.
func (x *execution) line(i int) string {
	if i < 0 || i >= x.nb.Cells() {
		return ""
	}
	return x.nb.FirstLine(i)
}

// readEvents decodes the event stream until it ends; a line that is not
// an event goes to the log.
func readEvents(r io.Reader, events chan<- pyEvent, log io.Writer, done chan<- struct{}) {
	defer close(done)
	defer close(events)
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		line, err := br.ReadBytes('\n')
		if len(strings.TrimSpace(string(line))) > 0 {
			var ev pyEvent
			if json.Unmarshal(line, &ev) == nil && ev.Event != "" {
				events <- ev
			} else {
				_, _ = log.Write(line)
			}
		}
		if err != nil {
			return
		}
	}
}

// logTail is the end of the kernel log at path, indented, for an error
// message; "" when it is empty.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := nonBlankLines(string(b))
	if len(lines) == 0 {
		return ""
	}
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return "\n  the kernel's log ends:\n" + indent(strings.Join(lines, "\n"), "    ")
}
