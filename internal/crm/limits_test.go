package crm_test

import (
	"context"
	"strings"
	"testing"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/testdb"
)

// TestPasswordChecksRefuseOverlongInput: an email or a password longer than
// any can be is invalid input, refused before any lookup or hashing, the
// same in local mode as the API's document says for remote mode.
func TestPasswordChecksRefuseOverlongInput(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		ctx := context.Background()
		for _, c := range []struct {
			email, password, field string
		}{
			{strings.Repeat("a", 250) + "@x.io", pw, "email"},
			{" " + strings.Repeat("a", 249) + "@x.io", pw, "email"},
			{"sales@epic.example", strings.Repeat("p", crm.MaxPasswordInput+1), "password"},
		} {
			_, err := w.svc.Login(ctx, c.email, c.password)
			e, ok := crm.AsError(err)
			if !ok || e.Code != crm.CodeInvalid || len(e.Fields) != 1 || e.Fields[0].Field != c.field {
				t.Errorf("login %.20q…: %v, want invalid %s", c.email, err, c.field)
			}
		}
		// A password at the limit is checked as usual: wrong.
		_, err := w.svc.Login(ctx, "sales@epic.example", strings.Repeat("p", crm.MaxPasswordInput))
		wantCode(t, err, crm.CodeUnauthenticated)

		_, err = w.svc.ChangePassword(w.sales, strings.Repeat("p", crm.MaxPasswordInput+1), "another long passphrase here")
		if e, ok := crm.AsError(err); !ok || e.Code != crm.CodeInvalid || e.Fields[0].Field != "current_password" ||
			e.Fields[0].Message != "must be at most 1024 characters" {
			t.Errorf("change with an overlong current password: %v", err)
		}
	})
}
