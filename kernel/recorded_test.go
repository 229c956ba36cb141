package kernel

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/internal/golden"
)

// What a notebook shows of the semaphore run the experiments' tests
// recorded (a busy machine: its timed verdicts inconclusive, saying why):
// the summary line, the verdicts table as text, and "what we saw".
func TestRecordedSemaphore(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "experiments", "testdata", "semaphore-quick.json"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := experiments.Semaphore.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "semaphore-summary", summaryText(res)+"\n")
	golden.Check(t, "semaphore-verdicts", verdictsText(&res.Report))
	golden.Check(t, "semaphore-findings", findingsMarkdown(&res.Report))
}
