package crm_test

import (
	"testing"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/testdb"
)

// TestIfMatchVersions: a change under WithIfMatch goes through when the row
// is at any of the versions named, and is stale otherwise, including when no
// version is named at all (an If-Match whose tags name none).
func TestIfMatchVersions(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		client, _ := w.deal(false)
		patch := crm.ClientPatch{CompanyName: str("Cool Startup LLC")}
		for _, versions := range [][]int64{{}, {client.Version + 1}, {client.Version + 1, client.Version + 7}} {
			_, err := w.svc.UpdateClient(crm.WithIfMatch(w.mgr, versions...), client.ID, patch)
			wantCode(t, err, crm.CodeStale)
		}
		after := must[crm.Client](t)(w.svc.UpdateClient(crm.WithIfMatch(w.mgr, client.Version+5, client.Version), client.ID, patch))
		if after.Version != client.Version+1 {
			t.Fatalf("version %d after one change from %d", after.Version, client.Version)
		}
	})
}

// TestSetPasswordIfMatch: a password reset is a change of the employee like
// any other: under If-Match it, and its check, are refused once the employee
// has moved on, and the password stays as it was.
func TestSetPasswordIfMatch(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		id := w.ids["sales2"]
		emp := must[crm.Employee](t)(w.svc.GetEmployee(w.mgr, id))
		must[crm.Employee](t)(w.svc.UpdateEmployee(w.mgr, id, crm.EmployeePatch{FirstName: str("Samuel")}))
		err := w.svc.SetPassword(crm.WithIfMatch(w.mgr, emp.Version), id, "a brand new temporary passphrase")
		wantCode(t, err, crm.CodeStale)
		// Its check, asked before the password is typed, refuses the same.
		wantCode(t, w.svc.CheckSetPassword(crm.WithIfMatch(w.mgr, emp.Version), id), crm.CodeStale)
		w.login("sales2@epic.example") // the old password still works
		now := must[crm.Employee](t)(w.svc.GetEmployee(w.mgr, id))
		if err := w.svc.CheckSetPassword(crm.WithIfMatch(w.mgr, now.Version), id); err != nil {
			t.Fatalf("CheckSetPassword at the current version: %v", err)
		}
		if err := w.svc.SetPassword(crm.WithIfMatch(w.mgr, now.Version), id, "a brand new temporary passphrase"); err != nil {
			t.Fatal(err)
		}
	})
}
