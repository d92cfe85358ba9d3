package maps_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/sim/maps"
)

func TestJSONRoundTrip(t *testing.T) {
	c := maps.Contents{
		"flows": {{Key: []byte{0xde, 0xad}, Value: []byte{0xbe, 0xef, 0}}, {Key: []byte{1, 2}, Value: []byte{}}},
		"empty": {},
		"ev\"q": {{Key: []byte{}, Value: []byte("x")}},
	}
	var b bytes.Buffer
	if err := maps.DumpJSON(&b, c); err != nil {
		t.Fatal(err)
	}
	want := `{"empty":[],"ev\"q":[{"key":"","value":"78"}],"flows":[{"key":"dead","value":"beef00"},{"key":"0102","value":""}]}` + "\n"
	if b.String() != want {
		t.Fatalf("dump\n%s\nwant\n%s", b.String(), want)
	}
	got, err := maps.LoadJSON(&b)
	if err != nil {
		t.Fatal(err)
	}
	var b2 bytes.Buffer
	if err := maps.DumpJSON(&b2, got); err != nil {
		t.Fatal(err)
	}
	if b2.String() != want {
		t.Fatalf("round trip\n%s", b2.String())
	}
	// A map[string][]isa.MapKV is a Contents.
	var plain map[string][]isa.MapKV = got
	if len(plain["flows"]) != 2 {
		t.Fatal(plain)
	}
}

func TestLoadJSON(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     string // error substring; "" for success
		entries  int    // entries of map "m" on success
	}{
		{"ok", `{"m":[{"key":"00","value":"ABcd"}]}`, "", 1},
		{"white space", " \n{ \"m\" : [ ] }\n\n", "", 0},
		{"run output line", `{"maps":{"m":[{"key":"01","value":"02"},{"key":"03","value":"04"}]}}`, "", 2},
		{"map named maps", `{"maps":[{"key":"01","value":"02"}],"m":[]}`, "", 0},
		{"bad hex", `{"m":[{"key":"00","value":"12"},{"key":"0g","value":"00"}]}`, `map "m": entry 1: key: hex "0g": invalid character 'g' at offset 1`, 0},
		{"odd hex", `{"m":[{"key":"abc","value":"00"}]}`, `map "m": entry 0: key: hex "abc": odd number of digits (3)`, 0},
		{"0x", `{"m":[{"key":"00","value":"0x12"}]}`, `map "m": entry 0: value: hex "0x12": want plain hex digits without 0x`, 0},
		{"missing key", `{"m":[{"value":"00"}]}`, `map "m": entry 0: missing "key"`, 0},
		{"missing value", `{"m":[{"key":"00"}]}`, `map "m": entry 0: missing "value"`, 0},
		{"unknown field", `{"m":[{"key":"00","value":"00","val":"1"}]}`, `map "m": entry 0: want {"key":"hex","value":"hex"}: json: unknown field "val"`, 0},
		{"number", `{"m":[{"key":1,"value":"00"}]}`, `map "m": entry 0`, 0},
		{"not an array", `{"m":{"key":"00"}}`, `map "m": want an array`, 0},
		{"null entries", `{"m":null}`, `map "m": want an array`, 0},
		{"not an object", `[1,2]`, `want an object`, 0},
		{"empty", ``, `maps JSON: EOF`, 0},
		{"syntax", "{\"m\":[\n{\"key\":\"00\",,}]}", `line 2, column 13`, 0},
		{"trailing", `{"m":[]} {}`, `data after the object`, 0},
		{"truncated", `{"m":[{"key":"00"`, `unexpected EOF`, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := maps.LoadJSON(strings.NewReader(tc.in))
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("got %v, want an error containing %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(c["m"]) != tc.entries {
				t.Fatalf("map m has %d entries, want %d: %v", len(c["m"]), tc.entries, c)
			}
		})
	}
}

func TestWithContents(t *testing.T) {
	specs := []*isa.MapSpec{
		{Name: "cfg", Type: ebpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: 2, Contents: []isa.MapKV{{Key: u32(0), Value: u32(1)}}},
		{Name: "flows", Type: ebpf.Hash, KeySize: 8, ValueSize: 4, MaxEntries: 8},
	}
	c, err := maps.LoadJSON(strings.NewReader(`{"cfg":[{"key":"00000000","value":"07000000"}],"flows":[{"key":"0100000000000000","value":"02000000"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := maps.WithContents(specs, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(specs[0].Contents) != 1 {
		t.Fatal("WithContents modified its input")
	}
	var ms []maps.Map
	for _, s := range out {
		ms = append(ms, mustNew(t, s))
	}
	snap := maps.Snapshot(ms)
	if v := snap["cfg"][0].Value; le(v) != 7 {
		t.Fatalf("cfg[0] = %x, want the JSON's value 7", v)
	}
	if len(snap["flows"]) != 1 || le(snap["flows"][0].Value) != 2 {
		t.Fatalf("flows %v", snap["flows"])
	}

	c["nope"] = nil
	if _, err := maps.WithContents(specs, c); err == nil || !strings.Contains(err.Error(), `map "nope": no such map`) {
		t.Fatalf("unknown map: %v", err)
	}
	delete(c, "nope")
	c["flows"] = append(c["flows"], isa.MapKV{Key: u32(1), Value: u32(1)})
	_, err = maps.WithContents(specs, c)
	if err == nil || !strings.Contains(err.Error(), "map flows: entry 1: key is 4 bytes, want 8") || !errors.Is(err, maps.ErrInvalid) {
		t.Fatalf("wrong key size: %v", err)
	}
	// Load checks the same way on a live map.
	if err := maps.Load(ms[1], c["flows"]); err == nil || !strings.Contains(err.Error(), "entry 1: key is 4 bytes") {
		t.Fatalf("Load: %v", err)
	}
}

// FuzzLoadJSON checks that LoadJSON never panics and that whatever it accepts
// dumps to a canonical form that loads back to the same thing.
func FuzzLoadJSON(f *testing.F) {
	for _, s := range []string{
		`{"m":[{"key":"00","value":"ABcd"}]}`,
		`{"maps":{"m":[{"key":"01","value":"02"}]}}`,
		`{"a":[],"b":[{"key":"","value":""}]}`,
		`{"m":[{"key":"0g","value":"00"}]}`,
		`[1]`,
		`{"m":{}}`,
		`{"m":[{"key":"00","value":"00","x":1}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := maps.LoadJSON(bytes.NewReader(data))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		var b1 bytes.Buffer
		if err := maps.DumpJSON(&b1, c); err != nil {
			t.Fatal(err)
		}
		c2, err := maps.LoadJSON(bytes.NewReader(b1.Bytes()))
		if err != nil {
			t.Fatalf("dump %q does not load: %v", b1.String(), err)
		}
		var b2 bytes.Buffer
		if err := maps.DumpJSON(&b2, c2); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b1.Bytes(), b2.Bytes()) {
			t.Fatalf("not stable:\n%s\n%s", b1.String(), b2.String())
		}
	})
}
