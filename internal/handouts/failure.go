package handouts

import (
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"strings"
)

// Output is one output of an executed cell, as nbformat stores it.
type Output struct {
	// Type is "stream", "display_data", "execute_result" or "error".
	Type string `json:"output_type"`
	// Name is a stream's name: "stdout" or "stderr".
	Name string `json:"name"`
	// Text is a stream's text.
	Text text `json:"text"`
	// EName and EValue describe an error; Traceback is its trace.
	EName     string   `json:"ename"`
	EValue    string   `json:"evalue"`
	Traceback []string `json:"traceback"`
	// Data holds a display's representations by MIME type.
	Data map[string]json.RawMessage `json:"data"`
}

// HTML returns the output's text/html representation, or "".
func (o Output) HTML() string {
	raw, ok := o.Data["text/html"]
	if !ok {
		return ""
	}
	var t text
	if err := json.Unmarshal(raw, &t); err != nil {
		return ""
	}
	return string(t)
}

// text is an nbformat multi-line string: a string or a list of strings.
type text string

// UnmarshalJSON accepts either form.
func (t *text) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*t = text(s)
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("nbformat text: %w", err)
	}
	*t = text(strings.Join(list, ""))
	return nil
}

var (
	// exitLine is the line GoNB writes on stderr when a cell's program
	// (or a shell command) ends with an error: the exec error's text.
	exitLine = regexp.MustCompile(`^(\^C\s*)?(exit status -?\d+|signal: .+)$`)
	// ansi matches terminal escape sequences.
	ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]`)
	// tag matches an HTML tag; style and script elements are dropped whole.
	tag        = regexp.MustCompile(`<[^>]*>`)
	styleBlock = regexp.MustCompile(`(?is)<(style|script)\b.*?</(style|script)\s*>`)
	// boundlabError finds kernel.ShowError's output.
	boundlabError = regexp.MustCompile(`(?is)<div[^>]*class="boundlab-error"[^>]*>(.*?)</div>`)
	// gonbCompileError finds one compile error in GoNB's error display:
	// where (Cell[5]: Line 3), then the location span, then the message.
	gonbCompileError = regexp.MustCompile(`(?s)<span class="gonb-cell-line-info">([^<]*)</span>\s*<span class="gonb-err-location">[^<]*</span>\s*([^<\n]*)`)
)

// maxErrorLines bounds the error text a failure reports.
const maxErrorLines = 12

// Failure says why a cell with these outputs failed, or "" when it did
// not. A cell fails when it shows kernel.ShowError's error (class
// boundlab-error), when the kernel reports an error (a GoNB compile error,
// say), or when its program or shell command ends with an error, which GoNB
// reports as a last stderr line like "exit status 2".
func Failure(outputs []Output) string {
	var stderr strings.Builder
	var compile []string
	var errOut *Output
	for i, o := range outputs {
		h := o.HTML()
		if m := boundlabError.FindStringSubmatch(h); m != nil {
			return plain(m[1])
		}
		for _, m := range gonbCompileError.FindAllStringSubmatch(h, -1) {
			compile = append(compile, strings.TrimSpace(plain(m[1]))+": "+strings.TrimSpace(plain(m[2])))
		}
		switch {
		case o.Type == "error" && errOut == nil:
			errOut = &outputs[i]
		case o.Type == "stream" && o.Name == "stderr":
			stderr.WriteString(string(o.Text))
		}
	}
	if errOut != nil {
		if len(compile) > 0 {
			return limitLines(strings.Join(compile, "\n"))
		}
		msg := strings.TrimSpace(ansi.ReplaceAllString(errOut.EName+": "+errOut.EValue, ""))
		if tb := strings.TrimSpace(ansi.ReplaceAllString(strings.Join(errOut.Traceback, "\n"), "")); tb != "" && !strings.Contains(msg, tb) {
			msg += "\n" + tb
		}
		return limitLines(msg)
	}
	lines := nonBlankLines(ansi.ReplaceAllString(stderr.String(), ""))
	if len(lines) > 0 && exitLine.MatchString(lines[len(lines)-1]) {
		return limitLines(strings.Join(lines, "\n"))
	}
	return ""
}

// plain turns an HTML fragment into its text.
func plain(h string) string {
	h = styleBlock.ReplaceAllString(h, "")
	h = strings.ReplaceAll(h, "<br/>", "\n")
	return strings.TrimSpace(html.UnescapeString(tag.ReplaceAllString(h, "")))
}

func nonBlankLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimRight(l, " \t\r"); strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// limitLines keeps the last maxErrorLines lines of s, where a program's
// error usually is.
func limitLines(s string) string {
	lines := nonBlankLines(s)
	if len(lines) > maxErrorLines {
		lines = append([]string{fmt.Sprintf("… (%d lines before)", len(lines)-maxErrorLines)}, lines[len(lines)-maxErrorLines:]...)
	}
	return strings.Join(lines, "\n")
}

// CellError is a notebook cell that failed.
type CellError struct {
	// Notebook is the notebook's name.
	Notebook string
	// Cell is the cell's position (from 1) among Cells cells.
	Cell, Cells int
	// Line is the cell's first source line.
	Line string
	// Text is what the cell showed: the error.
	Text string
}

// Error names the notebook, the cell and its first line, then gives the
// error's text, indented.
func (e *CellError) Error() string {
	return fmt.Sprintf("%s: cell %d/%d failed (%s):\n%s", e.Notebook, e.Cell, e.Cells, e.Line, indent(e.Text, "    "))
}

// indent puts prefix before each line of s.
func indent(s, prefix string) string {
	lines := strings.Split(s, "\n")
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return strings.Join(lines, "\n")
}
