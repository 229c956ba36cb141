package model

import (
	"context"
	"time"
)

// goCallStep is a call on the goroutines model: the goroutine parks in Go's
// poller while the socket waits; the call is one "call" segment.
func goCallStep(ctx context.Context, r *recorder, i int, s Step, start time.Duration) error {
	err := goCall(ctx, s.Addr, s.Duration)
	r.segment(i, KindCall, start)
	return err
}

// gilCall is a call on the gil model's thread w: like CPython's socket
// calls, it releases the GIL for the whole blocking call (connect, send,
// receive) and takes it back afterwards, which can mean waiting for it.
func gilCall(ctx context.Context, r *recorder, g *GIL, w, i int, s Step) error {
	return withoutGIL(r, g, w, i, KindCall, func() error { return goCall(ctx, s.Addr, s.Duration) })
}

// workerCall is a call in a worker process of the processes model: the
// worker makes it with Go's net package, on its one thread, and reports the
// error and its kind as text.
func workerCall(s Step) (string, ErrKind) {
	if err := goCall(context.Background(), s.Addr, s.Duration); err != nil {
		return err.Error(), Classify(err)
	}
	return "", ""
}
