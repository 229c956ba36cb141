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

	l, err := x.launch(src, dst, workdir, logf)
	if err != nil {
		return err
	}
	return x.judge(ctx, x.follow(ctx, l))
}

// launched is a started execute.py: its process, its event stream (closed
// when the stream ends) and its exit (sent after the stream ends).
type launched struct {
	child  *proc.Child
	events chan pyEvent
	exited chan error
}

// outcome is what the event stream and the exit of execute.py said of a
// run: the first cell that failed, a fatal error, whether it got to the
// end.
type outcome struct {
	failed  *CellError
	fatal   string
	done    bool
	waitErr error
}

// launch starts execute.py on src, writing dst, in workdir, its errors and
// any line that is not an event into logf; it reads its events and, if
// the notebook has a gate, opens it when x.release is closed.
func (x *execution) launch(src, dst, workdir string, logf io.Writer) (*launched, error) {
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
		return nil, fmt.Errorf("%s: %w", x.nb.Name(), err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", x.nb.Name(), err)
	}
	l := &launched{events: make(chan pyEvent), exited: make(chan error, 1)}
	readDone := make(chan struct{})
	// Its own process group: a terminal's Ctrl-C reaches this process
	// only, which stops the run in order. If this process dies, Python
	// gets SIGTERM and shuts the kernel down.
	l.child, err = proc.Start(cmd, syscall.SIGTERM)
	if err != nil {
		return nil, fmt.Errorf("%s: start %s: %w", x.nb.Name(), x.o.Jupyter.Python, err)
	}
	go func() {
		<-readDone // all reads from the pipe come before Wait
		l.exited <- l.child.Wait()
	}()
	go readEvents(stdout, l.events, logf, readDone)
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
	return l, nil
}

// follow reports l's events until its stream ends, keeping track of the
// processes below it. At the first failed cell or when ctx is done it asks
// Python to stop, and kills the whole tree if that takes longer than
// stopGrace; once Python has exited it kills whatever the kernel left
// behind.
func (x *execution) follow(ctx context.Context, l *launched) outcome {
	pid := l.child.Pid()
	var procs proc.Tracker
	var (
		out      outcome
		stopping bool
		grace    <-chan time.Time
		events   = l.events
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
		l.child.Kill(syscall.SIGTERM)
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
			if x.handle(ev, &out, stopping) {
				stop()
			}
		case <-ctxDone:
			ctxDone = nil
			stop()
		case <-tick.C:
			procs.Scan(pid)
		case <-grace:
			grace = nil
			l.child.Kill(syscall.SIGKILL)
			procs.Kill()
		}
	}
	out.waitErr = <-l.exited
	procs.Kill() // whatever the kernel left behind
	return out
}

// handle reports one event of execute.py and notes in out what it says of
// the run. It returns true when a cell has failed first (and the run is
// not already stopping): the run must stop.
func (x *execution) handle(ev pyEvent, out *outcome, stopping bool) bool {
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
		if msg := Failure(ev.Outputs); msg != "" && out.failed == nil && !stopping {
			out.failed = &CellError{Notebook: x.nb.Name(), Cell: ev.Index + 1, Cells: x.nb.Cells(), Line: x.line(ev.Index), Text: msg}
			return true
		}
	case "fatal":
		out.fatal = ev.Error
	case "done":
		out.done = true
	}
	return false
}

// judge turns a run's outcome into its error: the failed cell first, then
// a stop (where it stopped, and why), then a failure of the executor with
// the end of the kernel's log; nil for a run that got to the end.
func (x *execution) judge(ctx context.Context, out outcome) error {
	switch {
	case out.failed != nil:
		return out.failed
	case ctx.Err() != nil:
		where := "before the first cell"
		if x.current >= 0 {
			where = fmt.Sprintf("in cell %d/%d (%s)", x.current+1, x.nb.Cells(), x.line(x.current))
		}
		if errors.Is(context.Cause(ctx), errTimeout) {
			return fmt.Errorf("%s: stopped %s: %w", x.nb.Name(), where, context.Cause(ctx))
		}
		return fmt.Errorf("%s: stopped %s: %w", x.nb.Name(), where, ctx.Err())
	case out.fatal != "" || out.waitErr != nil || !out.done:
		why := out.fatal
		if why == "" && out.waitErr != nil {
			why = out.waitErr.Error()
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
