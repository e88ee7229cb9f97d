package webui

import (
	"context"
	"strconv"

	"github.com/epicevents/epicevents/internal/crm"
)

// peopleOptions are the active employees of role as choices, by name.
func (s *Server) peopleOptions(ctx context.Context, role crm.Role) ([]Option, error) {
	var opts []Option
	f := crm.EmployeeFilter{Role: &role, Page: crm.Page{Limit: 200}}
	for {
		next, err := s.svc.ListEmployees(ctx, f, func(e crm.Employee) error {
			opts = append(opts, Option{Value: strconv.FormatInt(e.ID, 10), Label: e.Name()})
			return nil
		})
		if err != nil {
			return nil, err
		}
		if next == "" {
			return opts, nil
		}
		f.Cursor = next
	}
}
