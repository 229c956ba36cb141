package setup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/boundlab/boundlab/internal/echartsbundle"
	"github.com/boundlab/boundlab/internal/proc"
)

// Where boundlab's ECharts build comes from and goes to, relative to the
// project root.
var (
	bundleEntry = filepath.FromSlash(echartsbundle.Entry)
	bundleAsset = filepath.FromSlash(echartsbundle.Asset)
	// legacyAsset is ECharts' whole library, which charts/assets held
	// before boundlab built its own; go:embed would still bake it in.
	legacyAsset = filepath.Join("charts", "assets", "echarts.min.js")
	esbuildBin  = filepath.Join("node_modules", ".bin", "esbuild")
)

// esbuildArgs bundle the entry into one minified script that defines the
// global echarts (the entry assigns it), with the stamp as its first line
// and the licence comments of the bundled code at its end.
func esbuildArgs(banner, outfile string) []string {
	return []string{bundleEntry, "--bundle", "--minify", "--format=iife", "--target=es2017",
		"--legal-comments=eof", "--charset=ascii", "--log-level=warning",
		"--banner:js=" + banner, "--outfile=" + outfile}
}

// pinnedNpm returns the version of an npm package the project pins: the
// one in package-lock.json, else the one package.json asks for.
func pinnedNpm(root, name string) (string, error) {
	if b, err := os.ReadFile(filepath.Join(root, "package-lock.json")); err == nil {
		var lock struct {
			Packages map[string]struct {
				Version string `json:"version"`
			} `json:"packages"`
		}
		if err := json.Unmarshal(b, &lock); err != nil {
			return "", fmt.Errorf("read package-lock.json: %w", err)
		}
		if v := lock.Packages["node_modules/"+name].Version; v != "" {
			return v, nil
		}
	}
	b, err := os.ReadFile(filepath.Join(root, "package.json"))
	if err != nil {
		return "", fmt.Errorf("no %s pin: %w", name, err)
	}
	var pkg struct {
		Dependencies    map[string]string `json:"dependencies"`
		DevDependencies map[string]string `json:"devDependencies"`
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		return "", fmt.Errorf("read package.json: %w", err)
	}
	if v := pkg.Dependencies[name]; v != "" {
		return v, nil
	}
	if v := pkg.DevDependencies[name]; v != "" {
		return v, nil
	}
	return "", fmt.Errorf("package.json does not depend on %s", name)
}

// PinnedECharts returns the ECharts version the project pins.
func PinnedECharts(root string) (string, error) { return pinnedNpm(root, "echarts") }

// WantedBundle is the stamp the project's ECharts build must carry: the
// pinned ECharts and esbuild, and the hash of the entry file as it is.
func WantedBundle(root string) (echartsbundle.Stamp, error) {
	var s echartsbundle.Stamp
	var err error
	if s.ECharts, err = pinnedNpm(root, "echarts"); err != nil {
		return s, err
	}
	if s.Esbuild, err = pinnedNpm(root, "esbuild"); err != nil {
		return s, err
	}
	src, err := os.ReadFile(filepath.Join(root, bundleEntry))
	if err != nil {
		return s, fmt.Errorf("the bundle's entry: %w", err)
	}
	s.Entry = echartsbundle.EntryHash(src)
	return s, nil
}

// BundleStamp returns the stamp of the bundle at path; ok is false when the
// file is missing or carries no stamp.
func BundleStamp(path string) (s echartsbundle.Stamp, ok bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("read %s: %w", path, err)
	}
	s, ok = echartsbundle.ReadStamp(b)
	return s, ok, nil
}

// bundleState says what is wrong with the bundle at path against want, or
// "" when it is current.
func bundleState(path string, want echartsbundle.Stamp) string {
	have, ok, err := BundleStamp(path)
	switch {
	case err != nil:
		return err.Error()
	case !ok && fileExists(path):
		return "it is not boundlab's ECharts build (no stamp)"
	case !ok:
		return "it is missing"
	case have.ECharts != want.ECharts || have.Esbuild != want.Esbuild:
		return "it is " + have.String() + ", want " + want.String()
	case have.Entry != want.Entry:
		return "it was built from another " + echartsbundle.Entry
	}
	return ""
}

// fileExists reports whether path names an existing file.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// installedNpm returns the version of an npm package in node_modules, or
// "" when there is none.
func installedNpm(root, name string) string {
	b, err := os.ReadFile(filepath.Join(root, "node_modules", name, "package.json"))
	if err != nil {
		return ""
	}
	var pkg struct {
		Version string `json:"version"`
	}
	if json.Unmarshal(b, &pkg) != nil {
		return ""
	}
	return pkg.Version
}

// nodeModulesCurrent reports whether node_modules holds the pinned ECharts
// and esbuild.
func nodeModulesCurrent(root string, want echartsbundle.Stamp) bool {
	return installedNpm(root, "echarts") == want.ECharts && installedNpm(root, "esbuild") == want.Esbuild &&
		fileExists(filepath.Join(root, esbuildBin))
}

// buildBundle runs the pinned esbuild on the entry, into a temporary file
// beside the asset, then renames it into place once its stamp is right.
func buildBundle(ctx context.Context, root string, want echartsbundle.Stamp) error {
	asset := filepath.Join(root, bundleAsset)
	tmp := filepath.Join(filepath.Dir(asset), ".echarts-boundlab.build.js")
	defer os.Remove(tmp)
	rel, err := filepath.Rel(root, tmp)
	if err != nil {
		return err
	}
	if _, err := (command{dir: root, name: filepath.Join(root, esbuildBin), args: esbuildArgs(want.Banner(), rel)}).run(ctx); err != nil {
		return err
	}
	b, err := os.ReadFile(tmp)
	if err != nil {
		return fmt.Errorf("esbuild wrote no bundle: %w", err)
	}
	if got, ok := echartsbundle.ReadStamp(b); !ok || got != want {
		return fmt.Errorf("esbuild's bundle does not start with the stamp %q", want.Banner())
	}
	return proc.WriteFile(asset, b, 0o644)
}
