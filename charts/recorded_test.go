package charts

import (
	"os"
	"path/filepath"
	"sync"

	"github.com/boundlab/boundlab/experiments"
)

// recordedResult returns a function that reads, once, a result of q that
// the experiments' tests recorded from a real run
// (experiments/testdata/<name>.json): the charts are drawn from real
// figures without timing anything here.
func recordedResult[P, R any](q *experiments.Question[P, R], name string) func() (*R, error) {
	return sync.OnceValues(func() (*R, error) {
		b, err := os.ReadFile(filepath.Join("..", "experiments", "testdata", name+".json"))
		if err != nil {
			return nil, err
		}
		return q.Decode(b)
	})
}
