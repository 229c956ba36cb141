package model

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// The document for n bytes encodes to n bytes, give or take a record, the
// same each time, and is valid JSON of nested records.
func TestEncodeDocument(t *testing.T) {
	for _, n := range []int{1, 1 << 10, 256 << 10} {
		out, _, err := encodeJSON(n)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != EncodedSize(n) || len(out) < n || len(out) > n+2000 {
			t.Errorf("Encode(%d): %d bytes, EncodedSize %d", n, len(out), EncodedSize(n))
		}
		var recs []map[string]any
		if err := json.Unmarshal(out, &recs); err != nil {
			t.Fatal(err)
		}
		orders, _ := recs[0]["orders"].([]any)
		if len(recs) == 0 || len(orders) == 0 || recs[0]["address"] == nil {
			t.Errorf("Encode(%d): not nested records: %.200s", n, out)
		}
		again, _, _ := encodeJSON(n)
		if string(again) != string(out) {
			t.Errorf("Encode(%d) differs between calls", n)
		}
	}
}

// An Encode step runs on every model, and every task records an encode
// segment of real length.
func TestEncodeEveryModel(t *testing.T) {
	size := 128 << 10
	PrepareEncode(size)
	cases := []Series{
		{Goroutines, ""}, {GILThreads, ""}, {EventLoop, ""}, {Processes, ""},
		{CPython, FlavorThreads}, {CPython, FlavorAsyncio}, {CPython, FlavorProcesses},
	}
	for _, c := range cases {
		r, err := mustGet(t, c.Model).Run(context.Background(), Repeat(3, NewTask(Encode(size))), Config{Concurrency: 2, Flavor: c.Flavor})
		if errors.Is(err, ErrUnavailable) {
			t.Logf("%s: %v", c.Model, err)
			continue
		}
		if err != nil {
			t.Fatalf("%s %s: %v", c.Model, c.Flavor, err)
		}
		for _, s := range r.Spans {
			if s.Err != "" {
				t.Fatalf("%s %s: task %d: %s", c.Model, c.Flavor, s.Task, s.Err)
			}
			n := 0
			for _, g := range s.Segments {
				if g.Kind == KindEncode && g.End > g.Start {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%s %s: task %d has %d encode segments: %+v", c.Model, c.Flavor, s.Task, n, s.Segments)
			}
		}
	}
}

// On the gil model an encode holds the GIL to its end: a second thread
// wanting it waits the whole encoding, with no hand-over in between (a
// CPU step would hand it over after the switch interval).
func TestEncodeHoldsGIL(t *testing.T) {
	size := 4 << 20
	PrepareEncode(size)
	r := run(t, "gil", Repeat(2, NewTask(Encode(size))), Config{Concurrency: 2, SwitchInterval: time.Millisecond})
	if overlaps(r.Spans, KindEncode, 0) {
		t.Fatal("two encodes ran at once under the GIL")
	}
	first, second := r.Spans[0], r.Spans[1]
	if second.Start < first.Start {
		first, second = second, first
	}
	end := first.Segments[0].End
	if enc := end - first.Segments[0].Start; enc < 5*time.Millisecond {
		t.Fatalf("a 4 MiB encode took %v: too short to tell", enc)
	}
	if second.Start < end-200*time.Microsecond {
		t.Errorf("the second thread started its task at %v, before the first's encode ended at %v", second.Start, end)
	}
	if r.Totals.Switches > 2 {
		t.Errorf("%d GIL hand-overs for two encodes: the encoder gave the lock up", r.Totals.Switches)
	}
}

func TestEncodeValidate(t *testing.T) {
	for _, c := range []struct {
		s    Step
		want string
	}{
		{Encode(0), "encode size must be from 1"},
		{Encode(MaxEncodeBytes + 1), "encode size must be from 1"},
		{Wait(time.Millisecond).Offloaded(ExecThreads), "only cpu and encode steps can be offloaded"},
		{Encode(10).Offloaded("fibers"), `unknown executor "fibers"`},
	} {
		_, err := mustGet(t, "eventloop").Run(context.Background(), []Task{NewTask(c.s)}, Config{Concurrency: 1})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.s, err, c.want)
		}
	}
	if s := Encode(1 << 20).Offloaded(ExecProcesses).String(); s != "encode(1048576 bytes) in processes" {
		t.Errorf("String() = %q", s)
	}
}
