package loopback

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// listen opens a TCP listener on 127.0.0.1 on a free port with the given
// backlog, by system calls: net.Listen would ask for somaxconn.
func listen(backlog int) (*net.TCPListener, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", os.NewSyscallError("socket", err))
	}
	f := os.NewFile(uintptr(fd), "loopback-listener")
	defer f.Close() // FileListener works on a duplicate
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return nil, fmt.Errorf("listen: %w", os.NewSyscallError("setsockopt", err))
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return nil, fmt.Errorf("listen: %w", os.NewSyscallError("bind", err))
	}
	if err := unix.Listen(fd, backlog); err != nil {
		return nil, fmt.Errorf("listen: %w", os.NewSyscallError("listen", err))
	}
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		ln.Close()
		return nil, errors.New("listen: not a TCP listener")
	}
	return tl, nil
}

// queueState is a listening socket's accept queue: how many connections
// wait in it, and its limit.
type queueState struct{ waiting, limit int }

// queue reads the accept queue of ln from TCP_INFO: for a listening socket
// Linux reports the queue's length as tcpi_unacked and its limit as
// tcpi_sacked.
func queue(ln *net.TCPListener) (queueState, bool) {
	rc, err := ln.SyscallConn()
	if err != nil {
		return queueState{}, false
	}
	var q queueState
	var qerr error
	err = rc.Control(func(fd uintptr) {
		info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
		if err != nil {
			qerr = err
			return
		}
		q = queueState{waiting: int(info.Unacked), limit: int(info.Sacked)}
	})
	return q, err == nil && qerr == nil
}

// listenCounters reads the kernel's ListenOverflows and ListenDrops from
// /proc/net/netstat, or -1 for each it cannot read.
func listenCounters() (overflows, drops int64) {
	overflows, drops = -1, -1
	f, err := os.Open("/proc/net/netstat")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var header []string
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || fields[0] != "TcpExt:" {
			continue
		}
		if header == nil {
			header = fields
			continue
		}
		for i := 1; i < len(fields) && i < len(header); i++ {
			v, err := strconv.ParseInt(fields[i], 10, 64)
			if err != nil {
				continue
			}
			switch header[i] {
			case "ListenOverflows":
				overflows = v
			case "ListenDrops":
				drops = v
			}
		}
		return
	}
	return
}
