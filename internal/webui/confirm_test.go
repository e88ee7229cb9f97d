package webui

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"

	"github.com/epicevents/epicevents/internal/crm"
)

// confirmYes is the form of a destructive action whose question was answered
// yes (by app.js, or on the page that asks).
var confirmYes = url.Values{"confirm": {"1"}}

// hiddenRE finds the hidden fields of a page's forms.
var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)

// answerYes is the form the page that asks sends when its "Yes" button is
// pressed: its hidden fields, as a browser sends them.
func answerYes(t *testing.T, body string) url.Values {
	t.Helper()
	form := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(body, -1) {
		form.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	if form.Get("confirm") != "1" {
		t.Fatalf("the page that asks sends no confirm=1:\n%s", body)
	}
	return form
}

// TestConfirmWithoutJavaScript: every destructive action, posted without
// confirm=1 (a browser without JavaScript), changes nothing and answers 200
// with the page that asks, naming the record, whose "Yes" button sends the
// same form again with confirm=1 (refused from another site), and whose
// "Cancel" leads back to the record; answered yes, the action is done.
func TestConfirmWithoutJavaScript(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		short, err := w.svc.CreateEmployee(w.as("ada"), crm.NewEmployee{FirstName: "Short", LastName: "Stay",
			Email: "short@epic.example", Role: crm.RoleSupport, Password: testPassword})
		if err != nil {
			t.Fatal(err)
		}
		kate, alienor := w.person("kate"), w.person("alienor")
		unsigned, launch := w.contract("kevinUnsigned"), w.event("launch")
		kateLogsIn := func() bool {
			_, err := w.svc.LoginWeb(context.Background(), kate.Email, testPassword)
			return err == nil
		}
		for _, tc := range []struct {
			name, as, path string
			form           url.Values
			// want are on the page that asks.
			want []string
			// done reports whether the action was done.
			done func() bool
			// status is the answer once confirmed; to, a redirect's target.
			status int
			to     string
		}{
			{name: "delete", as: "ada", path: fmt.Sprintf("/employees/%d/delete", short.ID),
				want: []string{"<h1>Delete Short Stay?</h1>", "The account of Short Stay (short@epic.example) is removed for good: this cannot be undone.",
					`<button type="submit" class="danger" id="confirm-yes">Yes, delete Short Stay</button>`,
					fmt.Sprintf(`<a href="/employees/%d" id="confirm-cancel">Cancel</a>`, short.ID)},
				done: func() bool {
					_, err := w.employeeNow(t, short.ID)
					return crm.ErrorCode(err) == crm.CodeNotFound
				},
				status: http.StatusSeeOther, to: "/employees"},
			{name: "deactivate", as: "ada", path: w.employeePath("alienor", "/deactivate"),
				form: url.Values{"reassign_to": {strconv.FormatInt(kate.ID, 10)}},
				want: []string{"<h1>Deactivate Aliénor Vichum?</h1>",
					"Aliénor Vichum will no longer be able to log in, and their sessions end at once. Their upcoming events go to Kate Hastroff.",
					fmt.Sprintf(`<input type="hidden" name="reassign_to" value="%d">`, kate.ID),
					`<button type="submit" class="danger" id="confirm-yes">Yes, deactivate Aliénor Vichum</button>`,
					fmt.Sprintf(`<a href="/employees/%d" id="confirm-cancel">Cancel</a>`, alienor.ID)},
				done: func() bool {
					e, err := w.employeeNow(t, alienor.ID)
					if err != nil {
						t.Fatal(err)
					}
					dinner, err := w.svc.GetEvent(w.as("ada"), w.event("dinner").ID)
					if err != nil {
						t.Fatal(err)
					}
					handed := dinner.SupportContactID != nil && *dinner.SupportContactID == kate.ID
					if e.Active == handed {
						t.Fatalf("half done: active %v, her dinner handed to Kate %v", e.Active, handed)
					}
					return handed
				},
				status: http.StatusSeeOther, to: w.employeePath("alienor")},
			{name: "reset a password", as: "ada", path: w.employeePath("kate", "/set-password"),
				want: []string{"<h1>Reset the password of Kate Hastroff?</h1>",
					"Kate Hastroff gets a temporary password, shown to you once on the next page, and their sessions end at once",
					`<button type="submit" class="secondary" id="confirm-yes">Yes, reset the password of Kate Hastroff</button>`,
					fmt.Sprintf(`<a href="/employees/%d" id="confirm-cancel">Cancel</a>`, kate.ID)},
				done:   func() bool { return !kateLogsIn() },
				status: http.StatusOK},
			{name: "sign", as: "bill", path: fmt.Sprintf("/contracts/%d/sign", unsigned.ID),
				want: []string{fmt.Sprintf("<h1>Sign contract %d?</h1>", unsigned.ID),
					fmt.Sprintf("Contract %d of Kevin Casey (%s €, %s € due) is signed for good: a signed contract cannot be unsigned.",
						unsigned.ID, unsigned.TotalAmount, unsigned.AmountDue),
					fmt.Sprintf(`<button type="submit" id="confirm-yes">Yes, sign contract %d</button>`, unsigned.ID),
					fmt.Sprintf(`<a href="/contracts/%d" id="confirm-cancel">Cancel</a>`, unsigned.ID)},
				done: func() bool {
					k, err := w.svc.GetContract(w.as("ada"), unsigned.ID)
					if err != nil {
						t.Fatal(err)
					}
					return k.Signed
				},
				status: http.StatusSeeOther, to: fmt.Sprintf("/contracts/%d", unsigned.ID)},
			{name: "unassign", as: "ada", path: fmt.Sprintf("/events/%d/unassign", launch.ID),
				form: url.Values{"next": {"/"}},
				want: []string{"<h1>Leave " + launch.Name + " without a support contact?</h1>",
					"Kate Hastroff will no longer be the support contact of " + launch.Name,
					`<input type="hidden" name="next" value="/">`,
					`<button type="submit" class="secondary" id="confirm-yes">Yes, unassign Kate Hastroff</button>`,
					fmt.Sprintf(`<a href="/events/%d" id="confirm-cancel">Cancel</a>`, launch.ID)},
				done: func() bool {
					e, err := w.svc.GetEvent(w.as("ada"), launch.ID)
					if err != nil {
						t.Fatal(err)
					}
					return e.SupportContactID == nil
				},
				status: http.StatusSeeOther, to: "/"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c := w.loginAsPerson(tc.as)
				form := url.Values{}
				for k, v := range tc.form {
					form[k] = v
				}
				r := c.post(tc.path, form)
				wantStatus(t, r, http.StatusOK)
				wantIn(t, r.Body, tc.want...)
				wantIn(t, r.Body, fmt.Sprintf(`<form method="post" action="%s">`, tc.path), `<input type="hidden" name="confirm" value="1">`)
				wantNotIn(t, r.Body, "data-confirm") // asked once, not twice
				if tc.done() {
					t.Fatal("done without being confirmed")
				}
				// Anything but confirm=1 asks again.
				for _, v := range []string{"", "0", "yes", "true"} {
					form.Set("confirm", v)
					wantStatus(t, c.post(tc.path, form), http.StatusOK)
				}
				if tc.done() {
					t.Fatal("done without confirm=1")
				}
				yes := answerYes(t, r.Body)
				for k, v := range tc.form {
					if got := yes[k]; len(got) != len(v) || got[0] != v[0] {
						t.Errorf("the answer sends %s=%q, the form had %q", k, got, v)
					}
				}
				// Still a POST that another site cannot send.
				wantStatus(t, c.post(tc.path, yes, "Sec-Fetch-Site", "cross-site"), http.StatusForbidden)
				if tc.done() {
					t.Fatal("done from another site")
				}
				r = c.post(tc.path, yes)
				wantStatus(t, r, tc.status)
				if tc.to != "" && r.Location() != tc.to {
					t.Errorf("confirmed: to %q, want %q", r.Location(), tc.to)
				}
				if !tc.done() {
					t.Fatalf("confirmed, and not done:\n%s", r.Body)
				}
			})
		}
	})
}

