package loopback

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boundlab/boundlab/internal/testlock"
)

func TestMain(m *testing.M) { testlock.Main(m) }

// call makes one request and says how it went.
func call(addr string, timeout time.Duration) error {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte("hello\n")); err != nil {
		return err
	}
	var buf [16]byte
	n, err := c.Read(buf[:])
	if err != nil {
		return err
	}
	if !bytes.Equal(buf[:n], []byte("ok\n")) {
		return errors.New("answer " + string(buf[:n]))
	}
	return nil
}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// settle waits for goroutines and descriptors to come back to at most
// their counts before, failing the test if they do not.
func settle(t *testing.T, fds0, g0 int) {
	t.Helper()
	var fds, g int
	for range 100 {
		fds, g = openFDs(t), runtime.NumGoroutine()
		if fds <= fds0 && g <= g0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	buf := make([]byte, 1<<16)
	t.Fatalf("leak: %d descriptors (%d before), %d goroutines (%d before)\n%s", fds, fds0, g, g0, buf[:runtime.Stack(buf, true)])
}

// The server answers, its capacity bounds its throughput, and closing it
// leaves no goroutine or descriptor behind.
func TestServeAndClose(t *testing.T) {
	fds0, g0 := openFDs(t), runtime.NumGoroutine()
	cfg := Config{Workers: 4, Backlog: 64, Service: 50 * time.Millisecond}
	s, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") || cfg.Capacity() != 80 {
		t.Fatalf("addr %s, capacity %v", s.Addr(), cfg.Capacity())
	}
	const n = 12
	var wg sync.WaitGroup
	errs := make(chan error, n)
	t0 := time.Now()
	for range n {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- call(s.Addr(), 5*time.Second) }()
	}
	wg.Wait()
	el := time.Since(t0)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// 12 requests on 4 workers at 50 ms: three rounds.
	if el < 150*time.Millisecond || el > 600*time.Millisecond {
		t.Fatalf("12 calls took %v, want about 150 ms", el)
	}
	st := s.Close()
	if st.Accepted != n || st.Served != n || st.PeakBusy != 4 || st.Backlog != 64 || st.PeakQueue < 1 {
		t.Fatalf("stats %+v", st)
	}
	if st2 := s.Close(); st2 != st {
		t.Fatalf("second Close: %+v", st2)
	}
	settle(t, fds0, g0)
}

// Connections beyond the workers wait in the accept queue; beyond its
// backlog+1 the kernel drops the SYN, and a client with a timeout under the
// SYN's 1 s retransmission times out connecting. None is refused.
func TestBacklogDropsSYNs(t *testing.T) {
	fds0, g0 := openFDs(t), runtime.NumGoroutine()
	s, err := Start(context.Background(), Config{Workers: 1, Backlog: 4, Service: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	const n = 12
	var conns []net.Conn
	var timeouts, refused int
	for range n {
		c, err := net.DialTimeout("tcp", s.Addr(), 300*time.Millisecond)
		var ne net.Error
		switch {
		case err == nil:
			conns = append(conns, c)
		case errors.As(err, &ne) && ne.Timeout():
			timeouts++
		case strings.Contains(err.Error(), "refused"):
			refused++
		default:
			t.Fatal(err)
		}
	}
	// One worker holds one connection; the queue holds backlog+1 = 5.
	time.Sleep(50 * time.Millisecond)
	st := s.Stats()
	t.Logf("%d connected, %d timed out, %d refused; %+v", len(conns), timeouts, refused, st)
	if len(conns) != 1+5 || timeouts != n-6 || refused != 0 {
		t.Fatalf("%d connected, %d timed out, %d refused; want 6, %d, 0", len(conns), timeouts, refused, n-6)
	}
	if st.PeakQueue != 5 || st.Accepted != 1 || (st.ListenOverflows >= 0 && st.ListenOverflows < int64(timeouts)) {
		t.Fatalf("stats %+v", st)
	}
	for _, c := range conns {
		c.Close()
	}
	s.Close()
	settle(t, fds0, g0)
}

// A client that hangs up while served is noticed: the work is dropped,
// counted stale.
func TestStale(t *testing.T) {
	s, err := Start(context.Background(), Config{Workers: 1, Backlog: 4, Service: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := call(s.Addr(), 100*time.Millisecond); err == nil {
		t.Fatal("a 10 s service answered in 100 ms")
	}
	for range 100 {
		if s.Stats().Stale == 1 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("stats %+v", s.Stats())
}

// Cancelling the context stops the server; nothing listens afterwards.
func TestStopWithContext(t *testing.T) {
	fds0, g0 := openFDs(t), runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, Config{Workers: 3, Backlog: 8, Service: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = call(s.Addr(), 5*time.Second) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	settle(t, fds0, g0+1) // the caller may still be on its way out
	if err := call(s.Addr(), time.Second); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("after stop: %v, want refused", err)
	}
	if st := s.Close(); st.Failed != 1 {
		t.Fatalf("stats %+v: the call being served when it stopped is failed", st)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{{Workers: 0, Backlog: 1}, {Workers: 1, Backlog: 0}, {Workers: 1, Backlog: 1, Service: -1}} {
		if _, err := Start(context.Background(), c); err == nil {
			t.Errorf("Start(%+v) succeeded", c)
		}
	}
}
