package handouts

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/boundlab/boundlab/charts"
)

var (
	// scriptSrc finds a script element that loads its code from elsewhere.
	scriptSrc = regexp.MustCompile(`(?is)<script\b[^>]*\bsrc\s*=\s*["']?[^"'\s>]*`)
	// networkLink finds a link element pointing at the network.
	networkLink = regexp.MustCompile(`(?is)<link\b[^>]*\bhref\s*=\s*["']?\s*(https?:)?//[^"'\s>]*`)
	// networkURL finds a CSS url() pointing at the network.
	networkURL = regexp.MustCompile(`(?is)url\(\s*["']?\s*(https?:)?//[^"')\s]*`)
	// chartDiv finds a chart's container.
	chartDiv = regexp.MustCompile(`<div [^>]*class="boundlab-chart"`)
)

// libraryMarker is the line that opens the ECharts library's script
// element (charts.LibraryTag).
func libraryMarker() (string, error) {
	tag, err := charts.LibraryTag()
	if err != nil {
		return "", err
	}
	lines := strings.SplitN(tag, "\n", 3)
	if len(lines) < 3 || !strings.Contains(lines[1], "ECharts") {
		return "", errors.New("the ECharts loader has no marker line")
	}
	return lines[1], nil
}

// verifyHTML checks a handout page: it must load nothing from elsewhere
// (no <script src>, no <link href> or CSS url() to the network) and hold the ECharts
// library exactly once (kernel.Setup's output). It returns the number of charts on the page.
func verifyHTML(page []byte) (int, error) {
	problems := external(page)
	marker, err := libraryMarker()
	if err != nil {
		return 0, fmt.Errorf("check the page: %w", err)
	}
	n := chartCount(page)
	switch libs := bytes.Count(page, []byte(marker)); {
	case libs == 0:
		problems = append(problems, fmt.Sprintf("it has %d charts but not the ECharts library (is kernel.Setup() in a cell near the top?)", n))
	case libs > 1:
		problems = append(problems, fmt.Sprintf("it holds the ECharts library %d times, want once", libs))
	}
	if len(problems) > 0 {
		return n, errors.New("the page is not self-contained: " + strings.Join(problems, "; "))
	}
	return n, nil
}

// external lists what page loads from elsewhere: a <script src>, a <link
// href> or CSS url() to the network.
func external(page []byte) []string {
	var problems []string
	if m := scriptSrc.Find(page); m != nil {
		problems = append(problems, fmt.Sprintf("it loads a script: %s", m))
	}
	if m := networkLink.Find(page); m != nil {
		problems = append(problems, fmt.Sprintf("it links to the network: %s", m))
	}
	if m := networkURL.Find(page); m != nil {
		problems = append(problems, fmt.Sprintf("its style loads from the network: %s", m))
	}
	return problems
}

// verifyIndex checks the overview page: it loads nothing from elsewhere.
func verifyIndex(page []byte) error {
	if problems := external(page); len(problems) > 0 {
		return errors.New("the overview is not self-contained: " + strings.Join(problems, "; "))
	}
	return nil
}

// chartCount counts the chart containers on a page.
func chartCount(page []byte) int { return len(chartDiv.FindAllIndex(page, -1)) }
