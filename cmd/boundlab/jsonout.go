package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// createJSON opens where --json names: nowhere for "" (a nil writer),
// standard output for "-", else the file path, created now (a usage error
// if it cannot be): before a long run, not after it. closeFile closes the
// file, if there is one.
func createJSON(path string, stdout io.Writer) (w io.Writer, closeFile func(), err error) {
	switch path {
	case "":
		return nil, func() {}, nil
	case "-":
		return stdout, func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, usagef("--json: %v", err)
	}
	return f, func() { f.Close() }, nil
}

// writeJSON writes v to w as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}
