package crm

import "testing"

// TestEventPermissionHelpers: the helpers the pages ask to show or hide
// the buttons of an event follow the permission matrix.
func TestEventPermissionHelpers(t *testing.T) {
	boss := Employee{ID: 1, Role: RoleManagement}
	sales := Employee{ID: 2, Role: RoleSales}
	otherSales := Employee{ID: 3, Role: RoleSales}
	support := Employee{ID: 4, Role: RoleSupport}
	otherSupport := Employee{ID: 5, Role: RoleSupport}
	supportID := support.ID
	signed := Contract{SalesContactID: sales.ID, Signed: true}
	unsigned := Contract{SalesContactID: sales.ID}
	assigned := Event{SupportContactID: &supportID}
	orphan := Event{}
	for _, tc := range []struct {
		name string
		got  bool
		want bool
	}{
		{"sales contact, signed", MayCreateEventOn(sales, signed), true},
		{"sales contact, unsigned", MayCreateEventOn(sales, unsigned), false},
		{"other sales, signed", MayCreateEventOn(otherSales, signed), false},
		{"management, signed", MayCreateEventOn(boss, signed), false},
		{"support, signed", MayCreateEventOn(support, signed), false},
		{"management updates any", MayUpdateEvent(boss, orphan), true},
		{"support updates theirs", MayUpdateEvent(support, assigned), true},
		{"support, another's", MayUpdateEvent(otherSupport, assigned), false},
		{"support, nobody's", MayUpdateEvent(support, orphan), false},
		{"sales updates none", MayUpdateEvent(sales, assigned), false},
		{"management renames", MayRenameEvent(RoleManagement), true},
		{"support does not rename", MayRenameEvent(RoleSupport), false},
		{"refusal matches", CheckUpdateEvent(otherSupport, assigned) != nil, true},
		{"no refusal", CheckUpdateEvent(support, assigned) == nil, true},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}
