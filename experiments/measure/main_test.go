package measure

import (
	"os"
	"testing"
	"time"

	"github.com/boundlab/boundlab/internal/testlock"
)

// burnEnv makes this test binary a child that burns the CPU time it names
// and exits (TestSamplerReapedChildren starts it).
const burnEnv = "MEASURE_TEST_BURN"

// The sampler's and the profiler's tests measure CPU time: the timing test
// binaries take turns.
func TestMain(m *testing.M) {
	if v := os.Getenv(burnEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			os.Exit(2)
		}
		spinCPU(d)
		os.Exit(0)
	}
	testlock.Main(m)
}
