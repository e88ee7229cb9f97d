package httpapi

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// The OpenAPI document is the one definition of what a request may carry:
// which body fields are required, which may be null, how long a string may
// be. The server reads those rules from the embedded document instead of
// restating them per handler, so that the document and the server cannot
// disagree; the Go input types only say how a value is read.

// inputRules are the rules one route's requests follow.
type inputRules struct {
	// body holds the properties of the request body by JSON name; nil when
	// the route takes no body.
	body map[string]fieldRule
	// required are the body fields that must be present, in the document's
	// order (the order of the errors).
	required []string
	// query holds the query parameters by name.
	query map[string]fieldRule
}

// fieldRule is what the decoder enforces about one value beyond its Go type.
type fieldRule struct {
	nullable  bool
	maxLength int // in characters (code points, as JSON Schema counts); 0: no limit
}

// documentRules returns the rules of every route, keyed as ServeMux patterns
// ("POST /api/v1/events"). The document is embedded at build time, so a
// document that cannot be read is a programming error: NewServer calls this
// first, and fails at start-up rather than on some request.
var documentRules = sync.OnceValue(func() map[string]inputRules {
	rules, err := readRules(openAPI)
	if err != nil {
		panic("httpapi: the embedded OpenAPI document: " + err.Error())
	}
	return rules
})

// docSchema is the part of a JSON Schema the rules are made of.
type docSchema struct {
	Ref        string                `json:"$ref"`
	Type       json.RawMessage       `json:"type"` // "string" or ["string", "null"]
	Properties map[string]*docSchema `json:"properties"`
	Required   []string              `json:"required"`
	MaxLength  *int                  `json:"maxLength"`
	OneOf      []*docSchema          `json:"oneOf"`
	AnyOf      []*docSchema          `json:"anyOf"`
}

type docParameter struct {
	Ref    string     `json:"$ref"`
	Name   string     `json:"name"`
	In     string     `json:"in"`
	Schema *docSchema `json:"schema"`
}

type docOperation struct {
	Parameters  []docParameter `json:"parameters"`
	RequestBody *struct {
		Content map[string]struct {
			Schema *docSchema `json:"schema"`
		} `json:"content"`
	} `json:"requestBody"`
}

type docFile struct {
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas    map[string]*docSchema   `json:"schemas"`
		Parameters map[string]docParameter `json:"parameters"`
	} `json:"components"`
}

// readRules reads the rules of every operation of an OpenAPI document.
func readRules(b []byte) (map[string]inputRules, error) {
	var doc docFile
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	out := map[string]inputRules{}
	for path, item := range doc.Paths {
		var shared []docParameter // parameters of every operation of the path
		if raw, ok := item["parameters"]; ok {
			if err := json.Unmarshal(raw, &shared); err != nil {
				return nil, fmt.Errorf("%s: parameters: %w", path, err)
			}
		}
		for method, raw := range item {
			if method == "parameters" || strings.HasPrefix(method, "x-") ||
				method == "summary" || method == "description" || method == "servers" {
				continue
			}
			where := strings.ToUpper(method) + " " + path
			var op docOperation
			if err := json.Unmarshal(raw, &op); err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			r, err := doc.operationRules(append(slices.Clone(shared), op.Parameters...), op)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			out[where] = r
		}
	}
	return out, nil
}

func (doc *docFile) operationRules(params []docParameter, op docOperation) (inputRules, error) {
	r := inputRules{query: map[string]fieldRule{}}
	for _, p := range params {
		if p.Ref != "" {
			name, ok := strings.CutPrefix(p.Ref, "#/components/parameters/")
			ref, found := doc.Components.Parameters[name]
			if !ok || !found {
				return r, fmt.Errorf("unknown parameter %s", p.Ref)
			}
			p = ref
		}
		if p.In != "query" {
			continue
		}
		rule, err := doc.rule(p.Schema)
		if err != nil {
			return r, fmt.Errorf("parameter %s: %w", p.Name, err)
		}
		r.query[p.Name] = rule
	}
	if op.RequestBody == nil {
		return r, nil
	}
	media, ok := op.RequestBody.Content["application/json"]
	if !ok || len(op.RequestBody.Content) != 1 {
		return r, fmt.Errorf("a request body must be application/json only")
	}
	s, err := doc.resolve(media.Schema)
	if err != nil {
		return r, err
	}
	r.body = map[string]fieldRule{}
	for name, prop := range s.Properties {
		rule, err := doc.rule(prop)
		if err != nil {
			return r, fmt.Errorf("field %s: %w", name, err)
		}
		r.body[name] = rule
	}
	for _, name := range s.Required {
		if _, ok := r.body[name]; !ok {
			return r, fmt.Errorf("required field %s is not a property", name)
		}
	}
	r.required = s.Required
	return r, nil
}

