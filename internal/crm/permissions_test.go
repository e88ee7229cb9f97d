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

// TestMayOnRecords: the helpers that decide on a record already read follow
// the matrix with ownership taken from the record's sales contact, and a
// signed contract's total is MANAGEMENT's alone.
func TestMayOnRecords(t *testing.T) {
	boss := Employee{ID: 1, Role: RoleManagement}
	bill := Employee{ID: 2, Role: RoleSales}
	chloe := Employee{ID: 3, Role: RoleSales}
	kate := Employee{ID: 4, Role: RoleSupport}
	client := Client{ID: 10, SalesContactID: bill.ID}
	unsigned := Contract{ID: 20, SalesContactID: bill.ID}
	signed := Contract{ID: 21, SalesContactID: bill.ID, Signed: true}
	for _, c := range []struct {
		name string
		got  bool
		want bool
	}{
		{"manager updates any client", MayOnClient(boss, ActUpdateClient, client), true},
		{"owner updates their client", MayOnClient(bill, ActUpdateClient, client), true},
		{"other sales may not update", MayOnClient(chloe, ActUpdateClient, client), false},
		{"support may not update", MayOnClient(kate, ActUpdateClient, client), false},
		{"manager reassigns", MayOnClient(boss, ActReassignClient, client), true},
		{"owner may not reassign", MayOnClient(bill, ActReassignClient, client), false},
		{"manager creates contracts", MayOnClient(boss, ActCreateContract, client), true},
		{"owner may not create contracts", MayOnClient(bill, ActCreateContract, client), false},
		{"owner signs", MayOnContract(bill, ActUpdateContract, unsigned), true},
		{"other sales may not sign", MayOnContract(chloe, ActUpdateContract, unsigned), false},
		{"owner creates events", MayOnContract(bill, ActCreateEvent, signed), true},
		{"manager may not create events", MayOnContract(boss, ActCreateEvent, signed), false},
		{"owner changes an unsigned total", MayChangeTotal(bill, unsigned), true},
		{"owner may not change a signed total", MayChangeTotal(bill, signed), false},
		{"manager changes a signed total", MayChangeTotal(boss, signed), true},
		{"other sales may not change any total", MayChangeTotal(chloe, unsigned), false},
		{"support may not change any total", MayChangeTotal(kate, unsigned), false},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	if !OwnsClient(bill, client) || OwnsClient(chloe, client) || !OwnsContract(bill, signed) || OwnsContract(boss, signed) {
		t.Error("ownership does not follow the sales contact")
	}
}
