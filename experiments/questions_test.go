package experiments

import (
	"encoding/json"
	"strings"
	"testing"
)

// Tasks that wait and then encode JSON, on every Go variant: the loop
// blocks, the tail spikes, throughput drops; offloading to processes frees
// the loop, a GIL shared with the loop does not; memory grows with the
// payload. Goroutines and Go's threads encode at once (their speedup, which
// the garbage collector's share of two cores holds to about 1.3×, is judged
// but not required here).
func TestJSONQuick(t *testing.T) {
	res := runQuick(t, JSON, "json-loop-blocks", "json-tail", "json-throughput", "json-offload", "json-gil-held", "json-memory")
	checkJSON(t, res)
	p := JSON.Quick()
	if len(res.Headline) != len(p.Models) || len(res.Sweep) != len(p.Models)*len(p.Payloads) || len(res.Baselines) != 3 {
		t.Fatalf("%d headline, %d sweep, %d baseline points", len(res.Headline), len(res.Sweep), len(res.Baselines))
	}
	in, procs := res.headline("eventloop"), res.headline("eventloop+processes")
	if in.MaxLoopLag < in.Encode || procs.MaxLoopLag >= in.MaxLoopLag/5 {
		t.Errorf("worst lag inline %v (encoding %v), with processes %v", in.MaxLoopLag, in.Encode, procs.MaxLoopLag)
	}
	if res.headline("eventloop+gil-threads").MaxEncoding != 1 || res.headline("gil").MaxEncoding != 1 {
		t.Error("encodings under a GIL ran at once")
	}
	if res.headline("goroutines").MaxEncoding < 2 || res.headline("eventloop+threads").MaxEncoding != 2 {
		t.Error("goroutines or Go's executor threads did not encode at once")
	}
	if _, ok := res.Verdict("json-parallel", "goroutines"); !ok {
		t.Error("no json-parallel verdict")
	}
	if procs.Workers <= 0 || procs.Serialise <= 0 || res.Encoded < p.Payload {
		t.Errorf("processes: workers' memory %d, serialise %v; encoded %d bytes", procs.Workers, procs.Serialise, res.Encoded)
	}
	if ts := res.Tables(); len(ts) != 2 || len(ts[0].Rows) != len(res.Baselines)+len(res.Headline) {
		t.Errorf("tables %+v", ts)
	}
	decoded(t, JSON, res)
}

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

// decoded checks that res comes back from its JSON with its points.
func decoded[P, R any](t *testing.T, q *Question[P, R], res *R) {
	t.Helper()
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	back, err := q.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(back)
	if len(b2) != len(b) {
		t.Errorf("%s: %d bytes of JSON decoded and encoded again to %d", q.Name(), len(b), len(b2))
	}
}

func jsonString(v any) string { b, _ := json.Marshal(v); return string(b) }
