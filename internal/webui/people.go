package webui

import (
	"context"

	"github.com/epicevents/epicevents/internal/crm"
)

// peopleOptions are the active employees of role as choices, by name.
func (s *Server) peopleOptions(ctx context.Context, role crm.Role) ([]Option, error) {
	var people []crm.Employee
	f := crm.EmployeeFilter{Role: &role, Page: crm.Page{Limit: 500}}
	for {
		next, err := s.svc.ListEmployees(ctx, f, func(e crm.Employee) error {
			people = append(people, e)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if next == "" {
			return PeopleOptions(people), nil
		}
		f.Cursor = next
	}
}
