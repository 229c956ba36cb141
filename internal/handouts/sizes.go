package handouts

import (
	"fmt"
	"io"
	"regexp"
	"strings"
)

// MaxSize is the most bytes a handout should weigh: light enough to mail or
// to post on a course page. The build warns about a page above it.
const MaxSize = 700_000

// Parts is a page's bytes by what they are.
type Parts struct {
	// Library is the script element holding the ECharts library.
	Library int
	// Styles are the style elements.
	Styles int
	// Data are the charts' ECharts options: their data, axes and labels.
	Data int
	// Scripts are the other scripts: the code that draws each chart
	// around its option, and any other script element.
	Scripts int
	// Images are images inlined as data: URLs.
	Images int
	// Text is the rest: the notebook's text and code, the outputs' text and
	// tables, and the markup around them.
	Text int
}

// Total is the page's size.
func (p Parts) Total() int { return p.Library + p.Styles + p.Data + p.Scripts + p.Images + p.Text }

var (
	// element finds script and style elements with their content.
	element = regexp.MustCompile(`(?is)<(script|style)\b[^>]*>.*?</(?:script|style)\s*>`)
	// libraryLine is the marker that opens the library's script element,
	// in every version of charts.LibraryTag.
	libraryLine = regexp.MustCompile(`/\* ECharts \S+ \(Apache License 2\.0\), embedded by boundlab \*/`)
	// dataImage finds an image inlined as a data: URL.
	dataImage = regexp.MustCompile(`data:image/[a-z+.-]+;base64,[A-Za-z0-9+/=\s]+`)
)

// Measure breaks a page's bytes down into Parts.
func Measure(page []byte) Parts {
	var p Parts
	s := string(page)
	rest := 0
	for _, m := range element.FindAllStringSubmatchIndex(s, -1) {
		el := s[m[0]:m[1]]
		text := s[rest:m[0]]
		img := imageBytes(text)
		p.Images += img
		p.Text += len(text) - img
		rest = m[1]
		switch {
		case strings.EqualFold(s[m[2]:m[3]], "style"):
			p.Styles += len(el)
		case libraryLine.MatchString(el):
			p.Library += len(el)
		default:
			opt := optionBytes(el)
			p.Data += opt
			p.Scripts += len(el) - opt
		}
	}
	img := imageBytes(s[rest:])
	p.Images += img
	p.Text += len(s) - rest - img
	return p
}

// imageBytes counts the bytes of the data: images in s.
func imageBytes(s string) int {
	n := 0
	for _, m := range dataImage.FindAllStringIndex(s, -1) {
		n += m[1] - m[0]
	}
	return n
}

// optionBytes counts the bytes of the option literals a chart's script
// passes to setOption: from the opening brace to its match, strings
// skipped.
func optionBytes(script string) int {
	n := 0
	for {
		i := strings.Index(script, ".setOption(")
		if i < 0 {
			return n
		}
		script = script[i+len(".setOption("):]
		end := literalEnd(script)
		n += end
		script = script[end:]
	}
}

// literalEnd returns the length of the object literal at the start of s
// (after blanks), or 0 when s does not start with one.
func literalEnd(s string) int {
	start := len(s) - len(strings.TrimLeft(s, " \t\n"))
	if start >= len(s) || s[start] != '{' {
		return 0
	}
	depth := 0
	var quote byte
	for i := start; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '{':
			depth++
		case c == '}':
			depth--
			if depth == 0 {
				return i + 1 - start
			}
		}
	}
	return 0
}

// PrintParts writes a table of pages' sizes and their parts, in bytes, with
// a line per page and a mark on the pages above MaxSize.
func PrintParts(w io.Writer, names []string, parts []Parts) error {
	width := len("page")
	for _, n := range names {
		width = max(width, len(n))
	}
	row := func(name string, cols ...string) string {
		line := fmt.Sprintf("%-*s", width, name)
		for _, c := range cols {
			line += fmt.Sprintf("  %10s", c)
		}
		return line
	}
	lines := []string{row("page", "total", "library", "styles", "data", "scripts", "images", "text")}
	for i, p := range parts {
		line := row(names[i], thousands(p.Total()), thousands(p.Library), thousands(p.Styles), thousands(p.Data),
			thousands(p.Scripts), thousands(p.Images), thousands(p.Text))
		if p.Total() > MaxSize {
			line += "  over " + thousands(MaxSize) + " bytes"
		}
		lines = append(lines, line)
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n")+"\n")
	return err
}

// thousands writes n with commas between thousands.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
