package kernel_test

import (
	"fmt"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/kernel"
)

// Outside a notebook Run shows as text what a cell would show. A bad
// parameter is one line naming it and the values it takes; nothing runs,
// and Run returns nil, which the cells after it take as no result.
func ExampleRun() {
	p := experiments.Diagnosis.Quick()
	p.Share = 0
	res := kernel.Run(experiments.Diagnosis, &p) // a *experiments.DiagnosisResult
	fmt.Println("result:", res)
	kernel.ShowResult(res) // nothing to show
	p.Share, p.Near = 50, 100
	kernel.Run(experiments.Diagnosis, &p)
	// Output:
	// error: --share: 0 is out of range (allowed: an integer from 1 to 99)
	// result: <nil>
	// error: --near: 100 is out of range (allowed: an integer from 1 to 99)
}

// Outside a notebook, and in a notebook executed for a handout, the panel
// is one line listing the values used.
func ExampleShowControls() {
	p := experiments.Semaphore.Quick()
	p.Limit = 50
	kernel.ShowControls(experiments.Semaphore, &p)
	// Output:
	// Controls · semaphore · values used: tasks=200 · latency=100ms · limit=50 · limits=10,20,100,200 · latencies=20ms,50ms,100ms · repeat=6 · models=eventloop,goroutines,cpython
}
