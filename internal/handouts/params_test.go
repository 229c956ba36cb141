package handouts

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/boundlab/boundlab/experiments"
)

// paramLiteral is the Go expression the parameters cell pc assigns to its
// variable (var params = experiments.XParams{...}).
func paramLiteral(nb *Notebook, pc ParamCell) (string, error) {
	src := "package p\n" + nb.Source(pc.Index)
	f, err := parser.ParseFile(token.NewFileSet(), "cell.go", src, parser.SkipObjectResolution)
	if err != nil {
		return "", err
	}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.VAR {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if n.Name == pc.Var && i < len(vs.Values) {
					e := vs.Values[i]
					return src[e.Pos()-1 : e.End()-1], nil
				}
			}
		}
	}
	return "", fmt.Errorf("no var %s = ... in the cell", pc.Var)
}

// TestNotebookParametersAreDefaults checks that each notebook's parameters
// cell sets its question's defaults, flag by flag: the cells' literals are
// compiled into one program that prints each one's flag values, compared
// with experiments.Lookup(question).NewParams(false).
func TestNotebookParametersAreDefaults(t *testing.T) {
	paths := nbs(t)
	type cell struct{ notebook, question, literal string }
	var cells []cell
	for _, p := range paths {
		nb, err := ReadNotebook(p)
		if err != nil {
			t.Fatal(err)
		}
		pc, ok, err := nb.Parameters()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			continue
		}
		lit, err := paramLiteral(nb, pc)
		if err != nil {
			t.Fatalf("%s: %v", nb.Name(), err)
		}
		cells = append(cells, cell{nb.Name(), pc.Question, lit})
	}
	if len(cells) == 0 {
		t.Fatal("no notebook has a parameters cell")
	}

	var prog strings.Builder
	prog.WriteString("package main\n\nimport (\n\t\"encoding/json\"\n\t\"os\"\n\t\"time\"\n\n\t\"github.com/boundlab/boundlab/experiments\"\n)\n\nvar _ = time.Second\n\n")
	prog.WriteString("func flags(p experiments.Params) map[string]string {\n\tm := map[string]string{}\n\tfor _, x := range p.Params() {\n\t\tm[x.Name] = x.String()\n\t}\n\treturn m\n}\n\n")
	prog.WriteString("func main() {\n\tout := []map[string]string{}\n")
	for i, c := range cells {
		fmt.Fprintf(&prog, "\tp%d := %s\n\tout = append(out, flags(&p%d))\n", i, c.literal, i)
	}
	prog.WriteString("\t_ = json.NewEncoder(os.Stdout).Encode(out)\n}\n")
	dir, err := os.MkdirTemp("testdata", "_paramcheck-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(prog.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "run", "./"+filepath.ToSlash(dir))
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("go run the parameters cells: %v\n%s\n%s", err, stderr, prog.String())
	}
	var got []map[string]string
	if err := json.Unmarshal(out, &got); err != nil || len(got) != len(cells) {
		t.Fatalf("the program printed %q: %v", out, err)
	}
	for i, c := range cells {
		q, err := experiments.Lookup(c.question)
		if err != nil {
			t.Errorf("%s: %v", c.notebook, err)
			continue
		}
		for _, x := range q.NewParams(false).Params() {
			if v := got[i][x.Name]; v != x.String() {
				t.Errorf("%s: the parameters cell sets --%s=%s; the question's default is %s", c.notebook, x.Name, v, x.String())
			}
		}
	}
}
