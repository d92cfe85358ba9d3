package maps

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/hbpf/hbpf/hbpf/isa"
)

// Contents holds map entries by map name: the format of the CLI's --maps-in
// and --maps options,
//
//	{"NAME":[{"key":"hex","value":"hex"}, ...], ...}
//
// with keys and values as lowercase hex strings without 0x (empty for the
// keys of ring buffers, queues and stacks). It marshals to exactly that.
type Contents map[string][]isa.MapKV

type jsonKV struct {
	Key   *string `json:"key"`
	Value *string `json:"value"`
}

// MarshalJSON encodes c with map names sorted and entries in their order.
func (c Contents) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	names := make([]string, 0, len(c))
	for name := range c {
		names = append(names, name)
	}
	slices.Sort(names)
	for i, name := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		n, err := json.Marshal(name)
		if err != nil {
			return nil, err
		}
		b.Write(n)
		b.WriteString(":[")
		for j, kv := range c[name] {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"key":"`)
			b.WriteString(hex.EncodeToString(kv.Key))
			b.WriteString(`","value":"`)
			b.WriteString(hex.EncodeToString(kv.Value))
			b.WriteString(`"}`)
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON decodes the --maps-in format. It also accepts the final line
// of `hbpfc run --json --maps`, {"maps":{...}}: an object whose only member
// "maps" is itself an object (a map's entries are always an array).
func (c *Contents) UnmarshalJSON(data []byte) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return describeJSONError(err, data)
	}
	if inner, ok := top["maps"]; ok && len(top) == 1 {
		if t := bytes.TrimLeft(inner, " \t\r\n"); len(t) > 0 && t[0] == '{' {
			top = nil
			if err := json.Unmarshal(inner, &top); err != nil {
				return fmt.Errorf("maps: %w", describeJSONError(err, inner))
			}
		}
	}
	out := make(Contents, len(top))
	for name, raw := range top {
		kvs, err := decodeEntries(raw)
		if err != nil {
			return fmt.Errorf("map %q: %w", name, err)
		}
		out[name] = kvs
	}
	*c = out
	return nil
}

func decodeEntries(raw json.RawMessage) ([]isa.MapKV, error) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '[' {
		return nil, errors.New(`want an array of {"key":"hex","value":"hex"}`)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, describeJSONError(err, raw)
	}
	kvs := make([]isa.MapKV, len(items))
	for i, item := range items {
		var e jsonKV
		d := json.NewDecoder(bytes.NewReader(item))
		d.DisallowUnknownFields()
		if err := d.Decode(&e); err != nil {
			return nil, fmt.Errorf("entry %d: want {\"key\":\"hex\",\"value\":\"hex\"}: %w", i, err)
		}
		if e.Key == nil {
			return nil, fmt.Errorf("entry %d: missing \"key\"", i)
		}
		if e.Value == nil {
			return nil, fmt.Errorf("entry %d: missing \"value\"", i)
		}
		k, err := decodeHex(*e.Key)
		if err != nil {
			return nil, fmt.Errorf("entry %d: key: %w", i, err)
		}
		v, err := decodeHex(*e.Value)
		if err != nil {
			return nil, fmt.Errorf("entry %d: value: %w", i, err)
		}
		kvs[i] = isa.MapKV{Key: k, Value: v}
	}
	return kvs, nil
}

// decodeHex decodes a hex string (either case) and explains what is wrong
// with a bad one.
func decodeHex(s string) ([]byte, error) {
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		return nil, fmt.Errorf("hex %q: want plain hex digits without 0x", abbrev(s))
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		var inv hex.InvalidByteError
		switch {
		case errors.As(err, &inv):
			i := strings.IndexByte(s, byte(inv))
			return nil, fmt.Errorf("hex %q: invalid character %q at offset %d", abbrev(s), rune(inv), i)
		case errors.Is(err, hex.ErrLength):
			return nil, fmt.Errorf("hex %q: odd number of digits (%d)", abbrev(s), len(s))
		}
		return nil, fmt.Errorf("hex %q: %w", abbrev(s), err)
	}
	return b, nil
}

func abbrev(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

// describeJSONError adds the line and column of a JSON syntax or type error.
func describeJSONError(err error, data []byte) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off <= 0 || off > int64(len(data)) {
		return err
	}
	// Offset counts the bytes read up to and including the offending one.
	pos := off - 1
	line := 1 + bytes.Count(data[:pos], []byte("\n"))
	col := pos - int64(bytes.LastIndexByte(data[:pos], '\n'))
	return fmt.Errorf("line %d, column %d: %w", line, col, err)
}

// LoadJSON reads Contents in the --maps-in format from r. Errors name the
// map, the entry's index and what is wrong (JSON syntax with its position,
// bad hex with the offending character). Sizes are checked against the maps'
// specs by [CheckContents], [Load] or [WithContents].
func LoadJSON(r io.Reader) (Contents, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("maps JSON: %w", err)
	}
	// One JSON value, nothing after it but white space.
	d := json.NewDecoder(bytes.NewReader(data))
	var raw json.RawMessage
	if err := d.Decode(&raw); err != nil {
		return nil, fmt.Errorf("maps JSON: %w", describeJSONError(err, data))
	}
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return nil, errors.New(`maps JSON: want an object {"NAME":[{"key":"hex","value":"hex"},...]}`)
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("maps JSON: data after the object at byte %d", d.InputOffset())
	}
	var c Contents
	if err := c.UnmarshalJSON(raw); err != nil {
		return nil, fmt.Errorf("maps JSON: %w", err)
	}
	return c, nil
}

// DumpJSON writes c to w as one line of JSON followed by a newline.
func DumpJSON(w io.Writer, c Contents) error {
	b, err := c.MarshalJSON()
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Snapshot returns the entries of every map, by name.
func Snapshot(ms []Map) Contents {
	c := make(Contents, len(ms))
	for _, m := range ms {
		c[m.Spec().Name] = m.Entries()
	}
	return c
}

// WithContents returns copies of specs whose Contents are followed by the
// entries c has for them, so that c's entries override the object's initial
// values. It fails for a name in c that matches no spec and for entries
// whose sizes do not fit, naming the map and the entry.
func WithContents(specs []*isa.MapSpec, c Contents) ([]*isa.MapSpec, error) {
	byName := make(map[string]int, len(specs))
	for i, s := range specs {
		byName[s.Name] = i
	}
	names := make([]string, 0, len(c))
	for name := range c {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if _, ok := byName[name]; !ok {
			return nil, fmt.Errorf("map %q: no such map in the program", name)
		}
	}
	out := make([]*isa.MapSpec, len(specs))
	for i, s := range specs {
		cp := *s
		if kvs, ok := c[s.Name]; ok {
			if err := CheckContents(s, kvs); err != nil {
				return nil, err
			}
			cp.Contents = append(slices.Clip(s.Contents), kvs...)
		}
		out[i] = &cp
	}
	return out, nil
}
