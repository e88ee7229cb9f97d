package crm

import (
	"context"
	"strings"
)

// GetClient returns one client; everyone may read every client.
func (s *Service) GetClient(ctx context.Context, id int64) (Client, error) {
	if _, err := s.authorize(ctx, ActRead); err != nil {
		return Client{}, err
	}
	return s.store.GetClient(ctx, id)
}

// ListClients streams clients to emit. Mine selects the caller's own clients
// (nothing for anyone but SALES).
func (s *Service) ListClients(ctx context.Context, f ClientFilter, emit Emit[Client]) (string, error) {
	actor, err := s.authorize(ctx, ActRead)
	if err != nil {
		return "", err
	}
	if f.Search != "" {
		var v Validator
		f.Search = text(&v, "search", f.Search, 0, MaxEmailLen, false)
		if err := v.Err(); err != nil {
			return "", err
		}
	}
	if f.Mine && !mineAsSales(actor, &f.SalesContactID) {
		return "", nil
	}
	f.Email = strings.ToLower(strings.TrimSpace(f.Email))
	return s.store.ListClients(ctx, f, emit)
}

// mineAsSales narrows a sales-contact filter to the caller for --mine, and
// reports false when the selection is empty by construction.
func mineAsSales(actor Actor, salesContactID **int64) bool {
	if actor.Role != RoleSales || (*salesContactID != nil && **salesContactID != actor.ID) {
		return false
	}
	id := actor.ID
	*salesContactID = &id
	return true
}

// CreateClient adds a client owned by the SALES employee who creates it.
func (s *Service) CreateClient(ctx context.Context, in NewClient) (Client, error) {
	actor, err := s.authorize(ctx, ActCreateClient)
	if err != nil {
		return Client{}, err
	}
	var v Validator
	c := Client{
		FirstName:   personName(&v, "first_name", in.FirstName),
		LastName:    personName(&v, "last_name", in.LastName),
		Email:       email(&v, "email", in.Email),
		Phone:       nilIfEmpty(phone(&v, "phone", in.Phone)),
		CompanyName: nilIfEmpty(optText(&v, "company_name", in.CompanyName, MaxCompanyLen, false)),
	}
	if err := v.Err(); err != nil {
		return Client{}, err
	}
	now := s.now()
	c.SalesContactID, c.CreatedAt, c.UpdatedAt = actor.ID, now, now
	err = s.store.InTx(ctx, func(q Queries) error {
		if c, err = q.CreateClient(ctx, c); err != nil {
			return err
		}
		return s.audit(ctx, q, &actor, "client.create", "client", c.ID, diff(nil, &c))
	})
	return c, err
}

func nilIfEmpty(s *string) *string {
	if s == nil || *s == "" {
		return nil
	}
	return s
}

// UpdateClient changes the given fields: MANAGEMENT any client, SALES their own.
func (s *Service) UpdateClient(ctx context.Context, id int64, p ClientPatch) (Client, error) {
	actor, err := s.authorize(ctx, ActUpdateClient)
	if err != nil {
		return Client{}, err
	}
	if p == (ClientPatch{}) {
		return Client{}, errNothingToChange
	}
	var v Validator
	if p.FirstName != nil {
		*p.FirstName = personName(&v, "first_name", *p.FirstName)
	}
	if p.LastName != nil {
		*p.LastName = personName(&v, "last_name", *p.LastName)
	}
	if p.Email != nil {
		*p.Email = email(&v, "email", *p.Email)
	}
	p.Phone = phone(&v, "phone", p.Phone)
	p.CompanyName = optText(&v, "company_name", p.CompanyName, MaxCompanyLen, false)
	if err := v.Err(); err != nil {
		return Client{}, err
	}
	var after Client
	err = s.store.InTx(ctx, func(q Queries) error {
		before, err := fresh(ctx, id, q.GetClient)
		if err != nil {
			return err
		}
		if err := check(actor, ActUpdateClient, OwnsClient(actor.Employee, before)); err != nil {
			return err
		}
		if after, err = q.UpdateClient(ctx, id, p, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, q, &actor, "client.update", "client", id, diff(&before, &after))
	})
	return after, err
}

// ReassignClient gives a client, with its contracts, to another active SALES
// employee (MANAGEMENT only).
func (s *Service) ReassignClient(ctx context.Context, id, salesContactID int64) (Client, error) {
	actor, err := s.authorize(ctx, ActReassignClient)
	if err != nil {
		return Client{}, err
	}
	var after Client
	err = s.store.InTx(ctx, func(q Queries) error {
		before, err := fresh(ctx, id, q.GetClient)
		if err != nil {
			return err
		}
		if _, err := assignee(ctx, q, "sales_contact_id", salesContactID, RoleSales); err != nil {
			return err
		}
		if after, err = q.ReassignClient(ctx, id, salesContactID, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, q, &actor, "client.reassign", "client", id, diff(&before, &after))
	})
	return after, err
}
