package httpapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// setNonZero gives v a value other than its zero value (a pointer points to
// one), for the kinds that request bodies hold.
func setNonZero(t *testing.T, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		setNonZero(t, p.Elem())
		v.Set(p)
	case reflect.String:
		v.SetString("x")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Bool:
		v.SetBool(true)
	default:
		if v.Type() != reflect.TypeFor[time.Time]() {
			t.Fatalf("no non-zero value for a %s", v.Type())
		}
		v.Set(reflect.ValueOf(time.Unix(1, 0).UTC()))
	}
}

// jsonKeyOf returns the key under which encoding/json writes the field i
// of a value of t, or "" when it writes none: the key whose value changes
// when that field alone is set.
func jsonKeyOf(t *testing.T, typ reflect.Type, i int) string {
	t.Helper()
	object := func(v reflect.Value) map[string]json.RawMessage {
		b, err := json.Marshal(v.Interface())
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	zero := object(reflect.New(typ).Elem())
	v := reflect.New(typ).Elem()
	setNonZero(t, v.Field(i))
	key := ""
	for k, raw := range object(v) {
		if old, ok := zero[k]; !ok || !bytes.Equal(old, raw) {
			if key != "" {
				t.Fatalf("%s: field %d changed both %q and %q", typ, i, key, k)
			}
			key = k
		}
	}
	return key
}

// TestJSONFieldsMatchEncodingJSON: the decoder binds each member of a body
// to the field that encoding/json writes under that key, for every request
// body of the API and for the tag rules a future one might use; and no
// other key.
func TestJSONFieldsMatchEncodingJSON(t *testing.T) {
	type tags struct {
		Plain    string
		Tagged   string  `json:"tagged"`
		Options  *string `json:"opt,omitempty"`
		Optional int64   `json:",omitempty"`
		//lint:ignore SA5008 the tag "-," names a field "-": one of the rules under test
		Dash    bool   `json:"-,"`
		Skipped string `json:"-"`
		//lint:ignore U1000 an unexported field, which neither side binds
		private string
	}
	types := []reflect.Type{reflect.TypeFor[tags]()}
	for _, bt := range bodyTypes {
		types = append(types, reflect.TypeOf(bt.mk()).Elem())
	}
	for _, typ := range types {
		fields := jsonFields(typ)
		bound := 0
		for i := range typ.NumField() {
			if !typ.Field(i).IsExported() {
				continue
			}
			key := jsonKeyOf(t, typ, i)
			if key == "" {
				continue
			}
			bound++
			if j, ok := fields[key]; !ok || j != i {
				t.Errorf("%s: encoding/json writes field %s as %q; the decoder binds %q to field %d (bound: %v)",
					typ, typ.Field(i).Name, key, key, j, ok)
			}
		}
		if len(fields) != bound {
			t.Errorf("%s: the decoder binds %v, encoding/json writes %d fields", typ, fields, bound)
		}
	}

	// An embedded struct, which encoding/json flattens, is not bound under
	// its type's name, and the document's check refuses the type.
	type inner struct {
		Password string `json:"password"`
	}
	type embeds struct{ inner }
	type embedsExported struct{ *SetPasswordRequest }
	for _, typ := range []reflect.Type{reflect.TypeFor[embeds](), reflect.TypeFor[embedsExported]()} {
		if fields := jsonFields(typ); len(fields) != 0 {
			t.Errorf("%s: binds %v", typ, fields)
		}
		if _, err := bodyBinding("POST /api/v1/employees/{id}/set-password", typ); err == nil {
			t.Errorf("%s: the document's check accepted it", typ)
		}
	}
}
