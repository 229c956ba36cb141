package model

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments/loopback"
	"github.com/boundlab/boundlab/experiments/measure"
)

// startServer starts a loopback server for the test, stopped at its end.
func startServer(t *testing.T, cfg loopback.Config) *loopback.Server {
	t.Helper()
	s, err := loopback.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// callModels are the models and flavors a call runs on, cpython's where an
// interpreter is.
func callModels(t *testing.T) []Config {
	t.Helper()
	cfgs := []Config{{}, {}, {}, {}}
	names := []string{"goroutines", "gil", "eventloop", "processes"}
	for i := range cfgs {
		cfgs[i].Flavor = names[i]
	}
	if _, err := Probe(context.Background(), ""); err == nil {
		for _, f := range Flavors() {
			cfgs = append(cfgs, Config{Flavor: "cpython " + f})
		}
	} else {
		t.Logf("no cpython: %v", err)
	}
	return cfgs
}

// runOn runs tasks on the model named by cfg.Flavor ("cpython threads" for
// cpython's flavors).
func runOn(ctx context.Context, t *testing.T, cfg Config, tasks []Task) (*Run, error) {
	t.Helper()
	s := ParseSeries(cfg.Flavor)
	cfg.Flavor = s.Flavor
	return mustGet(t, s.Model).Run(ctx, tasks, cfg)
}

// Every model makes real calls: each task's span has a call segment at
// least the service time long, and the server answered every one.
func TestCallEveryModel(t *testing.T) {
	srv := startServer(t, loopback.Config{Workers: 4, Backlog: 64, Service: 20 * time.Millisecond})
	const n = 8
	served := int64(0)
	for _, cfg := range callModels(t) {
		t.Run(strings.ReplaceAll(cfg.Flavor, " ", "-"), func(t *testing.T) {
			cfg.Concurrency = 4
			run, err := runOn(context.Background(), t, cfg, Repeat(n, NewTask(Call(srv.Addr(), 5*time.Second))))
			if err != nil {
				t.Fatal(err)
			}
			if run.Totals.Failed != 0 {
				t.Fatalf("%d failed: %v; first: %s", run.Totals.Failed, run.Totals.Errors, firstErr(run))
			}
			for _, s := range run.Spans {
				var call time.Duration
				for _, g := range s.Segments {
					if g.Kind == KindCall {
						call += g.End - g.Start
					}
				}
				if call < 20*time.Millisecond {
					t.Fatalf("task %d: call segment %v, want at least the 20ms service time: %+v", s.Task, call, s.Segments)
				}
			}
			// 8 calls on 4 server workers at 20 ms: two rounds at least.
			if run.Totals.Wall < 40*time.Millisecond {
				t.Fatalf("wall %v: the server's capacity did not bound the run", run.Totals.Wall)
			}
			// The server counts an answer once written; the client may be
			// done with it first.
			served += n
			st := srv.Stats()
			for k := 0; k < 100 && st.Served != served; k++ {
				time.Sleep(5 * time.Millisecond)
				st = srv.Stats()
			}
			if st.Served != served {
				t.Fatalf("server served %d, want %d: %+v", st.Served, served, st)
			}
		})
	}
}

func firstErr(run *Run) string {
	for _, s := range run.Spans {
		if s.Err != "" {
			return fmt.Sprintf("[%s] %s", s.ErrKind, s.Err)
		}
	}
	return ""
}

// freeAddr is an address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// A call to a port nothing listens on is refused, on every model; the
// batch goes on, each task failing alone.
func TestCallRefused(t *testing.T) {
	addr := freeAddr(t)
	for _, cfg := range callModels(t) {
		cfg.Concurrency = 2
		run, err := runOn(context.Background(), t, cfg, Repeat(3, NewTask(Call(addr, 2*time.Second), Wait(time.Millisecond))))
		if err != nil {
			t.Fatalf("%s: %v", cfg.Flavor, err)
		}
		if run.Totals.Failed != 3 || run.Totals.Errors[ErrRefused] != 3 {
			t.Fatalf("%s: failed %d, errors %v; first: %s", cfg.Flavor, run.Totals.Failed, run.Totals.Errors, firstErr(run))
		}
		for _, s := range run.Spans {
			if s.ErrKind != ErrRefused || s.Err == "" {
				t.Fatalf("%s: span %+v", cfg.Flavor, s)
			}
			for _, g := range s.Segments {
				if g.Kind == KindWait {
					t.Fatalf("%s: the step after a failed call ran: %+v", cfg.Flavor, s.Segments)
				}
			}
		}
	}
}

// silentServer accepts connections and never answers; it closes them at
// the end of the test.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

// A server that never answers makes every model's call time out at its
// timeout, and the tasks calling a working server still succeed.
func TestCallTimeout(t *testing.T) {
	silent := silentServer(t)
	srv := startServer(t, loopback.Config{Workers: 2, Backlog: 16, Service: time.Millisecond})
	const timeout = 300 * time.Millisecond
	for _, cfg := range callModels(t) {
		cfg.Concurrency = 4
		tasks := []Task{
			NewTask(Call(silent, timeout)), NewTask(Call(srv.Addr(), 5*time.Second)),
			NewTask(Call(silent, timeout)), NewTask(Call(srv.Addr(), 5*time.Second)),
		}
		run, err := runOn(context.Background(), t, cfg, tasks)
		if err != nil {
			t.Fatalf("%s: %v", cfg.Flavor, err)
		}
		if run.Totals.Errors[ErrTimeout] != 2 || run.Totals.Failed != 2 {
			t.Fatalf("%s: errors %v; first: %s", cfg.Flavor, run.Totals.Errors, firstErr(run))
		}
		for _, i := range []int{0, 2} {
			s := run.Spans[i]
			d := s.End - s.Start
			if s.ErrKind != ErrTimeout || d < timeout*9/10 || d > timeout+400*time.Millisecond {
				t.Fatalf("%s: task %d took %v to fail (%s: %s), want about %v", cfg.Flavor, i, d, s.ErrKind, s.Err, timeout)
			}
		}
	}
}

// Errors are classified from the system's errors.
func TestClassify(t *testing.T) {
	cases := []struct {
		err  error
		want ErrKind
	}{
		{fmt.Errorf("dial: %w", os.NewSyscallError("socket", errEMFILE)), ErrTooManyFiles},
		{&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", errRefused)}, ErrRefused},
		{fmt.Errorf("read: %w", os.ErrDeadlineExceeded), ErrTimeout},
		{fmt.Errorf("read: %w", errReset), ErrReset},
		{&KindError{Kind: ErrTimeout, Err: errors.New("x")}, ErrTimeout},
		{kindError("", "worker said so"), ErrOther},
		{errors.New("something else"), ErrOther},
		{nil, ""},
	}
	for _, c := range cases {
		if got := Classify(c.err); got != c.want {
			t.Errorf("Classify(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

// Cancelling a run in the middle of its calls ends it promptly and leaves
// no socket open, on every model; the processes' and cpython's processes
// are gone.
func TestCallCancelled(t *testing.T) {
	srv := startServer(t, loopback.Config{Workers: 8, Backlog: 64, Service: 30 * time.Second})
	for _, cfg := range callModels(t) {
		fds0, err := measure.OpenFDs(0)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Concurrency = 4
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		t0 := time.Now()
		_, err = runOn(ctx, t, cfg, Repeat(6, NewTask(Call(srv.Addr(), time.Minute))))
		cancel()
		if err == nil || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s: err = %v, want the context's", cfg.Flavor, err)
		}
		if el := time.Since(t0); el > 4*time.Second {
			t.Fatalf("%s: took %v to stop", cfg.Flavor, el)
		}
		// The server notices the clients hang up and closes its ends; Go's
		// runtime closes a socket when its last user returns: a moment.
		var fds int
		for range 50 {
			runtime.GC()
			if fds, _ = measure.OpenFDs(0); fds <= fds0 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if fds > fds0 {
			t.Fatalf("%s: %d descriptors open after the run, %d before", cfg.Flavor, fds, fds0)
		}
		if kids := children(t); len(kids) > 0 {
			t.Fatalf("%s: child processes left: %v", cfg.Flavor, kids)
		}
	}
}

var (
	errEMFILE  = syscallErrno(24)
	errRefused = syscallErrno(111)
	errReset   = syscallErrno(104)
)
