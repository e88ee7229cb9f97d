package webui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
)

// auditRows is how many entries a page of the audit log shows.
const auditRows = 50

// auditActions say what each action of the audit trail did, in words; an
// action not listed shows as its code.
var auditActions = map[string]string{
	"auth.login":                 "Logged in",
	"auth.login_failed":          "Failed to log in",
	"auth.logout":                "Logged out",
	"auth.password_check_failed": "Typed a wrong current password",
	"auth.refresh_reuse":         "Reused an old session token: the session was ended",
	"client.create":              "Created",
	"client.update":              "Changed",
	"client.reassign":            "Reassigned",
	"contract.create":            "Created",
	"contract.update":            "Changed",
	"contract.sign":              "Signed",
	"contract.reassign":          "Reassigned",
	"contract.payment":           "Recorded a payment",
	"contract.refund":            "Recorded a refund",
	"event.create":               "Created",
	"event.update":               "Changed",
	"event.assign":               "Assigned support",
	"event.unassign":             "Unassigned support",
	"employee.create":            "Created",
	"employee.update":            "Changed",
	"employee.deactivate":        "Deactivated",
	"employee.reactivate":        "Reactivated",
	"employee.delete":            "Deleted",
	"employee.password_change":   "Changed their own password",
	"employee.password_reset":    "Reset the password",
	"demo.load":                  "Loaded demonstration data",
}

// auditActionText is action in words.
func auditActionText(action string) string {
	if t, ok := auditActions[action]; ok {
		return t
	}
	return action
}

// fieldText is the JSON name of a field in words: "sales_contact_id" is
// "Sales contact id".
func fieldText(name string) string {
	return sentenceCase(strings.ReplaceAll(name, "_", " "))
}

func sentenceCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// auditRow is an entry of the audit log as the page shows it.
type auditRow struct {
	crm.AuditEntry
	// Who is the actor's name (their email at the time when the employee
	// is gone), or "The system"; WhoHref their page, if they still exist;
	// Address the network address they acted from.
	Who, WhoHref string
	// What is the action in words.
	What string
	// Record names what the entry is about ("Client 12"), RecordHref its
	// page, when the UI has one.
	Record, RecordHref string
	Changes            []auditChange
	Address            string
}

// auditChange is one changed field: before → after, in words.
type auditChange struct {
	Field, Before, After string
}

// auditView is the audit log.
type auditView struct {
	Rows []auditRow
	Next string
	// Filters are the choices of the filter form.
	Entities, Actors []Option
	Filtered         bool
}

// auditPage is GET /audit (entity, entity_id, actor_id, cursor): the audit
// trail, newest first, 50 a page, with who did what, when (in the company's
// zone) and each changed field's before → after. The actor is picked by
// name among every employee, deactivated ones included.
func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "Audit log")
	if err := crm.MayEver(p.Viewer.Role, crm.ActReadAudit); err != nil {
		return err
	}
	q := r.URL.Query()
	p.Form = NewForm("audit", url.Values{"entity": {q.Get("entity")}, "entity_id": {q.Get("entity_id")}, "actor_id": {q.Get("actor_id")}})
	f := crm.AuditFilter{Entity: strings.TrimSpace(q.Get("entity")), Page: crm.Page{Limit: auditRows, Cursor: q.Get("cursor")}}
	var bad crm.Validator
	f.EntityID = auditQueryID(&bad, "entity_id", q.Get("entity_id"), "must be a record's number, such as 12")
	f.ActorID = auditQueryID(&bad, "actor_id", q.Get("actor_id"), "must be one of the employees offered")
	var v auditView
	v.Filtered = f.Entity != "" || f.EntityID != nil || f.ActorID != nil

	people, err := s.everyone(r)
	if err != nil {
		return err
	}
	v.Entities = make([]Option, len(crm.AuditEntities))
	for i, e := range crm.AuditEntities {
		v.Entities[i] = Option{Value: e, Label: sentenceCase(e)}
	}
	names := map[int64]string{}
	for _, e := range people {
		label := e.Name()
		if !e.Active {
			label += " (deactivated)"
		}
		v.Actors = append(v.Actors, Option{Value: strconv.FormatInt(e.ID, 10), Label: label})
		names[e.ID] = e.Name()
	}

	status := http.StatusOK
	if err := bad.Err(); err != nil {
		p.Form.SetError(err, "entity", "entity_id", "actor_id")
		status = http.StatusUnprocessableEntity
	} else {
		pages := map[string]bool{} // whether the UI has a page for an entity
		next, err := s.svc.ListAudit(r.Context(), f, func(e crm.AuditEntry) error {
			v.Rows = append(v.Rows, s.auditRow(r, e, names, pages))
			return nil
		})
		if err != nil {
			if !isCode(err, crm.CodeInvalid) {
				return err
			}
			p.Form.SetError(err, "entity", "entity_id", "actor_id")
			status = http.StatusUnprocessableEntity
		}
		v.Next = nextPage(r.URL, next)
	}
	p.Data = v
	return s.render(w, r, status, "audit", p)
}

