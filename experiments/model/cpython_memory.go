package model

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// MaxPythonLive bounds PythonLive's task count: a million asyncio tasks
// take CPython about two gigabytes and tens of seconds.
const MaxPythonLive = 1_000_000

// pyMemory is the script's answer to a memory request (boundlab_memory.py).
type pyMemory struct {
	Tasks  int          `json:"tasks"`
	RSS    int64        `json:"rss_bytes"`
	Create int64        `json:"create_ns"`
	Traced int64        `json:"traced_bytes"`
	Sites  []MemorySite `json:"sites"`
}

// PythonLive measures what n live asyncio tasks hold on CPython: n tasks
// created with loop.create_task and gathered, each run to its first await
// (a sleep), counted once with tracemalloc off (resident memory, RSS) and
// once with it on (Traced, the bytes Python allocated for them, and Sites,
// the objects added by type: coroutines, Task wrappers, futures, timer
// handles, contexts). Total is Traced, the interpreter's own count; Create
// is from the pass without tracemalloc.
func PythonLive(ctx context.Context, python string, n int) (*LiveMemory, error) {
	if n < 1 || n > MaxPythonLive {
		return nil, fmt.Errorf("cpython live memory: tasks must be from 1 to %d, got %d", MaxPythonLive, n)
	}
	in, err := Probe(ctx, python)
	if err != nil {
		return nil, err
	}
	out, _, err := runPython(ctx, in.Executable, pyRequest{Mode: "memory", Live: n}, nil, nil)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("cpython live memory, %d tasks: stopped: %w", n, cerr)
		}
		return nil, fmt.Errorf("cpython live memory, %d tasks: %w", n, err)
	}
	var m pyMemory
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("cpython live memory: decode the script's result: %w", err)
	}
	return &LiveMemory{
		Model: "cpython asyncio", Tasks: m.Tasks, Create: time.Duration(m.Create),
		Total: m.Traced, Traced: m.Traced, RSS: m.RSS, Sites: m.Sites,
	}, nil
}
