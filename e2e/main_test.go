package e2e

import (
	"os"
	"testing"

	"github.com/boundlab/boundlab/internal/testlock"
)

func TestMain(m *testing.M) {
	code := testlock.Run(m)
	cleanupRig()
	os.Exit(code)
}
