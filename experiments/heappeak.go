package experiments

import (
	"runtime/metrics"
	"sync"
	"time"
)

// heapPeak samples this process's heap (the bytes in heap objects, live or
// not yet swept: /memory/classes/heap/objects:bytes) while a run goes on,
// and keeps the largest reading: the most memory the run's objects took at
// once, which the resident size, once the heap has grown, no longer shows.
type heapPeak struct {
	start int64
	stop  chan struct{}
	done  sync.WaitGroup
	mu    sync.Mutex
	peak  int64
}

// heapPeakEvery is the sampling period: reading the metric costs a
// microsecond or two and stops nothing.
const heapPeakEvery = time.Millisecond

func heapObjects() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64())
}

// startHeapPeak takes the first reading and starts sampling.
func startHeapPeak() *heapPeak {
	h := &heapPeak{start: heapObjects(), stop: make(chan struct{})}
	h.peak = h.start
	h.done.Add(1)
	go func() {
		defer h.done.Done()
		t := time.NewTicker(heapPeakEvery)
		defer t.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-t.C:
				h.observe()
			}
		}
	}()
	return h
}

func (h *heapPeak) observe() {
	v := heapObjects()
	h.mu.Lock()
	h.peak = max(h.peak, v)
	h.mu.Unlock()
}

// added stops sampling and returns the largest reading less the first.
func (h *heapPeak) added() int64 {
	close(h.stop)
	h.done.Wait()
	h.observe()
	return max(0, h.peak-h.start)
}
