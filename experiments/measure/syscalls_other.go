//go:build !linux || (!amd64 && !arm64)

package measure

// syscallNames is empty where boundlab has no table: system calls show as
// numbers.
var syscallNames = map[int]string{}
