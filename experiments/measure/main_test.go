package measure

import (
	"testing"

	"github.com/boundlab/boundlab/internal/testlock"
)

// The sampler's and the profiler's tests measure CPU time: the timing test
// binaries take turns.
func TestMain(m *testing.M) { testlock.Main(m) }
