package output

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"unicode"
)

var (
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// jsonFieldNames returns the names of the JSON object keys that encoding/json
// writes for a value of type t, in the same order, following the same rules
// (json tags, "-", embedded structs, dominant fields). ok is false when the
// keys cannot be known from the type alone: t is not a struct (or a pointer to
// one), or it marshals itself.
func jsonFieldNames(t reflect.Type) (names []string, ok bool) {
	if t == nil {
		return nil, false
	}
	for t.Kind() == reflect.Pointer {
		if marshalsItself(t) {
			return nil, false
		}
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || marshalsItself(t) {
		return nil, false
	}
	type field struct {
		name   string
		depth  int
		tagged bool
	}
	var all []field
	var walk func(t reflect.Type, depth int, seen map[reflect.Type]bool)
	walk = func(t reflect.Type, depth int, seen map[reflect.Type]bool) {
		if seen[t] {
			return
		}
		seen[t] = true
		defer delete(seen, t)
		for i := range t.NumField() {
			sf := t.Field(i)
			ft := sf.Type
			if sf.Anonymous {
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if !sf.IsExported() && ft.Kind() != reflect.Struct {
					continue
				}
			} else if !sf.IsExported() {
				continue
			}
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if !validTagName(name) {
				name = ""
			}
			if name == "" && sf.Anonymous && ft.Kind() == reflect.Struct {
				walk(ft, depth+1, seen)
				continue
			}
			tagged := name != ""
			if name == "" {
				name = sf.Name
			}
			all = append(all, field{name: name, depth: depth, tagged: tagged})
		}
	}
	walk(t, 0, map[reflect.Type]bool{})

	// Go's rule for duplicate names: the shallowest field wins; at equal
	// depth a single tagged field wins; otherwise the name is dropped.
	type verdict struct {
		depth, count, taggedCount int
	}
	best := map[string]*verdict{}
	for _, f := range all {
		v := best[f.name]
		switch {
		case v == nil || f.depth < v.depth:
			v = &verdict{depth: f.depth}
			best[f.name] = v
		case f.depth > v.depth:
			continue
		}
		v.count++
		if f.tagged {
			v.taggedCount++
		}
	}
	emitted := map[string]bool{}
	for _, f := range all {
		v := best[f.name]
		if emitted[f.name] || f.depth != v.depth {
			continue
		}
		if v.count > 1 && (v.taggedCount != 1 || !f.tagged) {
			continue
		}
		emitted[f.name] = true
		names = append(names, f.name)
	}
	return names, true
}

func marshalsItself(t reflect.Type) bool {
	return t.Implements(jsonMarshalerType) || t.Implements(textMarshalerType) ||
		reflect.PointerTo(t).Implements(jsonMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType)
}

// validTagName mirrors encoding/json: a tag name made of anything else is
// ignored and the Go field name is used.
func validTagName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}