// auditQueryID reads the optional id of the query named name, nil when
// empty; anything but a positive whole number is recorded in bad.
func auditQueryID(bad *crm.Validator, name, value, message string) *int64 {
	value = strings.TrimSpace(value)
	if value == "" {
		return nil
	}
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil || n <= 0 {
		bad.Add(name, message)
		return nil
	}
	return &n
}

// everyone is every employee, deactivated ones included, by name: the
// actors the audit log may be filtered by.
func (s *Server) everyone(r *http.Request) ([]crm.Employee, error) {
	var people []crm.Employee
	f := crm.EmployeeFilter{All: true}
	for {
		next, err := s.svc.ListEmployees(r.Context(), f, func(e crm.Employee) error {
			people = append(people, e)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if next == "" {
			return people, nil
		}
		f.Cursor = next
	}
}

// auditRow is e as the page shows it. names are the employees by id; pages
// remembers which entities the UI shows at /<plural>/{id}.
func (s *Server) auditRow(r *http.Request, e crm.AuditEntry, names map[int64]string, pages map[string]bool) auditRow {
	row := auditRow{AuditEntry: e, Who: "The system", What: auditActionText(e.Action)}
	switch {
	case e.ActorID != nil && names[*e.ActorID] != "":
		row.Who = names[*e.ActorID]
		row.WhoHref = "/employees/" + strconv.FormatInt(*e.ActorID, 10)
	case e.ActorEmail != nil:
		row.Who = *e.ActorEmail
	}
	row.Record = sentenceCase(e.Entity)
	if e.EntityID != nil {
		id := strconv.FormatInt(*e.EntityID, 10)
		row.Record += "\u00a0" + id // one word: "Employee 8" never breaks
		if e.Action != e.Entity+".delete" {
			if href := s.recordPage(r, e.Entity, id, pages); href != "" {
				row.RecordHref = href
			}
		}
	}
	if e.ClientAddr != nil {
		row.Address = *e.ClientAddr
	}
	fields := make([]string, 0, len(e.Changes))
	for k := range e.Changes {
		if k != "id" { // the record's number, which the page shows beside the action
			fields = append(fields, k)
		}
	}
	slices.Sort(fields)
	for _, k := range fields {
		c := e.Changes[k]
		row.Changes = append(row.Changes, auditChange{Field: fieldText(k), Before: s.auditValue(c[0]), After: s.auditValue(c[1])})
	}
	return row
}

// recordPage is the path of the UI's page of the record id of entity, or ""
// when the UI has no page for that kind of record.
func (s *Server) recordPage(r *http.Request, entity, id string, pages map[string]bool) string {
	var plural string
	for _, e := range crm.Entities {
		if e.Name == entity {
			plural = e.Plural
		}
	}
	if plural == "" {
		return ""
	}
	path := "/" + plural + "/" + id
	has, ok := pages[entity]
	if !ok {
		probe := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: path}, Host: r.Host}
		_, pattern := s.mux.Handler(probe)
		has = pattern == "GET /"+plural+"/{id}"
		pages[entity] = has
	}
	if !has {
		return ""
	}
	return path
}

// auditValue is a value of a changed field in words: a time in the
// company's zone, yes or no, "none" for an absent value.
func (s *Server) auditValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "none"
	case bool:
		if v {
			return "yes"
		}
		return "no"
	case string:
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return s.clock.dateTime(t)
		}
		if v == "" {
			return "empty"
		}
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return v.String()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
