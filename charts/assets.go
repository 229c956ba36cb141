package charts

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
)

// EChartsVersion is the ECharts release the charts are written for, pinned
// in package.json and embedded from charts/assets.
const EChartsVersion = "5.6.0"

// assetPath is the library's path inside the embedded assets.
const assetPath = "assets/echarts.min.js"

// assets holds charts/assets: the README, which is committed, and the
// library when the setup step has copied it there.
//
//go:embed assets
var assets embed.FS

// ErrNoLibrary is returned, wrapped with the reason and the fix, when the
// binary has no usable ECharts library.
var ErrNoLibrary = errors.New("charts: the ECharts library is not available")

// libraryFix says how to get the library embedded.
const libraryFix = "run `make setup` (npm ci) to fetch ECharts " + EChartsVersion + " into charts/assets, then rebuild"

var loadLibrary = sync.OnceValues(func() (string, error) { return library(assets) })

// Library returns the embedded ECharts library, the JavaScript that defines
// the global `echarts`. It fails with an error wrapping ErrNoLibrary when the
// binary was built without charts/assets/echarts.min.js, and when the file
// there is not ECharts 5.6.0.
func Library() (string, error) { return loadLibrary() }

// library reads and checks the library from fsys.
func library(fsys fs.FS) (string, error) {
	b, err := fs.ReadFile(fsys, assetPath)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w: charts/%s was not embedded at build time; %s", ErrNoLibrary, assetPath, libraryFix)
	}
	if err != nil {
		return "", fmt.Errorf("charts: read %s: %w", assetPath, err)
	}
	js := string(b)
	if !strings.Contains(js, `version="`+EChartsVersion+`"`) {
		return "", fmt.Errorf("%w: charts/%s is not ECharts %s; %s", ErrNoLibrary, assetPath, EChartsVersion, libraryFix)
	}
	return js, nil
}
