package crm_test

import (
	"context"
	"testing"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/testdb"
)

// A look-alike of an existing email or name is refused on every write
// (exit 2, naming the field), and a login with one is an ordinary wrong
// login, never an internal error.
func TestLookAlikeIdentitiesRefused(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		kevin := must[crm.Client](t)(w.svc.CreateClient(w.sales, crm.NewClient{FirstName: "Kevin", LastName: "Casey", Email: "kevin@startup.io"}))

		wantField := func(err error, field string) {
			t.Helper()
			e, ok := crm.AsError(err)
			if !ok || e.Code != crm.CodeInvalid || len(e.Fields) != 1 || e.Fields[0].Field != field {
				t.Fatalf("got %v; want invalid %s", err, field)
			}
		}
		_, err := w.svc.CreateClient(w.sales, crm.NewClient{FirstName: "Kevin", LastName: "Casey", Email: "kevin\u200b@startup.io"})
		wantField(err, "email")
		_, err = w.svc.CreateClient(w.sales, crm.NewClient{FirstName: "Ke\u200dvin", LastName: "Casey", Email: "kevin2@startup.io"})
		wantField(err, "first_name")
		_, err = w.svc.UpdateClient(w.sales, kevin.ID, crm.ClientPatch{LastName: str("\u202eyesaC")})
		wantField(err, "last_name")
		_, err = w.svc.UpdateClient(w.sales, kevin.ID, crm.ClientPatch{Email: str("kevin@startup.io\ufeff")})
		wantField(err, "email")
		_, err = w.svc.CreateEmployee(w.mgr, crm.NewEmployee{FirstName: "Bill", LastName: "Boquet", Email: "sales\u200b@epic.example",
			Role: crm.RoleSales, Password: pw})
		wantField(err, "email")
		_, err = w.svc.UpdateEmployee(w.mgr, w.ids["sales"], crm.EmployeePatch{FirstName: str("Bi\u200bll")})
		wantField(err, "first_name")

		// Nothing changed.
		got := must[crm.Client](t)(w.svc.GetClient(w.sales, kevin.ID))
		if got.LastName != "Casey" || got.Email != "kevin@startup.io" {
			t.Fatalf("a refused update changed the client: %+v", got)
		}

		// A login with a look-alike of a real email: the usual answer.
		_, errWrong := w.svc.Login(context.Background(), "sales@epic.example", "wrong password but long")
		for _, e := range []string{"sales\u200b@epic.example", "\u202esales@epic.example", "sales@epic.example\u200e", "sa\u00adles@epic.example"} {
			_, err := w.svc.Login(context.Background(), e, pw)
			wantCode(t, err, crm.CodeUnauthenticated)
			if err.Error() != errWrong.Error() {
				t.Fatalf("login %q: %q, want the wrong-login message %q", e, err, errWrong)
			}
		}
	})
}
