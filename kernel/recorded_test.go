package kernel

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/boundlab/boundlab/experiments"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// golden compares got with testdata/<name>.golden, or rewrites the file
// with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (run with -update if the change is meant):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

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
	golden(t, "semaphore-summary", summaryText(res)+"\n")
	golden(t, "semaphore-verdicts", verdictsText(&res.Report))
	golden(t, "semaphore-findings", findingsMarkdown(&res.Report))
}
