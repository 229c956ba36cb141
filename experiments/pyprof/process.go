package pyprof

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/boundlab/boundlab/internal/proc"
)

// ProcessError is a process that cannot be sampled as a Python program:
// there is none by that id, it has exited, or it is not Python.
type ProcessError struct{ Reason string }

func (e *ProcessError) Error() string { return e.Reason }

// CheckProcess reports whether process pid is a running Python program: its
// executable is a Python interpreter, or it has libpython loaded (Python
// embedded). It returns the process's command line, for the report.
func CheckProcess(pid int) (string, error) {
	if pid <= 0 {
		return "", &ProcessError{Reason: fmt.Sprintf("%d is not a process id", pid)}
	}
	_, running, ok := proc.Identify(pid)
	switch {
	case !ok:
		return "", &ProcessError{Reason: "no such process"}
	case !running:
		return "", &ProcessError{Reason: "the process has exited"}
	}
	dir := "/proc/" + strconv.Itoa(pid) + "/"
	cmdline := ""
	if b, err := os.ReadFile(dir + "cmdline"); err == nil {
		cmdline = strings.TrimSpace(strings.ReplaceAll(string(bytes.TrimRight(b, "\x00")), "\x00", " "))
	}
	if exe, err := os.Readlink(dir + "exe"); err == nil && IsInterpreter(exe) {
		return cmdline, nil
	}
	if b, err := os.ReadFile(dir + "maps"); err == nil && bytes.Contains(b, []byte("/libpython")) {
		return cmdline, nil
	}
	if _, err := os.Readlink(dir + "exe"); err != nil {
		// Not ours to read: judge by the name it was started as.
		if f := strings.Fields(cmdline); len(f) > 0 && IsInterpreter(f[0]) {
			return cmdline, nil
		}
	}
	name := cmdline
	if b, err := os.ReadFile(dir + "comm"); err == nil && name == "" {
		name = strings.TrimSpace(string(b))
	}
	return cmdline, &ProcessError{Reason: fmt.Sprintf("%s is not a Python process", strconv.Quote(name))}
}
