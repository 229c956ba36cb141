package project

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// layers are the checkout's packages from the bottom up, as docs/DESIGN.md
// ("Layout") writes them: a package imports only packages of lower layers.
var layers = [][]string{
	{"internal/units", "internal/proc", "internal/project", "internal/echartsbundle", "internal/testlock", "internal/golden", "internal/image", "experiments/loopback"},
	{"experiments/measure", "experiments/pyprof"},
	{"experiments/model", "experiments/decision"},
	{"experiments"},
	{"experiments/compare", "internal/setup"},
	{"charts"},
	{"kernel"},
	{"internal/handouts"},
	{"cmd/boundlab", "e2e"},
}

// foreign are outside modules only some layers may import: GoNB's
// notebook side only the kernel (and the tests that drive it), the chart
// library only charts.
var foreign = map[string][]string{
	"github.com/janpfeifer/gonb":          {"kernel"},
	"github.com/go-echarts/go-echarts/v2": {"charts"},
}

// TestLayers reads every package's imports (not its tests') with go list
// and checks that imports run one way, down the layers, and that GoNB and
// go-echarts stay in the packages that show and draw.
func TestLayers(t *testing.T) {
	root, err := Root(".")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	rank := map[string]int{}
	for i, l := range layers {
		for _, p := range l {
			rank[p] = i
		}
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(fields[0], ModulePath), "/")
		r, ok := rank[pkg]
		if !ok {
			t.Errorf("package %s is in no layer: add it to the layers here and in docs/DESIGN.md", pkg)
			continue
		}
		seen++
		for _, imp := range fields[1:] {
			for mod, allowed := range foreign {
				if strings.HasPrefix(imp, mod) && !slices.Contains(allowed, pkg) {
					t.Errorf("%s imports %s: only %v may", pkg, imp, allowed)
				}
			}
			if !strings.HasPrefix(imp, ModulePath+"/") {
				continue
			}
			dep := strings.TrimPrefix(imp, ModulePath+"/")
			if d, ok := rank[dep]; ok && d >= r {
				t.Errorf("%s (layer %d) imports %s (layer %d): imports run down the layers only", pkg, r, dep, d)
			}
		}
	}
	if seen < 20 {
		t.Errorf("go list gave %d packages of the checkout, want them all", seen)
	}
}
