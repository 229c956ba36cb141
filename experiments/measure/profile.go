package measure

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/pprof/profile"
)

// ErrProfilerBusy is returned by ProfileCPU when a CPU profile is already
// being recorded in this process (one at a time: go test -cpuprofile, say).
var ErrProfilerBusy = errors.New("a CPU profile is already being recorded in this process")

// profileLabel is the pprof label key that marks the goroutines of the
// profiled function.
const profileLabel = "boundlab_profiled"

var profileRuns atomic.Int64

// FuncTime is one function's share of a CPU profile, as pprof's top shows
// it.
type FuncTime struct {
	// Name is the function, its import path shortened to the package name:
	// "model.burn", "runtime.futex".
	Name string `json:"name"`
	// Flat is the CPU time sampled in the function itself; Cum in it and
	// in what it called.
	Flat time.Duration `json:"flat_ns"`
	Cum  time.Duration `json:"cum_ns"`
	// FlatShare and CumShare are Flat and Cum over the profile's Total.
	FlatShare float64 `json:"flat_share"`
	CumShare  float64 `json:"cum_share"`
}

// CPUProfile is what a CPU profile of one function's run says: how much
// CPU time was sampled in the goroutines it started and where.
type CPUProfile struct {
	// Samples is how many samples were taken in the function's goroutines
	// (pprof's count), Total the CPU time they stand for.
	Samples int           `json:"samples"`
	Total   time.Duration `json:"total_ns"`
	// Other is the CPU time sampled outside them meanwhile: the runtime's
	// background work, other goroutines of the process.
	Other time.Duration `json:"other_ns"`
	// Period is the sampling period: each sample stands for this much CPU.
	Period time.Duration `json:"period_ns"`
	// Top are the functions with the most flat time, most first.
	Top []FuncTime `json:"top"`
}

// ProfileCPU runs fn while recording a CPU profile of this process
// (runtime/pprof, 100 samples per CPU-second), and reports the top
// functions among the samples taken in the goroutines fn starts, which it
// tells apart with a pprof label. If a profile is already being recorded
// it returns an error wrapping ErrProfilerBusy without running fn; fn's
// own error is returned with the profile.
func ProfileCPU(ctx context.Context, top int, fn func(context.Context) error) (*CPUProfile, error) {
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProfilerBusy, err)
	}
	id := strconv.FormatInt(profileRuns.Add(1), 10)
	var fnErr error
	pprof.Do(ctx, pprof.Labels(profileLabel, id), func(ctx context.Context) {
		fnErr = fn(ctx)
	})
	pprof.StopCPUProfile()
	p, err := profile.Parse(&buf)
	if err != nil {
		return nil, errors.Join(fnErr, fmt.Errorf("read the CPU profile: %w", err))
	}
	prof, err := summarizeProfile(p, id, top)
	if err != nil {
		return nil, errors.Join(fnErr, err)
	}
	return prof, fnErr
}

// summarizeProfile reads the samples labelled id from p: flat time per leaf
// function, cumulative time per function anywhere on the stack (once per
// sample), the top functions by flat then cumulative time.
func summarizeProfile(p *profile.Profile, id string, top int) (*CPUProfile, error) {
	vi := slices.IndexFunc(p.SampleType, func(t *profile.ValueType) bool { return t.Type == "cpu" })
	if vi < 0 {
		return nil, errors.New("the CPU profile has no cpu values")
	}
	ni := slices.IndexFunc(p.SampleType, func(t *profile.ValueType) bool { return t.Type == "samples" })
	out := &CPUProfile{Period: time.Duration(p.Period), Top: []FuncTime{}}
	flat, cum := map[string]time.Duration{}, map[string]time.Duration{}
	for _, s := range p.Sample {
		v := time.Duration(s.Value[vi])
		if !slices.Contains(s.Label[profileLabel], id) {
			out.Other += v
			continue
		}
		if ni >= 0 {
			out.Samples += int(s.Value[ni])
		} else {
			out.Samples++
		}
		out.Total += v
		seen := map[string]bool{}
		for li, loc := range s.Location {
			for ln, line := range loc.Line {
				if line.Function == nil {
					continue
				}
				name := shortFunc(line.Function.Name)
				if li == 0 && ln == 0 {
					flat[name] += v
				}
				if !seen[name] {
					seen[name] = true
					cum[name] += v
				}
			}
		}
	}
	names := make([]string, 0, len(cum))
	for n := range cum {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(cmp.Compare(flat[b], flat[a]), cmp.Compare(cum[b], cum[a]), strings.Compare(a, b))
	})
	for _, n := range names[:min(top, len(names))] {
		ft := FuncTime{Name: n, Flat: flat[n], Cum: cum[n]}
		if out.Total > 0 {
			ft.FlatShare, ft.CumShare = float64(ft.Flat)/float64(out.Total), float64(ft.Cum)/float64(out.Total)
		}
		out.Top = append(out.Top, ft)
	}
	return out, nil
}

// shortFunc drops a function's import path up to its package name:
// "github.com/x/y/model.burn" becomes "model.burn".
func shortFunc(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[i+1:]
	}
	return name
}
