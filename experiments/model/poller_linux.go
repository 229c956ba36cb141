package model

import (
	"errors"
	"fmt"
	"math"
	"time"

	"golang.org/x/sys/unix"
)

// poller is the event loop's OS poller: an epoll instance with an eventfd
// that other goroutines write to wake the loop (on cancellation).
type poller struct {
	epfd   int
	wakefd int
	events []unix.EpollEvent
}

func newPoller() (*poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	wfd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wfd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wfd, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(wfd)
		return nil, fmt.Errorf("epoll_ctl: %w", err)
	}
	return &poller{epfd: epfd, wakefd: wfd, events: make([]unix.EpollEvent, 128)}, nil
}

// wait blocks in epoll_wait for at most timeout (forever if negative). Like
// asyncio's selector loop, it rounds the timeout up to whole milliseconds,
// the resolution epoll offers. It returns the ready descriptors other than
// the wake-up one.
func (p *poller) wait(timeout time.Duration) ([]unix.EpollEvent, error) {
	ms := -1
	if timeout >= 0 {
		ms = int(math.Ceil(float64(timeout) / float64(time.Millisecond)))
	}
	for {
		n, err := unix.EpollWait(p.epfd, p.events, ms)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("epoll_wait: %w", err)
		}
		out := p.events[:0:0]
		for _, ev := range p.events[:n] {
			if int(ev.Fd) == p.wakefd {
				var buf [8]byte
				_, _ = unix.Read(p.wakefd, buf[:])
				continue
			}
			out = append(out, ev)
		}
		return out, nil
	}
}

// wake makes a blocked wait return. Safe from any goroutine.
func (p *poller) wake() {
	one := [8]byte{1}
	_, _ = unix.Write(p.wakefd, one[:])
}

func (p *poller) close() {
	unix.Close(p.wakefd)
	unix.Close(p.epfd)
}
