package setup

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
)

// Where the ECharts library comes from and goes to, relative to the
// project root.
var (
	echartsDist  = filepath.Join("node_modules", "echarts", "dist", "echarts.min.js")
	echartsPkg   = filepath.Join("node_modules", "echarts", "package.json")
	echartsAsset = filepath.Join("charts", "assets", "echarts.min.js")
)

// PinnedECharts returns the ECharts version the project pins: the one in
// package-lock.json, else the one package.json asks for.
func PinnedECharts(root string) (string, error) {
	if b, err := os.ReadFile(filepath.Join(root, "package-lock.json")); err == nil {
		var lock struct {
			Packages map[string]struct {
				Version string `json:"version"`
			} `json:"packages"`
		}
		if err := json.Unmarshal(b, &lock); err != nil {
			return "", fmt.Errorf("read package-lock.json: %w", err)
		}
		if v := lock.Packages["node_modules/echarts"].Version; v != "" {
			return v, nil
		}
	}
	b, err := os.ReadFile(filepath.Join(root, "package.json"))
	if err != nil {
		return "", fmt.Errorf("no ECharts pin: %w", err)
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		return "", fmt.Errorf("read package.json: %w", err)
	}
	if v := pkg.Dependencies["echarts"]; v != "" {
		return v, nil
	}
	return "", errors.New("package.json does not depend on echarts")
}

// versionRE finds the version ECharts declares in its minified build.
var versionRE = regexp.MustCompile(`\.version="(\d+\.\d+\.\d+[^"]*)"`)

// EChartsFileVersion returns the ECharts version declared in the library
// file at path: "" when the file is missing or declares none.
func EChartsFileVersion(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	m := versionRE.FindSubmatch(b)
	if m == nil {
		return "", nil
	}
	return string(m[1]), nil
}

// installedECharts returns the version of ECharts npm installed in
// node_modules, or "" when there is none with its library file.
func installedECharts(root string) string {
	if _, err := os.Stat(filepath.Join(root, echartsDist)); err != nil {
		return ""
	}
	b, err := os.ReadFile(filepath.Join(root, echartsPkg))
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

// copyAsset copies node_modules' library to charts/assets when it differs;
// it reports whether it copied.
func copyAsset(root string) (bool, error) {
	src, dst := filepath.Join(root, echartsDist), filepath.Join(root, echartsAsset)
	b, err := os.ReadFile(src)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", src, err)
	}
	if old, err := os.ReadFile(dst); err == nil && bytes.Equal(old, b) {
		return false, nil
	}
	if err := writeFileAtomic(dst, b, 0o644); err != nil {
		return false, err
	}
	return true, nil
}