// TestConfirmOnlyWhatIsOffered: an action the page does not offer the
// viewer (another role, their own account, a state that refuses it) is not
// asked about: the service answers it at once, as with confirm=1, and
// nothing changes.
func TestConfirmOnlyWhatIsOffered(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		signed, gala := w.contract("kevinSigned"), w.event("gala")
		for _, tc := range []struct {
			as, path string
			status   int
		}{
			{"bill", w.employeePath("kate", "/delete"), http.StatusForbidden},
			{"kate", w.employeePath("bill", "/deactivate"), http.StatusForbidden},
			{"bill", w.employeePath("kate", "/set-password"), http.StatusForbidden},
			{"ada", w.employeePath("ada", "/delete"), http.StatusForbidden},
			{"ada", w.employeePath("ada", "/deactivate"), http.StatusForbidden},
			{"ada", w.employeePath("ada", "/set-password"), http.StatusForbidden},
			{"ada", w.employeePath("olga", "/deactivate"), http.StatusConflict},
			{"ada", "/employees/999999/delete", http.StatusNotFound},
			{"chloe", fmt.Sprintf("/contracts/%d/sign", w.contract("kevinUnsigned").ID), http.StatusForbidden},
			{"kate", fmt.Sprintf("/contracts/%d/sign", w.contract("kevinUnsigned").ID), http.StatusForbidden},
			{"bill", fmt.Sprintf("/contracts/%d/sign", signed.ID), http.StatusConflict},
			{"ada", "/contracts/999999/sign", http.StatusNotFound},
			{"bill", fmt.Sprintf("/events/%d/unassign", w.event("launch").ID), http.StatusForbidden},
			{"ada", fmt.Sprintf("/events/%d/unassign", gala.ID), http.StatusConflict},
			{"ada", "/events/999999/unassign", http.StatusNotFound},
		} {
			r := w.loginAsPerson(tc.as).post(tc.path, nil)
			if r.Status != tc.status {
				t.Errorf("%s posts %s: status %d, want %d", tc.as, tc.path, r.Status, tc.status)
			}
			wantNotIn(t, r.Body, `id="confirm-yes"`)
		}
		if k, _ := w.svc.GetContract(w.as("ada"), w.contract("kevinUnsigned").ID); k.Signed {
			t.Error("signed")
		}
		if e, _ := w.svc.GetEvent(w.as("ada"), w.event("launch").ID); e.SupportContactID == nil {
			t.Error("unassigned")
		}
		for _, key := range []string{"ada", "bill", "kate"} {
			if e, err := w.employeeNow(t, w.person(key).ID); err != nil || !e.Active {
				t.Errorf("%s: %+v %v", key, e, err)
			}
		}
	})
}

