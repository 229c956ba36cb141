package model

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// MaxCallTimeout bounds a call's client-side timeout.
const MaxCallTimeout = 10 * time.Minute

// callRequest is what a call sends: one line. The server (see package
// experiments/loopback) reads one line and answers with one.
var callRequest = []byte("boundlab call\n")

// maxResponse bounds the response line a call reads.
const maxResponse = 512

// Call returns a step that makes one request to the server at addr
// ("127.0.0.1:port") over a new TCP connection: connect, send a line, wait
// for the answering line, close. There is no connection pool: every call
// opens, and so holds for its duration, a socket of its own. timeout bounds
// the whole call, connecting included; a call that fails (see Classify)
// fails its task, and the rest of the batch goes on.
func Call(addr string, timeout time.Duration) Step {
	return Step{Kind: KindCall, Addr: addr, Duration: timeout}
}

// validateCall checks a call step.
func validateCall(s Step) error {
	if s.Addr == "" {
		return errors.New("call needs an address")
	}
	if _, _, err := net.SplitHostPort(s.Addr); err != nil {
		return fmt.Errorf("call address %q: %w", s.Addr, err)
	}
	if s.Duration <= 0 || s.Duration > MaxCallTimeout {
		return fmt.Errorf("call timeout must be from 1ns to %s, got %s", MaxCallTimeout, s.Duration)
	}
	return nil
}

// goCall makes the call on the calling goroutine with Go's net package:
// the runtime's poller waits for the socket, so the goroutine parks and its
// thread runs others meanwhile. It returns ctx's error if ctx ends first.
func goCall(ctx context.Context, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	d := net.Dialer{Deadline: deadline, KeepAlive: -1}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		return fmt.Errorf("connect %s: %w", addr, err)
	}
	defer conn.Close()
	// Cancelling the run cuts the call short: the deadline moves to now.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	if err := conn.SetDeadline(deadline); err != nil {
		return fmt.Errorf("call %s: %w", addr, err)
	}
	err = exchange(conn)
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if err != nil {
		return fmt.Errorf("call %s: %w", addr, err)
	}
	return nil
}

// exchange sends the request on rw and reads the response line.
func exchange(rw io.ReadWriter) error {
	if _, err := rw.Write(callRequest); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	var buf [maxResponse]byte
	n := 0
	for {
		k, err := rw.Read(buf[n:])
		n += k
		if bytes.IndexByte(buf[:n], '\n') >= 0 {
			return nil
		}
		if err == io.EOF {
			return &KindError{Kind: ErrReset, Err: errors.New("the server closed the connection before answering")}
		}
		if err != nil {
			return fmt.Errorf("receive: %w", err)
		}
		if n == len(buf) {
			return fmt.Errorf("receive: no end of line in %d bytes", n)
		}
	}
}
