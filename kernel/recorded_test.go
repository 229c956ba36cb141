package kernel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/internal/golden"
)

// recorded decodes a result the experiments' tests recorded.
func recorded[P, R any](t *testing.T, q *experiments.Question[P, R], name string) *R {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "experiments", "testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := q.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// What notebook 00 shows of the diagnosis run the experiments' tests
// recorded (four workloads, the fourth too close to a threshold to call):
// the summary line, the verdicts table as text, and "what we saw".
func TestRecordedDiagnosis(t *testing.T) {
	res := recorded(t, experiments.Diagnosis, "diagnosis-quick")
	golden.Check(t, "diagnosis-summary", summaryText(res)+"\n")
	golden.Check(t, "diagnosis-verdicts", verdictsText(&res.Report))
	golden.Check(t, "diagnosis-findings", findingsMarkdown(&res.Report))
}

// What a notebook shows of the semaphore run the experiments' tests
// recorded (a busy machine: its timed verdicts inconclusive, saying why):
// the summary line, the verdicts table as text, and "what we saw".
func TestRecordedSemaphore(t *testing.T) {
	res := recorded(t, experiments.Semaphore, "semaphore-quick")
	golden.Check(t, "semaphore-summary", summaryText(res)+"\n")
	golden.Check(t, "semaphore-verdicts", verdictsText(&res.Report))
	golden.Check(t, "semaphore-findings", findingsMarkdown(&res.Report))
}

// What notebook 09 shows of the many-tasks run the experiments' tests
// recorded (twelve claims on two models): the verdicts table as text and
// "what we saw", the lecture's claims apart from the project's checks, in
// about ten sentences.
func TestRecordedManyTasks(t *testing.T) {
	res := recorded(t, experiments.ManyTasks, "many-tasks-quick")
	golden.Check(t, "many-tasks-verdicts", verdictsText(&res.Report))
	md := findingsMarkdown(&res.Report)
	golden.Check(t, "many-tasks-findings", md)
	if n := strings.Count(md, "\n- "); n > maxSentences+2 {
		t.Errorf("what we saw has %d sentences, want about %d at most:\n%s", n, maxSentences, md)
	}
}
