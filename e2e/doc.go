// Package e2e holds boundlab's end-to-end tests, which use real parts
// only: the built boundlab command, Jupyter, the GoNB kernel built by the
// set-up, and headless Chromium driven with chromedp.
//
// They build the handouts of every notebook on quick parameters and open
// each page from disk with the network cut off; they run a notebook live
// in the classic Jupyter Notebook through the page, as a person would; and
// they check that a failing cell fails the build and that an interrupt
// leaves no process behind. Screenshots go to test-artifacts/e2e/ at the
// project root.
//
// The tests skip, saying what is missing, when Jupyter, Chromium or the
// set-up's pieces are absent, unless BOUNDLAB_REQUIRE_E2E=1 (make test sets
// it), which makes a missing piece a failure. They take the timing lock
// (internal/testlock), so they do not overlap the timing-sensitive tests,
// and skip in -short mode (unless required).
package e2e
