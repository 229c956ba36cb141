package model

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
)

// MaxEncodeBytes bounds an Encode step's document.
const MaxEncodeBytes = 64 << 20

// Encode returns a step that serialises a JSON document of about n bytes
// with encoding/json.Marshal: the lecture's "large JSON serialization",
// CPU-bound work inside a task. The document is a realistic nested one, a
// list of customer records with strings, numbers, booleans and nested lists
// of orders and their items, built once per size in each process (see
// PrepareEncode) and encoded afresh by every step.
//
// On the gil model an Encode step holds the GIL from start to end without
// giving it up at the switch interval, as CPython's C JSON encoder does
// (it runs no bytecode, so it never sees a drop request); a CPU step
// yields. On the eventloop model it blocks the loop, unless offloaded (see
// Step.Offload); on processes it runs in the worker, which sends the
// encoded bytes back as its result; on cpython it is json.dumps.
func Encode(n int) Step { return Step{Kind: KindEncode, Bytes: n} }

// encodeString describes an Encode step.
func encodeString(s Step) string {
	str := fmt.Sprintf("encode(%d bytes)", s.Bytes)
	if s.Offload != "" {
		str += " in " + string(s.Offload)
	}
	return str
}

func validateEncode(s Step) error {
	if s.Bytes < 1 || s.Bytes > MaxEncodeBytes {
		return fmt.Errorf("encode size must be from 1 to %d bytes, got %d", MaxEncodeBytes, s.Bytes)
	}
	return nil
}

// The document's shape: what an API returns for a page of customers.
type (
	encRecord struct {
		ID      int64      `json:"id"`
		Name    string     `json:"name"`
		Email   string     `json:"email"`
		Active  bool       `json:"active"`
		Score   float64    `json:"score"`
		Tags    []string   `json:"tags"`
		Address encAddress `json:"address"`
		Orders  []encOrder `json:"orders"`
	}
	encAddress struct {
		Street  string  `json:"street"`
		City    string  `json:"city"`
		Country string  `json:"country"`
		Zip     string  `json:"zip"`
		Lat     float64 `json:"lat"`
		Lon     float64 `json:"lon"`
	}
	encOrder struct {
		ID     int64     `json:"id"`
		Placed string    `json:"placed"`
		Status string    `json:"status"`
		Total  float64   `json:"total"`
		Items  []encItem `json:"items"`
	}
	encItem struct {
		SKU   string  `json:"sku"`
		Qty   int     `json:"qty"`
		Price float64 `json:"price"`
	}
)

var (
	encWords = []string{"alpha", "bravo", "cedar", "delta", "ember", "fjord", "garnet", "harbor", "indigo", "juniper",
		"kestrel", "lumen", "maple", "nectar", "onyx", "prairie", "quartz", "raven", "sierra", "tundra"}
	encCities    = []string{"Lisbon", "Osaka", "Toronto", "Nairobi", "Lima", "Tallinn", "Perth", "Bergen"}
	encCountries = []string{"PT", "JP", "CA", "KE", "PE", "EE", "AU", "NO"}
	encStatus    = []string{"placed", "paid", "shipped", "delivered", "returned"}
)

// encDoc is a document and its encoded size.
type encDoc struct {
	records []encRecord
	size    int
}

var encDocs = struct {
	sync.Mutex
	bySize map[int]*encDocOnce
}{bySize: map[int]*encDocOnce{}}

type encDocOnce struct {
	once sync.Once
	doc  *encDoc
}

// document returns the document for n bytes, building it the first time.
// Concurrent callers share one build; the document is read-only after it.
func document(n int) *encDoc {
	encDocs.Lock()
	e, ok := encDocs.bySize[n]
	if !ok {
		e = &encDocOnce{}
		encDocs.bySize[n] = e
	}
	encDocs.Unlock()
	e.once.Do(func() { e.doc = buildDocument(n) })
	return e.doc
}

// PrepareEncode builds the documents for these sizes now, so that no Encode
// step of a run pays for building one, and encodes each once on every core,
// so that the first run does not pay for growing the heap and the encoder's
// buffers either. Models build a missing document on first use, outside the
// step's timed segment.
func PrepareEncode(sizes ...int) {
	var wg sync.WaitGroup
	for _, n := range sizes {
		if n < 1 || n > MaxEncodeBytes {
			continue
		}
		document(n)
		for range runtime.GOMAXPROCS(0) {
			wg.Add(1)
			go func() { defer wg.Done(); _, _, _ = encodeJSON(n) }()
		}
		wg.Wait()
	}
}

// EncodedSize is the exact size in bytes of the JSON an Encode(n) step
// produces: n, rounded up to the end of a record.
func EncodedSize(n int) int { return document(n).size }

