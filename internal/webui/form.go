package webui

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/epicevents/epicevents/internal/crm"
)

// Form is the state of one HTML form: what the user typed (or the record's
// current values), a message per invalid field, and a message for the form
// as a whole (a wrong password, a change refused by the current state). The
// templates render its fields with the "field" template:
//
//	{{template "field" (.Form.Field "email" "Email" "type=email" "required")}}
//
// so that every input gets its <label for>, its value, and, when invalid,
// aria-invalid and aria-describedby pointing at the message beside it.
type Form struct {
	// ID prefixes the id of every field, so that two forms on one page do
	// not share ids.
	ID string
	// Values are the fields' values by name (the JSON field names).
	Values url.Values
	// Errors are the messages of the invalid fields, by name.
	Errors map[string]string
	// Message is about the whole form; shown above its fields, announced to
	// screen readers.
	Message string

	focused bool // a field was given autofocus already
}

// NewForm returns a form whose fields start with values (nil: empty).
func NewForm(id string, values url.Values) *Form {
	if values == nil {
		values = url.Values{}
	}
	return &Form{ID: id, Values: values, Errors: map[string]string{}}
}

// SetError records what err says about the form: a message beside each
// field a *crm.Error names that the form shows (fields lists them), and
// its message above the form for the rest. It returns false for an error
// that is not the user's to fix (not a *crm.Error, or an internal one),
// which the caller answers with an error page instead.
func (f *Form) SetError(err error, fields ...string) bool {
	e, ok := crm.AsError(err)
	if !ok || e.Code == crm.CodeInternal {
		return false
	}
	shown := map[string]bool{}
	for _, name := range fields {
		shown[name] = true
	}
	rest := false
	for _, fe := range e.Fields {
		if shown[fe.Field] {
			f.Errors[fe.Field] = sentence(fe.Message)
		} else {
			rest = true
		}
	}
	if len(e.Fields) == 0 || rest {
		f.Message = sentence(e.Error())
	} else {
		f.Message = "Check the fields marked below."
	}
	return true
}

// Option is one choice of a select.
type Option struct {
	Value, Label string
}

// PeopleOptions are employees as choices, picked by name, whose value is
// their id.
func PeopleOptions(people []crm.Employee) []Option {
	o := make([]Option, len(people))
	for i, p := range people {
		o[i] = Option{Value: strconv.FormatInt(p.ID, 10), Label: p.Name()}
	}
	return o
}

// Field is what the "field" template renders: one labelled input, select or
// textarea.
type Field struct {
	ID, Name, Label, Type string
	Value                 string
	// Error is the message beside the field when it is invalid; ErrorID is
	// the id aria-describedby names.
	Error, ErrorID string
	// Hint is a help text under the field, also named by aria-describedby.
	Hint, HintID string
	Required     bool
	Autofocus    bool
	Autocomplete string
	InputMode    string
	Min, Max     string
	Step         string
	MaxLength    string
	Rows         string
	// Options are the choices of a select; Empty labels a first, empty
	// choice ("Nobody yet"), for a select that may be left unset.
	Options []Option
	Empty   string
}

// DescribedBy is the value of aria-describedby: the error, then the hint.
func (f Field) DescribedBy() string {
	ids := make([]string, 0, 2)
	if f.Error != "" {
		ids = append(ids, f.ErrorID)
	}
	if f.Hint != "" {
		ids = append(ids, f.HintID)
	}
	return strings.Join(ids, " ")
}

// Checked reports whether a checkbox is ticked: read as its handler reads
// it (flagValue).
func (f Field) Checked() bool {
	on, _ := flagValue(f.Value)
	return on
}

// inputTypes are the input types a field may have; "select" and "textarea"
// render those elements.
var inputTypes = map[string]bool{
	"text": true, "email": true, "password": true, "tel": true, "search": true,
	"number": true, "date": true, "datetime-local": true, "checkbox": true,
	"select": true, "textarea": true,
}

