package handouts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Notebook is a Jupyter notebook read from disk. It keeps the notebook as
// generic JSON, so that writing it back loses nothing it does not know.
type Notebook struct {
	// Path is the file it was read from.
	Path  string
	doc   map[string]any
	cells []map[string]any
}

// ReadNotebook reads the notebook at path.
func ReadNotebook(path string) (*Notebook, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read notebook: %w", err)
	}
	return parseNotebook(path, b)
}

// parseNotebook decodes a notebook read from path.
func parseNotebook(path string, b []byte) (*Notebook, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("read notebook %s: %w", path, err)
	}
	raw, ok := doc["cells"].([]any)
	if !ok {
		return nil, fmt.Errorf("read notebook %s: no cells", path)
	}
	nb := &Notebook{Path: path, doc: doc}
	for i, c := range raw {
		m, ok := c.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("read notebook %s: cell %d is not an object", path, i+1)
		}
		nb.cells = append(nb.cells, m)
	}
	return nb, nil
}

// Name is the notebook's file name without .ipynb, e.g. "01-async-cpu".
func (nb *Notebook) Name() string {
	return strings.TrimSuffix(filepath.Base(nb.Path), ".ipynb")
}

// Kernel is the name of the kernel the notebook's metadata asks for.
func (nb *Notebook) Kernel() string {
	md, _ := nb.doc["metadata"].(map[string]any)
	ks, _ := md["kernelspec"].(map[string]any)
	name, _ := ks["name"].(string)
	return name
}

// Cells is the number of cells.
func (nb *Notebook) Cells() int { return len(nb.cells) }

// CellType is cell i's type: "code", "markdown" or "raw".
func (nb *Notebook) CellType(i int) string {
	t, _ := nb.cells[i]["cell_type"].(string)
	return t
}

// Source is cell i's source text.
func (nb *Notebook) Source(i int) string { return multiline(nb.cells[i]["source"]) }

// FirstLine is the line that names cell i for a person: its first
// non-blank line, with the next one added when that is a bare %% (GoNB's
// marker of a cell with a main function).
func (nb *Notebook) FirstLine(i int) string { return firstLine(nb.Source(i)) }

func firstLine(src string) string {
	var out []string
	for _, l := range strings.Split(src, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		out = append(out, l)
		if l != "%%" {
			break
		}
	}
	s := strings.Join(out, " ")
	if r := []rune(s); len(r) > 80 {
		s = string(r[:79]) + "…"
	}
	return s
}

// multiline joins an nbformat multi-line string: a string, or a list of
// strings.
func multiline(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		var b strings.Builder
		for _, s := range v {
			if s, ok := s.(string); ok {
				b.WriteString(s)
			}
		}
		return b.String()
	}
	return ""
}

// ParamCell is a notebook's parameters cell.
type ParamCell struct {
	// Index is the cell's position, from 0.
	Index int
	// Question names the experiment, e.g. "async-cpu".
	Question string
	// Var is the Go variable holding the parameters, e.g. "params".
	Var string
}

// Parameters finds the code cell tagged "parameters". It reports false when
// there is none, and an error when the tagged cell does not name the
// question and the variable in its metadata, or when two cells are tagged.
func (nb *Notebook) Parameters() (ParamCell, bool, error) {
	var found []ParamCell
	for i, c := range nb.cells {
		md, _ := c["metadata"].(map[string]any)
		if nb.CellType(i) != "code" || !hasTag(md, "parameters") {
			continue
		}
		bl, _ := md["boundlab"].(map[string]any)
		q, _ := bl["question"].(string)
		v, _ := bl["var"].(string)
		if q == "" || v == "" {
			return ParamCell{}, false, fmt.Errorf("%s: cell %d is tagged parameters, but its metadata does not name the question and the variable (want \"boundlab\": {\"question\": ..., \"var\": ...})", filepath.Base(nb.Path), i+1)
		}
		if !isIdent(v) {
			return ParamCell{}, false, fmt.Errorf("%s: cell %d: %q is not a Go variable name", filepath.Base(nb.Path), i+1, v)
		}
		found = append(found, ParamCell{Index: i, Question: q, Var: v})
	}
	switch len(found) {
	case 0:
		return ParamCell{}, false, nil
	case 1:
		return found[0], true, nil
	}
	return ParamCell{}, false, fmt.Errorf("%s: cells %d and %d are both tagged parameters", filepath.Base(nb.Path), found[0].Index+1, found[1].Index+1)
}

func hasTag(md map[string]any, tag string) bool {
	tags, _ := md["tags"].([]any)
	return slices.Contains(tags, any(tag))
}

func isIdent(s string) bool {
	for i, r := range s {
		letter := r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !letter && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return s != ""
}

// InjectedTag tags the cell that InjectOverrides adds.
const InjectedTag = "injected-parameters"

// InjectOverrides inserts, right after the parameters cell pc, a code cell
// tagged InjectedTag that applies overrides ("name=value") to pc's variable
// with kernel.Override, from an init function (GoNB runs func init_* as
// init functions, after the variable is initialised and before the cell
// flags are parsed, so a cell's %% flags still win).
func (nb *Notebook) InjectOverrides(pc ParamCell, overrides []string) {
	if len(overrides) == 0 {
		return
	}
	cell := map[string]any{
		"cell_type":       "code",
		"execution_count": nil,
		"metadata":        map[string]any{"tags": []any{InjectedTag}},
		"outputs":         []any{},
		"source":          splitLines(OverrideSource(pc.Var, overrides)),
	}
	if minor, _ := nb.doc["nbformat_minor"].(json.Number).Int64(); minor >= 5 {
		cell["id"] = InjectedTag
	}
	nb.cells = slices.Insert(nb.cells, pc.Index+1, cell)
}

// OverrideSource is the Go source of the injected cell.
func OverrideSource(varName string, overrides []string) string {
	quoted := make([]string, len(overrides))
	for i, o := range overrides {
		quoted[i] = strconv.Quote(o)
	}
	return "// Injected by boundlab handouts: overrides of the parameters above.\n" +
		"func init_overrides() { kernel.Override(&" + varName + ", " + strings.Join(quoted, ", ") + ") }"
}

// splitLines splits s the way nbformat stores source: lines keeping their
// newlines.
func splitLines(s string) []any {
	var out []any
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

// Marshal encodes the notebook as nbformat JSON.
func (nb *Notebook) Marshal() ([]byte, error) {
	cells := make([]any, len(nb.cells))
	for i, c := range nb.cells {
		cells[i] = c
	}
	doc := make(map[string]any, len(nb.doc))
	for k, v := range nb.doc {
		doc[k] = v
	}
	doc["cells"] = cells
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode notebook %s: %w", filepath.Base(nb.Path), err)
	}
	return b.Bytes(), nil
}