// buildDocument makes records, from a generator seeded by n, until their
// JSON array reaches n bytes.
func buildDocument(n int) *encDoc {
	rng := rand.New(rand.NewPCG(uint64(n), 0x5EED))
	word := func() string { return encWords[rng.IntN(len(encWords))] }
	money := func(hi float64) float64 { return float64(int(rng.Float64()*hi*100)) / 100 }
	d := &encDoc{size: 2} // the brackets
	for id := int64(1); d.size < n || len(d.records) == 0; id++ {
		first, last := word(), word()
		r := encRecord{
			ID:     id,
			Name:   first + " " + last,
			Email:  fmt.Sprintf("%s.%s%d@example.com", first, last, id),
			Active: rng.IntN(4) != 0,
			Score:  rng.Float64() * 100,
			Tags:   []string{word(), word(), fmt.Sprintf("tier-%d", rng.IntN(5))},
			Address: encAddress{
				Street: fmt.Sprintf("%d %s street", 1+rng.IntN(999), word()),
				City:   encCities[rng.IntN(len(encCities))], Country: encCountries[rng.IntN(len(encCountries))],
				Zip: fmt.Sprintf("%05d", rng.IntN(100000)), Lat: rng.Float64()*180 - 90, Lon: rng.Float64()*360 - 180,
			},
		}
		for o := range 1 + rng.IntN(3) {
			ord := encOrder{
				ID:     id*10 + int64(o),
				Placed: time.Date(2024, time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), 0, 0, time.UTC).Format(time.RFC3339),
				Status: encStatus[rng.IntN(len(encStatus))],
			}
			for range 1 + rng.IntN(4) {
				it := encItem{SKU: fmt.Sprintf("%s-%04d", word(), rng.IntN(10000)), Qty: 1 + rng.IntN(5), Price: money(200)}
				ord.Total += float64(it.Qty) * it.Price
				ord.Items = append(ord.Items, it)
			}
			r.Orders = append(r.Orders, ord)
		}
		b, err := json.Marshal(r)
		if err != nil {
			panic(fmt.Sprintf("encode: marshal a record: %v", err)) // plain data: cannot fail
		}
		if len(d.records) > 0 {
			d.size++ // the comma
		}
		d.size += len(b)
		d.records = append(d.records, r)
	}
	return d
}

// encodeJSON marshals the document for n bytes and returns the JSON. The
// document is built (or found) before it returns start, the moment the
// encoding began, so that a caller's timed segment covers the encoding
// alone.
func encodeJSON(n int) (out []byte, start time.Time, err error) {
	doc := document(n)
	start = time.Now()
	out, err = json.Marshal(doc.records)
	if err != nil {
		return nil, start, fmt.Errorf("encode %d bytes: %w", n, err)
	}
	return out, start, nil
}

// goEncode runs an Encode step on the calling goroutine (goroutines model).
func goEncode(ctx context.Context, r *recorder, i int, s Step) error {
	document(s.Bytes)
	start := r.now()
	_, _, err := encodeJSON(s.Bytes)
	r.segment(i, KindEncode, start)
	if err != nil {
		return err
	}
	return ctx.Err()
}

// threadEncode runs an Encode step on a goroutine locked to its thread,
// adding the thread's CPU time to the task's (gil model, the event loop,
// executor threads).
func threadEncode(ctx context.Context, r *recorder, i int, s Step) error {
	document(s.Bytes)
	start := r.now()
	c0 := measure.ThreadCPU()
	_, _, err := encodeJSON(s.Bytes)
	r.spans[i].CPU += measure.ThreadCPU() - c0
	r.segment(i, KindEncode, start)
	if err != nil {
		return err
	}
	return ctx.Err()
}

// workerEncode runs an Encode step in a worker process and returns the
// JSON, which the worker sends back as the task's result, or why it could
// not. It builds the document first if need be, then moves *s0, the step's
// start on CLOCK_MONOTONIC, to the moment the encoding began.
func workerEncode(s Step, s0 *int64) ([]byte, string) {
	document(s.Bytes)
	*s0 = measure.Mono()
	out, _, err := encodeJSON(s.Bytes)
	if err != nil {
		return nil, err.Error()
	}
	return out, ""
}

// sendRaw writes an Encode step's JSON after the result's lines, as it is:
// a worker's result that is already bytes crosses the pipe without being
// encoded again (as pickle copies a str), where a task's argument and other
// results go as JSON. The result line's RawLen says how long it is.
func sendRaw(w *bufio.Writer, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if _, err := w.Write(b); err != nil {
		return err
	}
	return w.Flush()
}

// readRaw reads a result sent by sendRaw: n bytes, kept as the task's
// result would be.
func readRaw(r *bufio.Reader, n int) ([]byte, error) {
	if n <= 0 {
		return nil, nil
	}
	b := make([]byte, n)
	_, err := io.ReadFull(r, b)
	return b, err
}
