package charts

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/internal/testlock"
)

// The experiments measure time: their test binaries take turns.
func TestMain(m *testing.M) { testlock.Main(m) }

// Real results as the experiments' tests recorded them (quick runs with
// CPython beside the models; see experiments/testdata), decoded once per
// test binary.
var (
	semaphoreResult = recordedResult(experiments.Semaphore, "semaphore-quick")
	asyncCPUResult  = recordedResult(experiments.AsyncCPU, "async-cpu-quick")
	scalingResult   = recordedResult(experiments.Scaling, "scaling-quick")
)

// recordedResult decodes ../experiments/testdata/<name>.json as a result
// of q, once.
func recordedResult[P, R any](q *experiments.Question[P, R], name string) func() (*R, error) {
	return sync.OnceValues(func() (*R, error) {
		b, err := os.ReadFile(filepath.Join("..", "experiments", "testdata", name+".json"))
		if err != nil {
			return nil, err
		}
		return q.Decode(b)
	})
}

// must returns a function that fails the test on err, else returns v:
// must(f())(t).
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// needLibrary skips the test when the ECharts library is not embedded, or
// fails it when BOUNDLAB_REQUIRE_ASSETS=1.
func needLibrary(t *testing.T) {
	t.Helper()
	if _, err := Library(); err != nil {
		if os.Getenv("BOUNDLAB_REQUIRE_ASSETS") == "1" {
			t.Fatalf("BOUNDLAB_REQUIRE_ASSETS=1: %v", err)
		}
		t.Skip(err)
	}
}

// parsed is a chart's option decoded, its functions replaced by the
// strings "js:<name>".
type parsed struct {
	Title struct {
		Text    string `json:"text"`
		Subtext string `json:"subtext"`
	} `json:"title"`
	Tooltip map[string]any   `json:"tooltip"`
	XAxis   []map[string]any `json:"xAxis"`
	YAxis   []map[string]any `json:"yAxis"`
	Series  []struct {
		Name     string         `json:"name"`
		Type     string         `json:"type"`
		Data     []any          `json:"data"`
		Tooltip  map[string]any `json:"tooltip"`
		Render   string         `json:"renderItem"`
		MarkLine struct {
			Data []struct {
				Name  string  `json:"name"`
				YAxis float64 `json:"yAxis"`
			} `json:"data"`
		} `json:"markLine"`
	} `json:"series"`
}

// unsplice undoes the function splicing, so the option is JSON again.
var unsplice = func() *strings.Replacer {
	var pairs []string
	for name, code := range jsFuncs {
		pairs = append(pairs, compactJS(code), `"js:`+name+`"`)
	}
	return strings.NewReplacer(pairs...)
}()

// parse decodes c's option.
func parse(t *testing.T, c *Chart) parsed {
	t.Helper()
	var p parsed
	if err := json.Unmarshal([]byte(unsplice.Replace(c.Option())), &p); err != nil {
		t.Fatalf("chart %s: option is not JSON once its functions are taken out: %v", c.ID(), err)
	}
	return p
}

// valueOf is a data item's value list, whether the option holds the item
// as {"name": …, "value": [...]} or, compacted, as the bare list.
func valueOf(t *testing.T, d any) []any {
	t.Helper()
	if m, ok := d.(map[string]any); ok {
		d = m["value"]
	}
	v, ok := d.([]any)
	if !ok {
		t.Fatalf("data item %v holds no value list", d)
	}
	return v
}
