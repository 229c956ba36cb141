package handouts

import (
	"html"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/internal/golden"
)

// recorded reads a recorded quick run of question q from the experiments'
// test data.
func recorded(t *testing.T, q string) experiments.Result {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "experiments", "testdata", q+"-quick.json"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := experiments.Lookup(q)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.DecodeResult(b)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

var (
	claimRow   = regexp.MustCompile(`(?s)<tr class="claim" data-notebook="([^"]+)" data-claim="([^"]+)" data-source="[a-z]+">(.*?)</tr>`)
	outcomeLi  = regexp.MustCompile(`<li class="outcome" data-model="([^"]+)" data-outcome="([^"]+)"`)
	unjudgedLi = regexp.MustCompile(`<li class="unjudged" data-models="([^"]+)"`)
)

// The overview lists every claim a handout's result judged, once, with
// every model of its run in each row, CPython's series first, and each
// verdict's outcome and figure as the result has them; a notebook without
// a question gets a row saying so.
func TestIndex(t *testing.T) {
	hs := []Entry{
		{Notebook: "01-async-cpu", Page: "01-async-cpu.html", Result: recorded(t, "async-cpu")},
		{Notebook: "02-threads-vs-processes", Page: "02-threads-vs-processes.html", Result: recorded(t, "scaling")},
		{Notebook: "99-notes", Page: "99-notes.html"},
	}
	page := string(Index(hs))
	golden.Check(t, "index", page)
	if err := verifyIndex([]byte(page)); err != nil {
		t.Error(err)
	}
	rows := claimRow.FindAllStringSubmatch(page, -1)
	for _, h := range hs[:2] {
		r := h.Result.Base()
		models := indexModels(r.Verdicts)
		if !IsCPython(models[0]) {
			t.Errorf("%s: models %v: CPython's not first", h.Notebook, models)
		}
		var ids []string
		for _, row := range rows {
			if row[1] != h.Notebook {
				continue
			}
			ids = append(ids, row[2])
			var got []string
			for _, li := range outcomeLi.FindAllStringSubmatch(row[3], -1) {
				vs := verdictsOn(r.Verdicts, row[2], li[1])
				if len(vs) == 0 {
					t.Errorf("%s %s: an outcome on %s, which has no verdict", h.Notebook, row[2], li[1])
				} else if !slices.ContainsFunc(vs, func(v experiments.Verdict) bool { return string(v.Outcome) == li[2] }) {
					t.Errorf("%s %s %s: outcome %q, verdicts %v", h.Notebook, row[2], li[1], li[2], vs)
				}
				if !slices.Contains(got, li[1]) {
					got = append(got, li[1])
				}
			}
			if m := unjudgedLi.FindStringSubmatch(row[3]); m != nil {
				got = append(got, strings.Split(m[1], ",")...)
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(models))
			if !slices.Equal(got, want) {
				t.Errorf("%s %s: models %v, want each of %v once", h.Notebook, row[2], got, want)
			}
		}
		// Every claim once: the lecture's first, then the project's checks.
		want := append(claimIDsFrom(r.Verdicts, experiments.Lecture), claimIDsFrom(r.Verdicts, experiments.Check)...)
		if strings.Join(ids, ",") != strings.Join(want, ",") {
			t.Errorf("%s: claims %v, want %v", h.Notebook, ids, want)
		}
		for _, v := range r.Verdicts {
			if v.Source == experiments.Lecture && v.Quote != "" && !strings.Contains(page, html.EscapeString(v.Quote)) {
				t.Errorf("%s: the lecture's words for %s are not on the page: %q", h.Notebook, v.ClaimID, v.Quote)
			}
		}
		for _, v := range r.Verdicts {
			if !strings.Contains(page, v.Estimate()) {
				t.Errorf("%s: the figure %s of %s on %s is not on the page", h.Notebook, v.Estimate(), v.ClaimID, v.Model)
			}
		}
	}
	if !strings.Contains(page, `<tr class="notebook no-claims" data-notebook="99-notes">`) {
		t.Error("no row for the notebook without a question")
	}
	for _, want := range []string{`href="01-async-cpu.html"`, "run with tasks=4 "} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// WriteIndex lists every handout in the directory with the result saved
// beside it, and none that has no page.
func TestWriteIndex(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join("..", "..", "experiments", "testdata", "semaphore-quick.json")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"03-semaphore.html": "<html></html>", "03-semaphore.json": string(data),
		"05-notes.html": "<html></html>", // no question
		"07-gone.json":  string(data),    // a result without a page
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteIndex(dir); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, IndexName))
	if err != nil {
		t.Fatal(err)
	}
	rows := claimRow.FindAllStringSubmatch(string(page), -1)
	if vs := recorded(t, "semaphore").Base().Verdicts; len(rows) != len(claimIDsFrom(vs, experiments.Lecture))+len(claimIDsFrom(vs, experiments.Check)) {
		t.Errorf("%d claim rows, want one per claim of %d verdicts", len(rows), len(vs))
	}
	for _, want := range []string{`href="03-semaphore.html"`, `data-notebook="05-notes"`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the overview lacks %s", want)
		}
	}
	if strings.Contains(string(page), "07-gone") || strings.Contains(string(page), `href="index.html"`) {
		t.Error("the overview lists a result without a page, or itself")
	}
	if err := WriteIndex(dir); err != nil { // again, with index.html there
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "03-semaphore.json"), []byte(`{"question":"nope"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteIndex(dir); err == nil || !strings.Contains(err.Error(), "03-semaphore.json") {
		t.Errorf("a bad saved result: %v", err)
	}
}