// Field describes the field name labelled label. Options are "key=value"
// or a bare flag:
//
//	type=email|password|tel|search|number|date|datetime-local|checkbox|textarea
//	autocomplete=…  inputmode=…  min=…  max=…  step=…  maxlength=…  rows=…
//	hint=…  required  autofocus
//
// An unknown option or type is an error, which stops the render: a typo in
// a template fails its page's test instead of reaching a user. A password
// field never shows a value, even one the user typed.
func (f *Form) Field(name, label string, opts ...string) (Field, error) {
	fd := Field{
		ID:    f.ID + "-" + strings.ReplaceAll(name, "_", "-"),
		Name:  name,
		Label: label,
		Type:  "text",
		Value: f.Values.Get(name),
		Error: f.Errors[name],
	}
	fd.ErrorID, fd.HintID = fd.ID+"-error", fd.ID+"-hint"
	for _, o := range opts {
		k, v, hasValue := strings.Cut(o, "=")
		var dst *string
		switch k {
		case "type":
			dst = &fd.Type
		case "autocomplete":
			dst = &fd.Autocomplete
		case "inputmode":
			dst = &fd.InputMode
		case "min":
			dst = &fd.Min
		case "max":
			dst = &fd.Max
		case "step":
			dst = &fd.Step
		case "maxlength":
			dst = &fd.MaxLength
		case "rows":
			dst = &fd.Rows
		case "hint":
			dst = &fd.Hint
		case "required", "autofocus":
			if hasValue {
				return fd, fmt.Errorf("field %s: %s takes no value", name, k)
			}
			if k == "required" {
				fd.Required = true
			} else {
				fd.Autofocus = true
			}
			continue
		default:
			return fd, fmt.Errorf("field %s: unknown option %q", name, o)
		}
		if !hasValue || v == "" {
			return fd, fmt.Errorf("field %s: option %s needs a value", name, k)
		}
		*dst = v
	}
	if !inputTypes[fd.Type] {
		return fd, fmt.Errorf("field %s: unknown type %q", name, fd.Type)
	}
	if fd.Type == "select" {
		return fd, fmt.Errorf("field %s: a select is rendered with .Form.Select", name)
	}
	if fd.Type == "password" {
		fd.Value = ""
	}
	f.focus(&fd)
	return fd, nil
}

// Select describes a select among options (PeopleOptions for people); the
// option whose value is the field's current value is selected. The
// options of Field apply, plus empty=LABEL for a first, empty choice.
func (f *Form) Select(name, label string, options []Option, opts ...string) (Field, error) {
	var rest []string
	empty := ""
	for _, o := range opts {
		if v, ok := strings.CutPrefix(o, "empty="); ok {
			empty = v
			continue
		}
		if strings.HasPrefix(o, "type=") {
			return Field{}, fmt.Errorf("field %s: a select has no type option", name)
		}
		rest = append(rest, o)
	}
	fd, err := f.Field(name, label, rest...)
	if err != nil {
		return fd, err
	}
	fd.Type, fd.Options, fd.Empty = "select", options, empty
	return fd, nil
}

// focus gives autofocus to the first invalid field, so that a form answered
// with errors puts the keyboard where the first fix is, with or without
// JavaScript. No other field keeps autofocus then.
func (f *Form) focus(fd *Field) {
	if len(f.Errors) == 0 {
		return
	}
	fd.Autofocus = fd.Error != "" && !f.focused
	if fd.Autofocus {
		f.focused = true
	}
}

// cliHint is where a message of the service names a command of the CLI: in
// parentheses ("(`epicevents contracts sign 5`)", "(see `epicevents …`)"),
// or as the last clause ("; list them with `epicevents clients list`",
// ", or find it with `epicevents employees list`"). A page has its own links
// and buttons for those.
var cliHint = regexp.MustCompile("\\s*\\((?:see )?`epicevents [^`]*`(?: or `epicevents [^`]*`)*\\)" +
	"|(?:^|;|,? or) ?[^;,]*? with `epicevents [^`]*`")

// sentence makes a message a sentence for a page: without the commands of
// the CLI it names (cliHint), with a capital first letter and a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(cliHint.ReplaceAllString(s, ""))
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") && !strings.HasSuffix(s, "!") {
		s += "."
	}
	return s
}

// SearchBox is what the "search" template renders: a GET form whose field
// filters a list as the user types (htmx asks for the list again and swaps
// in the element Results of the answer), and that submits as usual without
// JavaScript.
type SearchBox struct {
	// ID is the id of the field; Action the list's path; Label the field's
	// label; Value the current search.
	ID, Action, Label, Value string
	// Results is the id of the element that holds the list.
	Results string
	// Keep are the list's other filters (mine=1…), kept as hidden fields.
	Keep []Param
}

// Param is one name and value of a query.
type Param struct {
	Name, Value string
}
