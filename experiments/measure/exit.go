package measure

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// AwaitExit blocks until child process pid has exited, and leaves it
// unreaped (a zombie), so that its final CPU times, and its reaped
// children's, can still be read from /proc before its parent reaps it
// (with os/exec's Cmd.Wait, say). pid must be a child of this process.
func AwaitExit(pid int) error {
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("wait for process %d: %w", pid, err)
		}
		return nil
	}
}
