package measure

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/boundlab/boundlab/internal/proc"
)

// OpenFDs counts the file descriptors process pid has open, from
// /proc/<pid>/fd (0 is this process). Reading the directory takes a
// descriptor of its own in this process, which is not counted.
func OpenFDs(pid int) (int, error) {
	dir := "/proc/self/fd"
	if pid > 0 {
		dir = "/proc/" + strconv.Itoa(pid) + "/fd"
	}
	f, err := os.Open(dir)
	if err != nil {
		return 0, fmt.Errorf("count open files: %w", err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return 0, fmt.Errorf("count open files: %w", err)
	}
	n := len(names)
	if pid <= 0 {
		n-- // the directory itself
	}
	return n, nil
}

// FDLimit is this process's RLIMIT_NOFILE: the soft limit, which open and
// socket enforce, and the hard limit, to which the soft one may be raised
// without privilege. Go's runtime raises the soft limit to the hard one
// when a program starts.
func FDLimit() (soft, hard uint64, err error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, 0, fmt.Errorf("getrlimit(RLIMIT_NOFILE): %w", err)
	}
	return lim.Cur, lim.Max, nil
}

// EphemeralPorts is the kernel's range of local ports for outgoing
// connections (net.ipv4.ip_local_port_range): connections to one address
// can have at most hi-lo+1 in flight.
func EphemeralPorts() (lo, hi int, err error) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0, 0, fmt.Errorf("local port range: %w", err)
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("local port range: %q", b)
	}
	if lo, err = strconv.Atoi(f[0]); err == nil {
		hi, err = strconv.Atoi(f[1])
	}
	if err != nil {
		return 0, 0, fmt.Errorf("local port range: %w", err)
	}
	return lo, hi, nil
}

// TreeFDs counts the descriptors open in process pid and every process
// below it, and their resident memory in bytes: what a program that runs
// others (a launcher starting a Python interpreter) holds in all.
func TreeFDs(pid int) (fds int, rss int64, err error) {
	for i, p := range append([]int{pid}, proc.Descendants(pid)...) {
		n, err := OpenFDs(p)
		if err != nil {
			if i == 0 {
				return 0, 0, err
			}
			continue // a process that has just exited
		}
		fds += n
		rss += ProcessRSS(p)
	}
	return fds, rss, nil
}
