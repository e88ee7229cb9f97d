package crm

import "testing"

// TestPermissionMatrix spells out the permission matrix cell by cell: every
// role × action × owner/not-owner, so that any change to the matrix must
// change this table.
func TestPermissionMatrix(t *testing.T) {
	type cell struct{ owner, other bool }
	yes, no, own := cell{true, true}, cell{false, false}, cell{true, false}
	want := map[Action]map[Role]cell{
		ActRead:             {RoleManagement: yes, RoleSales: yes, RoleSupport: yes},
		ActManageEmployees:  {RoleManagement: yes, RoleSales: no, RoleSupport: no},
		ActCreateClient:     {RoleManagement: no, RoleSales: yes, RoleSupport: no},
		ActUpdateClient:     {RoleManagement: yes, RoleSales: own, RoleSupport: no},
		ActReassignClient:   {RoleManagement: yes, RoleSales: no, RoleSupport: no},
		ActCreateContract:   {RoleManagement: yes, RoleSales: no, RoleSupport: no},
		ActUpdateContract:   {RoleManagement: yes, RoleSales: own, RoleSupport: no},
		ActReassignContract: {RoleManagement: yes, RoleSales: no, RoleSupport: no},
		ActCreateEvent:      {RoleManagement: no, RoleSales: own, RoleSupport: no},
		ActUpdateEvent:      {RoleManagement: yes, RoleSales: no, RoleSupport: own},
		ActAssignSupport:    {RoleManagement: yes, RoleSales: no, RoleSupport: no},
		ActReadAudit:        {RoleManagement: yes, RoleSales: no, RoleSupport: no},
		ActChangePassword:   {RoleManagement: yes, RoleSales: yes, RoleSupport: yes},
		ActRecordPayment:    {RoleManagement: yes, RoleSales: own, RoleSupport: no},
		ActRefundPayment:    {RoleManagement: yes, RoleSales: no, RoleSupport: no},
	}
	if len(want) != len(Actions) {
		t.Fatalf("the table covers %d actions, the product has %d", len(want), len(Actions))
	}
	for _, a := range Actions {
		for _, r := range Roles {
			c, ok := want[a][r]
			if !ok {
				t.Fatalf("no expectation for %s × %s", r, a)
			}
			for _, owner := range []bool{true, false} {
				exp := c.other
				if owner {
					exp = c.owner
				}
				if got := Allowed(r, a, owner); got != exp {
					t.Errorf("Allowed(%s, %s, owner=%v) = %v, want %v", r, a, owner, got, exp)
				}
			}
			// Every refusal says, in words, what was refused and who may
			// do it: an action that some role is refused needs its text.
			if !c.other && matrix[a].refusal == "" {
				t.Errorf("%s is refused to %s but has no refusal text: it would read %q",
					a, r, forbidden(r, a).Message)
			}
			// MayEver refuses exactly what the role may not do even as owner,
			// with the service's own refusal.
			err := MayEver(r, a)
			if c.owner != (err == nil) {
				t.Errorf("MayEver(%s, %s) = %v, want allowed=%v", r, a, err, c.owner)
			}
			if e, ok := err.(*Error); err != nil && (!ok || e.Code != CodeForbidden) {
				t.Errorf("MayEver(%s, %s) = %#v, want a forbidden *Error", r, a, err)
			}
		}
	}
	for _, owner := range []bool{true, false} {
		if Allowed("INTERN", ActRead, owner) || Allowed(RoleManagement, "launch_missiles", owner) {
			t.Error("unknown roles and actions must be denied")
		}
	}
}
