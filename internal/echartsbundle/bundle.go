// Package echartsbundle knows boundlab's own ECharts build: where its entry
// file and the bundle live in the project, and the stamp on the bundle's
// first line that says what it was built from (the ECharts and esbuild
// versions and the entry file's hash). The set-up writes the stamp; the
// charts package and the doctor read it, so that a bundle built from
// another entry or another ECharts is caught rather than embedded.
package echartsbundle

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
)

// Paths relative to the project root, with forward slashes.
const (
	// Entry is the bundle's entry file: the ECharts modules boundlab uses.
	// It is committed.
	Entry = "charts/assets/src/echarts-boundlab.js"
	// Asset is the bundle the set-up builds from Entry, minified. It is
	// not committed.
	Asset = "charts/assets/echarts-boundlab.min.js"
)

// Stamp is what a bundle was built from.
type Stamp struct {
	// ECharts and Esbuild are the npm versions bundled and bundled with.
	ECharts, Esbuild string
	// Entry is EntryHash of the entry file.
	Entry string
}

// EntryHash is the hex SHA-256 of an entry file's bytes.
func EntryHash(src []byte) string {
	sum := sha256.Sum256(src)
	return hex.EncodeToString(sum[:])
}

// Banner is the stamp as the bundle's first line, a JavaScript comment.
func (s Stamp) Banner() string {
	return fmt.Sprintf("/* boundlab-echarts: echarts %s, esbuild %s, entry sha256 %s */", s.ECharts, s.Esbuild, s.Entry)
}

// String names the versions, for a person.
func (s Stamp) String() string {
	return fmt.Sprintf("ECharts %s bundled by esbuild %s", s.ECharts, s.Esbuild)
}

var bannerRE = regexp.MustCompile(`\A/\* boundlab-echarts: echarts (\S+), esbuild (\S+), entry sha256 ([0-9a-f]{64}) \*/`)

// ReadStamp reads the stamp from the start of a bundle; ok is false when
// the bundle has none (a file that is not boundlab's build).
func ReadStamp(js []byte) (s Stamp, ok bool) {
	m := bannerRE.FindSubmatch(js)
	if m == nil {
		return Stamp{}, false
	}
	return Stamp{ECharts: string(m[1]), Esbuild: string(m[2]), Entry: string(m[3])}, true
}
