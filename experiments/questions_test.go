package experiments

import (
	"encoding/json"
	"strings"
	"testing"
)

// The sweep's points, and the bad values its parameter refuses.
func TestLiveSweep(t *testing.T) {
	for top, want := range map[int]string{1_000_000: "[1000 10000 100000 1000000]", 20_000: "[20 200 2000 20000]", 500: "[5 50 500]", 10: "[1 10]"} {
		if got := strings.Join(strings.Fields(strings.Trim(jsonString(liveSweep(top)), "[]")), " "); "["+strings.ReplaceAll(got, ",", " ")+"]" != want {
			t.Errorf("liveSweep(%d) = %v, want %s", top, liveSweep(top), want)
		}
	}
	p := Memory.Defaults()
	if err := Set(&p, "tasks", "5000000"); err == nil || !strings.Contains(err.Error(), "5000000 is out of range") {
		t.Errorf("tasks=5000000: %v", err)
	}
}

// roundTrip is res written as JSON and decoded back by q, with the JSON.
func roundTrip[P, R any](t *testing.T, q *Question[P, R], res *R) (*R, []byte) {
	t.Helper()
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	back, err := q.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return back, b
}

// decoded checks that res comes back from its JSON with its points.
func decoded[P, R any](t *testing.T, q *Question[P, R], res *R) {
	t.Helper()
	back, b := roundTrip(t, q, res)
	b2, _ := json.Marshal(back)
	if len(b2) != len(b) {
		t.Errorf("%s: %d bytes of JSON decoded and encoded again to %d", q.Name(), len(b), len(b2))
	}
}

func jsonString(v any) string { b, _ := json.Marshal(v); return string(b) }
