// Package testlock serialises timing-sensitive test binaries: `go test ./...`
// runs packages in parallel, and one package's CPU load would distort
// another's measurements. A package whose tests measure time calls Main from
// its TestMain; the binaries then take turns, through an advisory file lock
// in the temporary directory.
package testlock

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// Main runs the package's tests while holding the timing lock, and exits
// with their status.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run runs the package's tests while holding the timing lock and returns
// their status, for a TestMain that has clean-up to do before it exits.
func Run(m *testing.M) int {
	release := acquire()
	defer release()
	return m.Run()
}

func acquire() (release func()) {
	path := filepath.Join(os.TempDir(), "boundlab-timing-tests.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testlock: running unserialised: %v\n", err)
		return func() {}
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		fmt.Fprintf(os.Stderr, "testlock: running unserialised: %v\n", err)
		return func() {}
	}
	return func() {
		_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
		f.Close()
	}
}
