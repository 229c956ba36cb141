package experiments

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// lectureText is the lecture's two texts (testdata/lecture), normalised by
// normQuote.
func lectureText(t *testing.T) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "lecture", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("the lecture's texts in testdata/lecture: %v", err)
	}
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(normQuote(string(data)) + " ")
	}
	return b.String()
}

// normQuote makes a quote comparable with the lecture's text: straight
// quotes and apostrophes, no Markdown bold, whitespace runs as one space.
func normQuote(s string) string {
	s = strings.NewReplacer("“", `"`, "”", `"`, "’", "'", "‘", "'", "**", "").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

// TestClaimSources checks that every claim says whose it is: a lecture
// claim quotes the lecture's own words, verbatim, and says where; a
// project check quotes nothing.
func TestClaimSources(t *testing.T) {
	text := lectureText(t)
	for _, q := range Questions() {
		lecture := 0
		for _, c := range q.Claims() {
			switch c.Source {
			case Lecture:
				lecture++
				if c.Quote == "" || !strings.HasPrefix(c.Cite, "Lecture 18, ") {
					t.Errorf("%s: claim %s is the lecture's but has no quote or no place (quote %q, cite %q)", q.Name(), c.ID, c.Quote, c.Cite)
				}
				for _, frag := range strings.Split(c.Quote, "…") {
					if f := normQuote(frag); !strings.Contains(text, f) {
						t.Errorf("%s: claim %s quotes %q, which the lecture does not say", q.Name(), c.ID, f)
					}
				}
			case Check:
				if c.Quote != "" || c.Cite != "" {
					t.Errorf("%s: claim %s is the project's own check but quotes the lecture (%q)", q.Name(), c.ID, c.Quote)
				}
			default:
				t.Errorf("%s: claim %s has source %q, want %q or %q", q.Name(), c.ID, c.Source, Lecture, Check)
			}
			if b := c.Brief(); b == "" || len(b) > 60 {
				t.Errorf("%s: claim %s's brief %q should be a few words", q.Name(), c.ID, b)
			}
		}
		if lecture == 0 {
			t.Errorf("%s judges none of the lecture's claims", q.Name())
		}
	}
}

// TestNormQuote shows a quote that differs from the lecture's text only in
// its quotation marks and line breaks matching, and one with a changed
// word not.
func TestNormQuote(t *testing.T) {
	text := normQuote("Possible “too many open files”\nEvent loop lag")
	if !strings.Contains(text, normQuote(`Possible "too many open files" Event loop lag`)) {
		t.Error("a quote with straight quotes and a space for the line break should match")
	}
	if strings.Contains(text, normQuote(`Possible "too many open sockets"`)) {
		t.Error("a quote with a changed word should not match")
	}
}

// possibility matches a claim worded as a possibility, not a prediction.
var possibility = regexp.MustCompile(`(?i)^possible\b|\bcan crash\b|\bmight\b|\bmay\b|\?$`)

// A claim worded as a possibility ("possible crash") is an observation:
// its verdict reports what happened; a test is worded as what must happen.
func TestPossibilitiesAreObservations(t *testing.T) {
	for _, q := range Questions() {
		for _, c := range q.Claims() {
			if possibility.MatchString(c.Text) != (c.Kind == Observation) {
				t.Errorf("%s: claim %s (%q) is of kind %q: a possibility is an observation, and an observation is worded as one", q.Name(), c.ID, c.Text, c.Kind)
			}
		}
	}
	if !possibility.MatchString("Possible crash") || possibility.MatchString("Throughput drops") {
		t.Error("the wording check misreads a possibility or a prediction")
	}
}
