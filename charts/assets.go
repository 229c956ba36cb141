package charts

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"github.com/boundlab/boundlab/internal/echartsbundle"
)

// EChartsVersion is the ECharts release the charts are written for, pinned
// in package.json and package-lock.json.
const EChartsVersion = "5.6.0"

// Paths inside the embedded assets: boundlab's ECharts build and its entry
// file (see package echartsbundle).
var (
	assetPath = strings.TrimPrefix(echartsbundle.Asset, "charts/")
	entryPath = strings.TrimPrefix(echartsbundle.Entry, "charts/")
)

// assets holds charts/assets: the README and the build's entry file, which
// are committed, and the build once the set-up has made it.
//
//go:embed assets
var assets embed.FS

// ErrNoLibrary is returned, wrapped with the reason and the fix, when the
// binary has no usable ECharts library.
var ErrNoLibrary = errors.New("charts: the ECharts library is not available")

// libraryFix says how to get the library embedded.
const libraryFix = "run `make setup` (npm ci, then esbuild) to build ECharts " + EChartsVersion + " into charts/assets, then rebuild"

var loadLibrary = sync.OnceValues(func() (string, error) { return library(assets) })

// Library returns the embedded ECharts library, the JavaScript that defines
// the global `echarts`: boundlab's own build of ECharts' core with the chart
// types and components the charts use (charts/assets/src). It fails with an
// error wrapping ErrNoLibrary when the binary was built without the build,
// and when the build embedded is not ECharts 5.6.0 or was made from another
// entry file than the one embedded beside it.
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
	stamp, ok := echartsbundle.ReadStamp(b)
	switch {
	case !ok:
		return "", fmt.Errorf("%w: charts/%s is not boundlab's ECharts build; %s", ErrNoLibrary, assetPath, libraryFix)
	case stamp.ECharts != EChartsVersion:
		return "", fmt.Errorf("%w: charts/%s is ECharts %s, not %s; %s", ErrNoLibrary, assetPath, stamp.ECharts, EChartsVersion, libraryFix)
	}
	entry, err := fs.ReadFile(fsys, entryPath)
	if err != nil {
		return "", fmt.Errorf("%w: charts/%s: %v; %s", ErrNoLibrary, entryPath, err, libraryFix)
	}
	if stamp.Entry != echartsbundle.EntryHash(entry) {
		return "", fmt.Errorf("%w: charts/%s was built from another charts/%s; %s", ErrNoLibrary, assetPath, entryPath, libraryFix)
	}
	return string(b), nil
}
