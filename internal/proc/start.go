// Package proc starts child processes that can be stopped whole, finds the
// processes below one, knows a process by its start time, and writes files
// atomically: the one home of these for the whole module.
package proc

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

// Child is a process started by Start: the leader of a process group of
// its own.
type Child struct {
	// Cmd is the command as started; read its ProcessState after Wait.
	Cmd *exec.Cmd

	once sync.Once
	wait chan struct{} // closed by the first Wait
	done chan struct{} // closed once the child is reaped
	err  error
}

// Start starts cmd as the leader of a new process group, so that a
// terminal's Ctrl-C reaches this process only (which then stops the child
// in order) and Kill reaches everything the child starts. Should this
// process die, the child gets deathSig (0: nothing). The kernel sends that
// signal when the OS thread that started the child ends, so the child is
// started, and later waited for, on an OS thread locked until it is
// reaped. The caller must call Wait.
func Start(cmd *exec.Cmd, deathSig syscall.Signal) (*Child, error) {
	SetGroup(cmd, deathSig)
	c := &Child{Cmd: cmd, wait: make(chan struct{}), done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		<-c.wait
		c.err = cmd.Wait()
		close(c.done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return c, nil
}

// SetGroup sets cmd, not yet started, to start as the leader of a process
// group of its own that gets deathSig (0: nothing) should the thread that
// starts it end. Start does this and keeps that thread; SetGroup alone is
// for a short command run with exec's Run or Output.
func SetGroup(cmd *exec.Cmd, deathSig syscall.Signal) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pgid = 0
	cmd.SysProcAttr.Pdeathsig = deathSig
}

// Pid is the child's process id, which is also its group's id.
func (c *Child) Pid() int { return c.Cmd.Process.Pid }

// Wait waits for the child to exit, as exec.Cmd.Wait does (all reads from
// its pipes must come before), and returns Cmd.Wait's error. It may be
// called more than once, from any goroutine: each call returns the same.
func (c *Child) Wait() error {
	c.once.Do(func() { close(c.wait) })
	<-c.done
	return c.err
}

// Exited reports whether Wait has returned.
func (c *Child) Exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Kill sends sig to every process in the child's group. Processes that
// left the group (by starting sessions of their own) are not reached: see
// Tracker for those.
func (c *Child) Kill(sig syscall.Signal) { KillGroup(c.Pid(), sig) }

// KillGroup sends sig to every process in process group pgid.
func KillGroup(pgid int, sig syscall.Signal) {
	if pgid > 0 {
		_ = syscall.Kill(-pgid, sig)
	}
}
