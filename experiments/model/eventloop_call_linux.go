package model

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// A call on the event loop is asyncio's open_connection, write, readline
// and close, done by hand: a non-blocking socket registered in the loop's
// epoll, and the task suspended at each step until the socket is ready.
//
//	socket(O_NONBLOCK); connect -> EINPROGRESS; await EPOLLOUT (connected,
//	or SO_ERROR says why not); write the request; await EPOLLIN; read the
//	answer; close
//
// Each await point yields the loop to every other task. The timeout is a
// timer on the loop's heap, like asyncio.wait_for's: when it fires first,
// the socket is closed and the task fails with a timeout.

// The states of a call on the loop.
const (
	callConnecting = iota
	callReceiving
)

// sockCall is one call in flight on the loop.
type sockCall struct {
	c       *coro
	fd      int
	addr    string
	timeout time.Duration
	state   int
	start   time.Duration
	buf     []byte
	done    bool
}

// startCall begins the call step s of task c: it opens and connects the
// socket, registers it and arms the timeout, then returns to the loop.
func (l *loop) startCall(c *coro, s Step) {
	sc := &sockCall{c: c, fd: -1, addr: s.Addr, timeout: s.Duration, start: l.r.now()}
	sa, err := sockaddr(s.Addr)
	if err != nil {
		l.failCall(sc, err)
		return
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		l.failCall(sc, fmt.Errorf("connect %s: %w", s.Addr, os.NewSyscallError("socket", err)))
		return
	}
	sc.fd = fd
	if l.calls == nil {
		l.calls = map[int32]*sockCall{}
	}
	l.calls[int32(fd)] = sc
	if err := unix.Connect(fd, sa); err != nil && !errors.Is(err, unix.EINPROGRESS) {
		l.failCall(sc, fmt.Errorf("connect %s: %w", s.Addr, os.NewSyscallError("connect", err)))
		return
	}
	// Connected at once or in progress: either way, writable means done.
	ev := unix.EpollEvent{Events: unix.EPOLLOUT, Fd: int32(fd)}
	if err := unix.EpollCtl(l.p.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		l.failCall(sc, fmt.Errorf("connect %s: %w", s.Addr, os.NewSyscallError("epoll_ctl", err)))
		return
	}
	l.callAt(time.Now().Add(s.Duration), func() {
		if sc.done {
			return
		}
		what := "connecting"
		if sc.state == callReceiving {
			what = "waiting for the answer"
		}
		l.failCall(sc, &KindError{Kind: ErrTimeout, Err: fmt.Errorf("call %s: timed out after %s %s", sc.addr, sc.timeout, what)})
	})
}

// dispatchIO puts the callbacks of the sockets epoll found ready on the
// ready queue, as asyncio's _process_events does. The call is looked up
// now, so a callback never acts on a later call that reused a closed
// socket's number.
func (l *loop) dispatchIO(events []unix.EpollEvent) {
	for _, ev := range events {
		sc, ok := l.calls[ev.Fd]
		if !ok {
			continue
		}
		mask := ev.Events
		l.callSoon(func() { l.onReady(sc, mask) })
	}
}

// onReady moves a call on when its socket is ready.
func (l *loop) onReady(sc *sockCall, mask uint32) {
	if sc.done {
		return
	}
	switch sc.state {
	case callConnecting:
		soErr, err := unix.GetsockoptInt(sc.fd, unix.SOL_SOCKET, unix.SO_ERROR)
		if err == nil && soErr != 0 {
			err = unix.Errno(soErr)
		}
		if err != nil {
			l.failCall(sc, fmt.Errorf("connect %s: %w", sc.addr, os.NewSyscallError("connect", err)))
			return
		}
		if mask&(unix.EPOLLOUT|unix.EPOLLERR|unix.EPOLLHUP) == 0 {
			return
		}
		// The request is a few bytes: an empty socket buffer takes it whole.
		n, err := unix.Write(sc.fd, callRequest)
		if err == nil && n < len(callRequest) {
			err = fmt.Errorf("short write: %d of %d bytes", n, len(callRequest))
		}
		if err != nil {
			l.failCall(sc, fmt.Errorf("call %s: send: %w", sc.addr, os.NewSyscallError("write", err)))
			return
		}
		sc.state = callReceiving
		ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(sc.fd)}
		if err := unix.EpollCtl(l.p.epfd, unix.EPOLL_CTL_MOD, sc.fd, &ev); err != nil {
			l.failCall(sc, fmt.Errorf("call %s: %w", sc.addr, os.NewSyscallError("epoll_ctl", err)))
		}
	case callReceiving:
		var buf [maxResponse]byte
		for {
			n, err := unix.Read(sc.fd, buf[:])
			switch {
			case errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR):
				return
			case err != nil:
				l.failCall(sc, fmt.Errorf("call %s: receive: %w", sc.addr, os.NewSyscallError("read", err)))
				return
			case n == 0:
				l.failCall(sc, &KindError{Kind: ErrReset, Err: fmt.Errorf("call %s: the server closed the connection before answering", sc.addr)})
				return
			}
			sc.buf = append(sc.buf, buf[:n]...)
			if bytes.IndexByte(sc.buf, '\n') >= 0 {
				l.endCall(sc)
				l.r.segment(sc.c.i, KindCall, sc.start)
				l.advance(sc.c)
				return
			}
			if len(sc.buf) >= maxResponse {
				l.failCall(sc, fmt.Errorf("call %s: receive: no end of line in %d bytes", sc.addr, len(sc.buf)))
				return
			}
		}
	}
}

// endCall closes the call's socket (which takes it out of epoll too).
func (l *loop) endCall(sc *sockCall) {
	sc.done = true
	if sc.fd >= 0 {
		delete(l.calls, int32(sc.fd))
		_ = unix.Close(sc.fd)
		sc.fd = -1
	}
}

// failCall ends the call and its task with err; the rest of the batch goes
// on.
func (l *loop) failCall(sc *sockCall, err error) {
	l.endCall(sc)
	l.r.segment(sc.c.i, KindCall, sc.start)
	l.r.ended(sc.c.i, err)
	l.pending--
	l.release(sc.c.slot)
}

// closeCalls closes the sockets of calls still in flight when the loop
// stops (it was cancelled), so that a run leaves no descriptor open.
func (l *loop) closeCalls() {
	for _, sc := range l.calls {
		l.endCall(sc)
	}
}

// sockaddr parses "ip:port" into a socket address for connect.
func sockaddr(addr string) (unix.Sockaddr, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, &KindError{Kind: ErrOther, Err: fmt.Errorf("call %q: the event loop needs an IPv4 address and a port: %w", addr, err)}
	}
	if !ap.Addr().Is4() {
		return nil, &KindError{Kind: ErrOther, Err: fmt.Errorf("call %s: the event loop connects to IPv4 addresses only", addr)}
	}
	return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}, nil
}
