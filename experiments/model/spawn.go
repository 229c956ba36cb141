package model

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/boundlab/boundlab/internal/proc"
)

// roleEnvs are the variables that make a re-executed copy of this program
// take a role (a processes worker, a child running a batch, a child holding
// live tasks) instead of running its main.
var roleEnvs = []string{workerEnv, childEnv, liveEnv}

// cleanEnviron is this process's environment without GoNB's variables (a
// child started from a notebook cell must not talk to the kernel) and
// without any role switch; role, when not empty, is then set to 1.
func cleanEnviron(role string) []string {
	var env []string
next:
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GONB_") {
			continue
		}
		for _, r := range roleEnvs {
			if strings.HasPrefix(kv, r+"=") {
				continue next
			}
		}
		env = append(env, kv)
	}
	if role != "" {
		env = append(env, role+"=1")
	}
	return env
}

// groupCmd is a child process in a process group of its own, killed whole
// when its context ends and once it has exited (so nothing it started
// outlives it), with its stdout collected and the tail of its stderr kept.
type groupCmd struct {
	cmd    *exec.Cmd
	child  *proc.Child
	stdout bytes.Buffer
	stderr *tailBuffer
	stop   func() bool
}

// newGroupCmd prepares path with args, environment env, stdin the bytes
// given and extra the descriptors from 3 on.
func newGroupCmd(path string, args, env []string, stdin []byte, extra ...*os.File) *groupCmd {
	g := &groupCmd{stderr: &tailBuffer{max: 4096}}
	g.cmd = exec.Command(path, args...)
	g.cmd.Env = env
	g.cmd.Stdin = bytes.NewReader(stdin)
	g.cmd.Stdout = &g.stdout
	g.cmd.Stderr = g.stderr
	g.cmd.ExtraFiles = extra
	g.cmd.WaitDelay = 2 * time.Second
	return g
}

// start starts the process unless ctx has already ended; from then on the
// end of ctx kills its group.
func (g *groupCmd) start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c, err := proc.Start(g.cmd, syscall.SIGKILL)
	if err != nil {
		return err
	}
	g.child = c
	g.stop = context.AfterFunc(ctx, g.kill)
	return nil
}

// kill kills every process in the group.
func (g *groupCmd) kill() { g.child.Kill(syscall.SIGKILL) }

// wait waits for the process to exit, then kills what is left of its group.
func (g *groupCmd) wait() error {
	err := g.child.Wait()
	g.stop()
	g.kill()
	return err
}

// stderrTail is the last few lines the process wrote to stderr.
func (g *groupCmd) stderrTail() string { return lastLines(strings.TrimSpace(g.stderr.String()), 6) }

// lastLines is the last n lines of s, joined with " | " to stay on one line.
func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
