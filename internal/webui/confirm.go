package webui

import (
	"net/http"
	"slices"
)

// A destructive action (a deletion, a deactivation, a password reset, a
// signature, an unassignment…) is done only when its POSTed form carries
// confirm=1. The buttons of the pages carry it only once JavaScript has asked
// (app.js adds it after the browser's confirm() dialog says yes); without
// JavaScript, the form arrives without it, and the action answers a page that
// asks instead, whose "Yes" button sends the same form again with confirm=1.
// Either way the person is asked once, and nothing changes until they answer.
//
// An action asks only when the page it comes from offers its button (the
// viewer may do it, to that record, as things stand); anything else goes
// straight to the service, which refuses it as it always does.

// confirmField is the field of a form that says its action was confirmed.
const confirmField = "confirm"

// confirmed reports whether the POSTed form of r (already parsed) says that
// the person confirmed its action.
func confirmed(r *http.Request) bool { return r.PostForm.Get(confirmField) == "1" }

// confirmation is what the page that asks before an action says.
type confirmation struct {
	// Question is the page's heading: "Delete Kate Hastroff?".
	Question string
	// What says what will happen, in plain words, naming the record.
	What string
	// Yes is the button that does it: "Yes, delete Kate Hastroff".
	Yes string
	// Class is that button's class, as on the record's page: "danger",
	// "secondary", or "" for a primary button.
	Class string
	// Cancel is the page "Cancel" leads back to: the record's.
	Cancel string
}

// hiddenField is one value of the form to send again.
type hiddenField struct{ Name, Value string }

// confirmView is the content of the page that asks.
type confirmView struct {
	confirmation
	// Action is where the form goes: the same action.
	Action string
	// Fields are the values of the form as it came, sent again with the
	// answer (confirm=1 is added by the template).
	Fields []hiddenField
}

// askConfirmation answers the POST r, which did not say it was confirmed,
// with the page that asks c (200): the same form again, with confirm=1, and a
// way back. It changes nothing.
func (s *Server) askConfirmation(w http.ResponseWriter, r *http.Request, c confirmation) error {
	v := confirmView{confirmation: c, Action: r.URL.Path}
	names := make([]string, 0, len(r.PostForm))
	for name := range r.PostForm {
		if name != confirmField {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		for _, value := range r.PostForm[name] {
			v.Fields = append(v.Fields, hiddenField{name, value})
		}
	}
	p := s.newPage(w, r, c.Question)
	p.Data = v
	return s.render(w, r, http.StatusOK, "confirm", p)
}
