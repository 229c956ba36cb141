package loopback

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Limits on a server's configuration.
const (
	MaxWorkers = 100_000
	MaxBacklog = 65_535
	MaxService = time.Minute
)

// Config is a server's capacity.
type Config struct {
	// Workers is how many connections are served at once.
	Workers int
	// Backlog is the listen backlog: how many connections may wait,
	// connected, for a worker. The kernel caps it at net.core.somaxconn.
	Backlog int
	// Service is how long a worker spends on each connection, between
	// reading the request and writing the answer.
	Service time.Duration
	// ReadTimeout bounds the wait for a request on an accepted connection.
	// Zero means 10 s.
	ReadTimeout time.Duration
}

// Stats is what a server counted.
type Stats struct {
	// Accepted connections, and of those: Served (answered), Stale (the
	// client hung up before its answer was ready: the server noticed and
	// dropped the work) and Failed (no request, the answer could not be
	// written, or the server was closing).
	Accepted int64 `json:"accepted"`
	Served   int64 `json:"served"`
	Stale    int64 `json:"stale"`
	Failed   int64 `json:"failed"`
	// AcceptTooManyFiles counts accepts that failed with EMFILE or ENFILE;
	// AcceptOther other failed accepts. The server backs off 5 ms after
	// either and goes on.
	AcceptTooManyFiles int64 `json:"accept_too_many_files"`
	AcceptOther        int64 `json:"accept_other"`
	// PeakBusy is the most workers busy at once; PeakQueue the most
	// connections seen waiting in the accept queue (sampled every
	// millisecond).
	PeakBusy  int `json:"peak_busy"`
	PeakQueue int `json:"peak_queue"`
	// Backlog is the accept queue's limit as the kernel set it: the
	// requested backlog, capped at net.core.somaxconn.
	Backlog int `json:"backlog"`
	// ListenOverflows and ListenDrops are the kernel's counts (TcpExt, per
	// network namespace) of connection attempts dropped because an accept
	// queue was full, while the server ran; -1 where unreadable.
	ListenOverflows int64 `json:"listen_overflows"`
	ListenDrops     int64 `json:"listen_drops"`
}

// Capacity is the server's throughput bound: workers / service time, in
// requests a second.
func (c Config) Capacity() float64 {
	if c.Service <= 0 {
		return 0
	}
	return float64(c.Workers) / c.Service.Seconds()
}

func (c Config) validate() error {
	if c.Workers < 1 || c.Workers > MaxWorkers {
		return fmt.Errorf("loopback: workers must be from 1 to %d, got %d", MaxWorkers, c.Workers)
	}
	if c.Backlog < 1 || c.Backlog > MaxBacklog {
		return fmt.Errorf("loopback: backlog must be from 1 to %d, got %d", MaxBacklog, c.Backlog)
	}
	if c.Service < 0 || c.Service > MaxService {
		return fmt.Errorf("loopback: service time must be from 0 to %s, got %s", MaxService, c.Service)
	}
	return nil
}

// Server is a running loopback server.
type Server struct {
	cfg    Config
	ln     *net.TCPListener
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	stop   func() bool

	accepted, served, stale, failed atomic.Int64
	acceptFiles, acceptOther        atomic.Int64
	busy, peakBusy, peakQueue       atomic.Int64
	backlog                         int
	over0, drop0                    int64

	closeOnce sync.Once
	final     Stats
}

// Start listens on 127.0.0.1 on a free port and starts the workers. The
// server stops when ctx ends or Close is called.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = 10 * time.Second
	}
	ln, err := listen(cfg.Backlog)
	if err != nil {
		return nil, fmt.Errorf("loopback: %w", err)
	}
	s := &Server{cfg: cfg, ln: ln}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.over0, s.drop0 = listenCounters()
	if q, ok := queue(ln); ok {
		s.backlog = q.limit
	}
	s.wg.Add(cfg.Workers + 1)
	for range cfg.Workers {
		go s.worker()
	}
	go s.sample()
	s.stop = context.AfterFunc(ctx, func() { s.Close() })
	return s, nil
}

// Addr is the server's address, "127.0.0.1:port".
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Config is the server's configuration.
func (s *Server) Config() Config { return s.cfg }

