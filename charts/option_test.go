package charts

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// item is a data item as ECharts reads it: its name, and its value without
// an appended name.
type item struct {
	name  string
	value string
}

// itemsAsECharts reads each series' items the way ECharts names them: an
// item's own name; else, for an array value, the dimension encode.itemName
// points at; else the category of the one category axis at the item's
// value in that axis' dimension (at the item's index, for a bare number).
func itemsAsECharts(t *testing.T, c *Chart) [][]item {
	t.Helper()
	var opt map[string]any
	dec := json.NewDecoder(strings.NewReader(unsplice.Replace(c.Option())))
	dec.UseNumber()
	if err := dec.Decode(&opt); err != nil {
		t.Fatalf("%q: %v", c.Title(), err)
	}
	var out [][]item
	for _, x := range opt["series"].([]any) {
		s := x.(map[string]any)
		cats, dim, hasCat := categoryDim(opt, s)
		nameAt := -1
		if enc, ok := s["encode"].(map[string]any); ok {
			if n, ok := intOf(enc["itemName"]); ok {
				nameAt = n
			}
		}
		var items []item
		data, _ := s["data"].([]any)
		for i, d := range data {
			var it item
			v := d
			if m, ok := d.(map[string]any); ok {
				it.name, _ = m["name"].(string)
				v = m["value"]
			}
			list, isList := v.([]any)
			switch {
			case it.name != "":
			case isList && nameAt >= 0:
				it.name = list[nameAt].(string)
			case isList && hasCat:
				at, _ := intOf(list[dim])
				it.name = cats[at].(string)
			case !isList && hasCat:
				it.name, _ = cats[i].(string)
			}
			if isList && nameAt >= 0 {
				list = list[:nameAt]
			}
			if isList {
				v = list
			}
			it.value = fmt.Sprint(v)
			items = append(items, it)
		}
		out = append(out, items)
	}
	return out
}

// TestCompactData draws every chart with and without compactData and
// checks that ECharts would read the same names and values from both, in
// fewer bytes.
func TestCompactData(t *testing.T) {
	compact := everyChart(t)
	compactOptions = false
	plain := everyChart(t)
	compactOptions = true
	var before, after int
	for i, c := range compact {
		p := plain[i]
		before += len(p.Option())
		after += len(c.Option())
		if len(c.Option()) > len(p.Option()) {
			t.Errorf("%q: compact option is %d bytes, plain %d", c.Title(), len(c.Option()), len(p.Option()))
		}
		got, want := itemsAsECharts(t, c), itemsAsECharts(t, p)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%q: ECharts would read\n%v\nfrom the compact option, and\n%v\nfrom the plain one", c.Title(), got, want)
		}
	}
	t.Logf("every chart's options: %d bytes plain, %d compact", before, after)
	if after >= before {
		t.Errorf("compact options %d bytes, plain %d", after, before)
	}
}

// TestCompactSeries checks each rule on series made by hand.
func TestCompactSeries(t *testing.T) {
	for name, c := range map[string]struct{ in, want string }{
		"names from the y categories": {
			`{"yAxis":[{"type":"category","data":["a","b"]}],"xAxis":[{"type":"value"}],"series":[{"type":"custom","encode":{"x":[1,2],"y":0},"data":[{"name":"b","value":[1,2,3]},{"name":"a","value":[0,4,5]}]}]}`,
			`"data":[[1,2,3],[0,4,5]],"encode":{"x":[1,2],"y":0}`},
		"a name that is not the category": {
			`{"yAxis":[{"type":"category","data":["a","b"]}],"xAxis":[{"type":"value"}],"series":[{"type":"custom","encode":{"y":0},"data":[{"name":"c","value":[1,2]}]}]}`,
			`"data":[[1,2,"c"]],"encode":{"itemName":2,"y":0}`},
		"xy line with names": {
			`{"xAxis":[{"type":"value"}],"yAxis":[{"type":"log"}],"series":[{"type":"line","data":[{"name":"p","value":[1,2]},{"name":"q","value":[2,3]},{"name":"r","value":[3,4]},{"value":[3,null]}]}]}`,
			`"data":[[1,2,"p"],[2,3,"q"],[3,4,"r"],[3,null,""]],"encode":{"itemName":2,"x":0,"y":1}`},
		"too few points to pay": {
			`{"xAxis":[{"type":"value"}],"yAxis":[{"type":"value"}],"series":[{"type":"line","data":[{"name":"p","value":[1,2]}]}]}`,
			`"data":[{"name":"p","value":[1,2]}]`},
		"values alone": {
			`{"xAxis":[{"type":"category","data":["a"]}],"yAxis":[{"type":"value"}],"series":[{"type":"bar","data":[{"value":1.5}]}]}`,
			`"data":[1.5]`},
		"bar names kept": {
			`{"xAxis":[{"type":"category","data":["a"]}],"yAxis":[{"type":"value"}],"series":[{"type":"bar","data":[{"name":"tip","value":1.5}]}]}`,
			`"data":[{"name":"tip","value":1.5}]`},
		"heatmap names kept": {
			`{"xAxis":[{"type":"category","data":["a"]}],"yAxis":[{"type":"category","data":["b"]}],"series":[{"type":"heatmap","data":[{"name":"a","value":[0,0,1]}]}]}`,
			`"data":[{"name":"a","value":[0,0,1]}]`},
		"other keys kept": {
			`{"xAxis":[{"type":"value"}],"yAxis":[{"type":"value"}],"series":[{"type":"line","data":[{"value":[1,2],"symbol":"none"}]}]}`,
			`"data":[{"symbol":"none","value":[1,2]}]`},
		"declared dimensions": {
			`{"xAxis":[{"type":"value"}],"yAxis":[{"type":"value"}],"series":[{"type":"custom","dimensions":["a","b"],"encode":{"x":0},"data":[{"name":"n","value":[1,2]}]}]}`,
			`"data":[{"name":"n","value":[1,2]}]`},
	} {
		dec := json.NewDecoder(strings.NewReader(c.in))
		dec.UseNumber()
		var opt map[string]any
		if err := dec.Decode(&opt); err != nil {
			t.Fatal(err)
		}
		compactData(opt)
		b, err := json.Marshal(opt["series"])
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), c.want) {
			t.Errorf("%s: %s, want it to hold %s", name, b, c.want)
		}
	}
}
