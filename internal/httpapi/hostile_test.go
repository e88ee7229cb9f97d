package httpapi

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/epicevents/epicevents/internal/crm"
)

// What a server says ends up on the user's terminal: the client keeps one
// line of plain text of each message, whatever the server sent.
func TestClientProblemsAreInert(t *testing.T) {
	const evil = "\x1b]0;owned\x07\u009b2J\b\r\nPassword: \u202e"
	const shown = "�]0;owned��2J�  Password: �"
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case Prefix + "/clients/1":
			problem(w, 422, Problem{Status: 422, Code: crm.CodeInvalid, Detail: "bad" + evil, Reason: "r" + evil,
				Errors: []crm.FieldError{{Field: "email" + evil, Message: "taken" + evil}}})
		default:
			problem(w, 500, Problem{Status: 500, Code: crm.CodeInternal, Detail: "boom" + evil, RequestID: "ref" + evil})
		}
	})
	_, err := c.GetClient(context.Background(), 1)
	e, ok := crm.AsError(err)
	want := &crm.Error{Code: crm.CodeInvalid, Message: "bad" + shown, Reason: "r" + shown,
		Fields: []crm.FieldError{{Field: "email" + shown, Message: "taken" + shown}}}
	if !ok || !reflect.DeepEqual(e, want) {
		t.Errorf("got %#v, want %#v", e, want)
	}
	_, err = c.GetClient(context.Background(), 2)
	var se *ServerError
	if !errors.As(err, &se) || se.RequestID != "ref"+shown || se.Detail != "boom"+shown {
		t.Errorf("server error: %#v", err)
	}
}

// A next cursor is printed in the line that says how to see more rows: one
// that is not plain text is an answer the API never gives.
func TestClientRefusesCursorWithControls(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"items":[{"id":1}],"next":"abc\u001b[2J"}`))
	})
	_, err := c.ListClients(context.Background(), crm.ClientFilter{Page: crm.Page{Limit: 1}}, func(crm.Client) error { return nil })
	if err == nil || crm.ErrorCode(err) != crm.CodeInternal || !strings.Contains(err.Error(), "cursor") {
		t.Errorf("got %v, want an unexpected answer", err)
	}
}