// resolve follows a local $ref to a schema of the components.
func (doc *docFile) resolve(s *docSchema) (*docSchema, error) {
	for depth := 0; s != nil && s.Ref != ""; depth++ {
		name, ok := strings.CutPrefix(s.Ref, "#/components/schemas/")
		next, found := doc.Components.Schemas[name]
		if !ok || !found || depth > 10 {
			return nil, fmt.Errorf("cannot follow %s", s.Ref)
		}
		s = next
	}
	if s == nil {
		return nil, fmt.Errorf("no schema")
	}
	return s, nil
}

// rule is the fieldRule of a schema: nullable when its type or one of its
// alternatives (oneOf, anyOf) admits null; its maxLength, or that of the
// alternative that has one.
func (doc *docFile) rule(s *docSchema) (fieldRule, error) {
	s, err := doc.resolve(s)
	if err != nil {
		return fieldRule{}, err
	}
	var r fieldRule
	switch t := strings.TrimSpace(string(s.Type)); {
	case t == "":
	case strings.HasPrefix(t, "["):
		var types []string
		if err := json.Unmarshal(s.Type, &types); err != nil {
			return r, fmt.Errorf("type: %w", err)
		}
		r.nullable = slices.Contains(types, "null")
	default:
		var one string
		if err := json.Unmarshal(s.Type, &one); err != nil {
			return r, fmt.Errorf("type: %w", err)
		}
		r.nullable = one == "null"
	}
	if s.MaxLength != nil {
		r.maxLength = *s.MaxLength
	}
	for _, alt := range append(slices.Clone(s.OneOf), s.AnyOf...) {
		ar, err := doc.rule(alt)
		if err != nil {
			return r, err
		}
		r.nullable = r.nullable || ar.nullable
		if r.maxLength == 0 {
			r.maxLength = ar.maxLength
		}
	}
	return r, nil
}

// bodyBinding checks, once per route and Go type, that the type decodes
// exactly the body the document describes: the same field names, and a
// pointer wherever the document admits null (null leaves it nil: absent,
// never a zero value standing in for one). A mismatch is a programming error,
// answered as an internal error; the contract tests send every route a body.
func bodyBinding(pattern string, t reflect.Type) (inputRules, error) {
	key := bindingKey{pattern, t}
	if err, ok := bindings.Load(key); ok {
		if err != nil {
			return inputRules{}, err.(error)
		}
		return documentRules()[pattern], nil
	}
	rules, err := bind(pattern, t)
	if err != nil {
		bindings.Store(key, err)
		return inputRules{}, err
	}
	bindings.Store(key, nil)
	return rules, nil
}

type bindingKey struct {
	pattern string
	t       reflect.Type
}

var bindings sync.Map // bindingKey → error (nil when the type fits)

func bind(pattern string, t reflect.Type) (inputRules, error) {
	rules, ok := documentRules()[pattern]
	if !ok {
		return rules, fmt.Errorf("httpapi: %s is not an operation of the OpenAPI document", pattern)
	}
	fields := jsonFields(t)
	for name := range fields {
		if _, ok := rules.body[name]; !ok {
			return rules, fmt.Errorf("httpapi: %s: the Go field %s is not in the document's request body", pattern, name)
		}
	}
	for name, rule := range rules.body {
		i, ok := fields[name]
		if !ok {
			return rules, fmt.Errorf("httpapi: %s: the document's field %s has no Go field in %s", pattern, name, t)
		}
		if k := t.Field(i).Type.Kind(); rule.nullable && k != reflect.Pointer {
			return rules, fmt.Errorf("httpapi: %s: the document lets %s be null, but the Go field is a %s, not a pointer", pattern, name, k)
		}
	}
	return rules, nil
}
