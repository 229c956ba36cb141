package kernel

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/janpfeifer/gonb/gonbui"

	"github.com/boundlab/boundlab/internal/proc"
)

// exit ends the cell program; a test replaces it.
var exit = os.Exit

// fail is how a cell ends when it cannot do its work (a bad parameter, an
// interruption, a failed run): it shows err as the cell's one error line
// and, in a notebook, ends the cell program with exit status 1, under
// which GoNB writes "exit status 1". GoNB v0.11.1 still replies "ok" to
// such a cell, so Jupyter's Run All goes on; from v0.11.4 GoNB replies
// "error", which stops it. Outside a notebook fail returns, and the
// caller returns nil.
func fail(err error) {
	ShowError(err)
	if gonbui.IsNotebook {
		exit(1)
	}
}

// failRun ends a run of question that did not produce a result: its last
// result is forgotten, so that a later cell's Last says the run failed
// instead of showing an earlier run's result as this one's, then the cell
// fails with err.
func failRun(question string, err error) {
	_ = os.Remove(resultPath(question))
	_ = proc.WriteFile(failedPath(question), []byte(err.Error()), 0o644)
	fail(err)
}

// failedPath holds why question's last run in this kernel session failed.
func failedPath(question string) string {
	return filepath.Join(filepath.Dir(resultPath(question)), question+".failed")
}

// lastFailure is why question's last run failed, or nil if it did not.
func lastFailure(question string) error {
	b, err := os.ReadFile(failedPath(question))
	if err != nil {
		return nil
	}
	return fmt.Errorf("the last %s run in this kernel session failed (%s): fix it and run the experiment cell above again", question, b)
}

// errNotNameValue is a malformed override.
var errNotNameValue = errors.New("want name=value")
