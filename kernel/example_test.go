package kernel_test

import (
	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/kernel"
)

// Outside a notebook, Run reports a bad parameter as one line on standard
// error and returns nil; nothing runs.
func ExampleRun() {
	p := experiments.Semaphore.Defaults()
	p.Limit = 0
	res := kernel.Run(experiments.Semaphore, &p)
	kernel.ShowResult(res) // does nothing for a nil result
	// Output:
}
