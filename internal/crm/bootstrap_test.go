package crm_test

import (
	"context"
	"testing"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/testdb"
)

// TestCheckBootstrap: the rule of init lives once. CheckBootstrap answers
// what Bootstrap would refuse whatever it is given — a database where an
// employee exists — from a service over the store alone, as init builds it
// before it asks anything; Bootstrap refuses the same with the same words.
func TestCheckBootstrap(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		empty := crm.NewService(crm.Deps{Store: testdb.Open(t, engine)})
		if err := empty.CheckBootstrap(ctx); err != nil {
			t.Fatalf("CheckBootstrap on a database without employees: %v", err)
		}

		w := newWorld(t, engine)
		check := w.svc.CheckBootstrap(ctx)
		wantCode(t, check, crm.CodeConflict)
		_, again := w.svc.Bootstrap(ctx, crm.NewEmployee{FirstName: "Eve", LastName: "Second", Email: "eve@epic.example", Password: pw})
		wantCode(t, again, crm.CodeConflict)
		if check.Error() != again.Error() {
			t.Errorf("CheckBootstrap says %q, Bootstrap %q: one rule, one message", check, again)
		}
	})
}
