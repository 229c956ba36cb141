package kernel

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments"
)

func TestLadder(t *testing.T) {
	for _, c := range []struct {
		kind         experiments.ControlKind
		lo, hi, cur  int64
		want         []int64
		wantContains []int64
	}{
		{kind: experiments.ControlCount, lo: 1, hi: 20, cur: 6, want: []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}},
		{kind: experiments.ControlCount, lo: 1, hi: 1000, cur: 300, want: []int64{1, 2, 5, 10, 20, 50, 100, 200, 300, 500, 1000}},
		{kind: experiments.ControlDuration, lo: int64(time.Millisecond), hi: int64(time.Minute), cur: int64(100 * time.Millisecond),
			wantContains: []int64{int64(time.Millisecond), int64(100 * time.Millisecond), int64(time.Second), int64(50 * time.Second), int64(time.Minute)}},
		{kind: experiments.ControlSize, lo: 1024, hi: 1 << 20, cur: 3000, wantContains: []int64{1024, 2048, 3000, 4096, 1 << 20}},
	} {
		got := ladder(c.kind, c.lo, c.hi, c.cur)
		if !slices.IsSorted(got) || got[0] != c.lo || got[len(got)-1] != c.hi {
			t.Errorf("ladder(%d, %d, %d) = %v: not sorted from lo to hi", c.lo, c.hi, c.cur, got)
		}
		if c.want != nil && !slices.Equal(got, c.want) {
			t.Errorf("ladder(%d, %d, %d) = %v, want %v", c.lo, c.hi, c.cur, got, c.want)
		}
		for _, v := range c.wantContains {
			if !slices.Contains(got, v) {
				t.Errorf("ladder(%d, %d, %d) = %v lacks %d", c.lo, c.hi, c.cur, got, v)
			}
		}
	}
}

// The panel's fields are checked as the flags are: a bad value is one
// error naming the parameter and its range, and p keeps its values.
func TestSetAll(t *testing.T) {
	p := experiments.Semaphore.Quick()
	if err := setAll(&p, map[string]string{"limit": "50", "latency": "100ms", "tasks": "1000", "models": "goroutines"}); err != nil {
		t.Fatal(err)
	}
	if p.Limit != 50 || p.Tasks != 1000 || !slices.Equal(p.Models, []string{"goroutines"}) {
		t.Errorf("after setAll: %+v", p)
	}
	for _, c := range []struct {
		values map[string]string
		want   string
	}{
		{map[string]string{"limit": "0"}, "--limit: 0 is out of range (allowed: an integer from 1 to 1000000)"},
		{map[string]string{"limit": "fifty"}, `--limit: "fifty" is not an integer`},
		{map[string]string{"latency": "1h"}, "--latency: 1h0m0s is out of range (allowed: a duration from 1ms to 1m0s)"},
		{map[string]string{"models": "threads"}, `--models: "threads" is not one of them`},
	} {
		q := p
		err := setAll(&q, c.values)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("setAll(%v) = %v, want %q", c.values, err, c.want)
		}
	}
}

func TestValuesLineAndChoices(t *testing.T) {
	p := experiments.Semaphore.Quick()
	if got := valuesLine(&p); !strings.HasPrefix(got, "tasks=200 · latency=100ms · limit=20 · ") || strings.Contains(got, "python=") {
		t.Errorf("valuesLine = %q", got)
	}
	h := staticHTML("semaphore", &p, "a <note>")
	if !strings.Contains(h, "limit=20") || strings.Contains(h, "<note>") {
		t.Errorf("staticHTML = %q", h)
	}
	got := choiceLists("eventloop,goroutines", []string{"eventloop", "goroutines", "gil"})
	if want := []string{"eventloop,goroutines", "eventloop", "goroutines", "gil", "eventloop,goroutines,gil"}; !slices.Equal(got, want) {
		t.Errorf("choiceLists = %v, want %v", got, want)
	}
	for _, x := range p.Params() {
		c := x.Control()
		if c.Kind == experiments.ControlDuration {
			if got := fromUnits(c.Kind, mustUnits(&field{param: x})); got != x.String() {
				t.Errorf("%s: %q back from units, want %q", x.Name, got, x.String())
			}
		}
	}
}

// Each field of the panel is in the table with its name, value and range.
func TestPanelTable(t *testing.T) {
	p := experiments.Semaphore.Quick()
	pn := newPanel("semaphore", "t", &p)
	h := pn.tableHTML()
	for _, want := range []string{`data-param="limit"`, `value="20"`, "an integer from 1 to 1000000", `data-param="models"`, pn.buttonsID} {
		if !strings.Contains(h, want) {
			t.Errorf("the panel's table lacks %q", want)
		}
	}
	var sliders, selects int
	for _, f := range pn.fields {
		if f.steps != nil {
			sliders++
		}
		if f.choices != nil {
			selects++
		}
	}
	if sliders != 4 || selects != 1 { // tasks, latency, limit, repeat; models
		t.Errorf("%d sliders and %d selects, want 4 and 1", sliders, selects)
	}
}