// Stats is what the server has counted so far (after Close, in all).
func (s *Server) Stats() Stats {
	over, drop := listenCounters()
	st := Stats{
		Accepted: s.accepted.Load(), Served: s.served.Load(), Stale: s.stale.Load(), Failed: s.failed.Load(),
		AcceptTooManyFiles: s.acceptFiles.Load(), AcceptOther: s.acceptOther.Load(),
		PeakBusy: int(s.peakBusy.Load()), PeakQueue: int(s.peakQueue.Load()), Backlog: s.backlog,
		ListenOverflows: -1, ListenDrops: -1,
	}
	if over >= 0 && s.over0 >= 0 {
		st.ListenOverflows = over - s.over0
	}
	if drop >= 0 && s.drop0 >= 0 {
		st.ListenDrops = drop - s.drop0
	}
	return st
}

// Close stops the server: it stops listening (connections still in the
// accept queue are reset), cuts short the connections being served, waits
// for its goroutines and returns the final counts. It may be called more
// than once.
func (s *Server) Close() Stats {
	s.closeOnce.Do(func() {
		if s.stop != nil {
			s.stop()
		}
		s.cancel()
		_ = s.ln.Close()
		s.wg.Wait()
		s.final = s.Stats()
	})
	return s.final
}

// worker serves connections one at a time until the server closes.
func (s *Server) worker() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				s.acceptFiles.Add(1)
			} else {
				s.acceptOther.Add(1)
			}
			// Back off, as net/http does, rather than spin on the error.
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(5 * time.Millisecond):
			}
			continue
		}
		s.serve(conn.(*net.TCPConn))
	}
}

// serve reads the request line, waits the service time, and answers. Like
// Go's HTTP server, it watches the connection meanwhile: a client that
// hangs up (it timed out, or was cancelled) is noticed at once, and the
// work for it is dropped and counted as stale.
func (s *Server) serve(conn *net.TCPConn) {
	s.accepted.Add(1)
	bump(&s.peakBusy, s.busy.Add(1))
	defer s.busy.Add(-1)
	stop := context.AfterFunc(s.ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()

	_ = conn.SetReadDeadline(time.Now().Add(s.cfg.ReadTimeout))
	if err := readLine(conn); err != nil {
		conn.Close()
		s.failed.Add(1)
		return
	}
	// The client sends nothing after its request: a read that returns
	// means it closed its end (or the server closed the connection).
	_ = conn.SetReadDeadline(time.Time{})
	gone := make(chan struct{})
	go func() {
		var b [1]byte
		_, _ = conn.Read(b[:])
		close(gone)
	}()
	defer func() {
		conn.Close()
		<-gone
	}()
	if s.cfg.Service > 0 {
		t := time.NewTimer(s.cfg.Service)
		defer t.Stop()
		select {
		case <-t.C:
		case <-gone:
			s.stale.Add(1)
			return
		case <-s.ctx.Done():
			s.failed.Add(1)
			return
		}
	}
	select {
	case <-gone:
		s.stale.Add(1)
		return
	default:
	}
	_ = conn.SetWriteDeadline(time.Now().Add(s.cfg.ReadTimeout))
	if _, err := conn.Write([]byte("ok\n")); err != nil {
		s.failed.Add(1)
		return
	}
	s.served.Add(1)
}

// readLine reads until the end of the request line.
func readLine(conn net.Conn) error {
	var buf [512]byte
	n := 0
	for {
		k, err := conn.Read(buf[n:])
		n += k
		if bytes.IndexByte(buf[:n], '\n') >= 0 {
			return nil
		}
		if err != nil {
			return err
		}
		if n == len(buf) {
			return errors.New("request line too long")
		}
	}
}

// sample records the deepest accept queue, every millisecond.
func (s *Server) sample() {
	defer s.wg.Done()
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			if q, ok := queue(s.ln); ok {
				bump(&s.peakQueue, int64(q.waiting))
			}
		}
	}
}

func bump(peak *atomic.Int64, v int64) {
	for {
		p := peak.Load()
		if v <= p || peak.CompareAndSwap(p, v) {
			return
		}
	}
}
