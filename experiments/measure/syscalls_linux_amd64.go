package measure

import "golang.org/x/sys/unix"

// amd64 keeps the older calls that arm64 does without.
func init() {
	for nr, name := range map[int]string{
		unix.SYS_POLL: "poll", unix.SYS_SELECT: "select", unix.SYS_EPOLL_WAIT: "epoll_wait",
		unix.SYS_PAUSE: "pause", unix.SYS_OPEN: "open",
	} {
		syscallNames[nr] = name
	}
}