// TestConfirmEscaping: what people typed shows as text on the page that
// asks, in its words and in the fields it sends again.
func TestConfirmEscaping(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		ada := w.loginAs(crm.RoleManagement)
		for i, bad := range xss {
			e, err := w.svc.CreateEmployee(w.as("ada"), crm.NewEmployee{FirstName: bad, LastName: bad,
				Email: fmt.Sprintf("x%d@epic.example", i), Role: crm.RoleSupport, Password: testPassword})
			if err != nil {
				t.Fatal(err)
			}
			for _, action := range []string{"delete", "deactivate", "set-password"} {
				r := ada.post(fmt.Sprintf("/employees/%d/%s", e.ID, action), nil)
				wantStatus(t, r, http.StatusOK)
				wantNotIn(t, r.Body, bad)
				wantIn(t, r.Body, html.EscapeString(bad)+" "+html.EscapeString(bad))
			}
			r := ada.post(fmt.Sprintf("/events/%d/unassign", w.event("launch").ID), url.Values{"next": {bad}})
			wantStatus(t, r, http.StatusOK)
			wantNotIn(t, r.Body, bad)
			if got := answerYes(t, r.Body).Get("next"); got != bad {
				t.Errorf("the answer sends next=%q, want %q", got, bad)
			}
		}
	})
}
