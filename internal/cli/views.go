package cli

import (
	"strconv"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/output"
)

// col builds a table column of text, which a terminal too narrow for the
// table may shorten.
func col[T any](header string, value func(T) string) output.Column[T] {
	return output.Column[T]{Header: header, Value: value}
}

// fixed builds a column whose values mean nothing cut (ids, times, amounts,
// phones, yes/no): a table fitted to a terminal keeps them whole.
func fixed[T any](header string, value func(T) string) output.Column[T] {
	return output.Column[T]{Header: header, Value: value, Fixed: true}
}

func id(v int64) string { return strconv.FormatInt(v, 10) }

func optID(v *int64) string {
	if v == nil {
		return ""
	}
	return id(*v)
}

func opt(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func optPhone(s *string) string {
	if s == nil {
		return ""
	}
	return crm.FormatPhone(*s)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// views holds the table columns of each entity, in the user's time zone.
type views struct{ loc *time.Location }

func (v views) t(t time.Time) string   { return output.FormatTime(t, v.loc) }
func (v views) ot(t *time.Time) string { return output.FormatOptTime(t, v.loc) }

func (v views) employeeList() []output.Column[crm.Employee] {
	return []output.Column[crm.Employee]{
		fixed("ID", func(e crm.Employee) string { return id(e.ID) }),
		col("Name", crm.Employee.Name),
		col("Email", func(e crm.Employee) string { return e.Email }),
		fixed("Role", func(e crm.Employee) string { return string(e.Role) }),
		fixed("Active", func(e crm.Employee) string { return yesNo(e.Active) }),
	}
}

func (v views) employee() []output.Column[crm.Employee] {
	return append(v.employeeList(),
		fixed("Created", func(e crm.Employee) string { return v.t(e.CreatedAt) }),
		fixed("Updated", func(e crm.Employee) string { return v.t(e.UpdatedAt) }),
		fixed("Deactivated", func(e crm.Employee) string { return v.ot(e.DeactivatedAt) }),
	)
}

func (v views) clientList() []output.Column[crm.Client] {
	return []output.Column[crm.Client]{
		fixed("ID", func(c crm.Client) string { return id(c.ID) }),
		col("Name", func(c crm.Client) string { return c.FirstName + " " + c.LastName }),
		col("Email", func(c crm.Client) string { return c.Email }),
		fixed("Phone", func(c crm.Client) string { return optPhone(c.Phone) }),
		col("Company", func(c crm.Client) string { return opt(c.CompanyName) }),
		col("Sales contact", func(c crm.Client) string { return c.SalesContactName }),
	}
}

func (v views) client() []output.Column[crm.Client] {
	return append(v.clientList(),
		fixed("Sales contact ID", func(c crm.Client) string { return id(c.SalesContactID) }),
		fixed("First contact", func(c crm.Client) string { return v.t(c.CreatedAt) }),
		fixed("Last update", func(c crm.Client) string { return v.t(c.UpdatedAt) }),
	)
}

// contractColumns returns the columns of a --view: compact (money and state),
// contact (who to call) or full.
func (v views) contractColumns(view string) []output.Column[crm.Contract] {
	idc := fixed("ID", func(c crm.Contract) string { return id(c.ID) })
	client := col("Client", func(c crm.Contract) string { return c.ClientName })
	sales := col("Sales contact", func(c crm.Contract) string { return c.SalesContactName })
	total := fixed("Total", func(c crm.Contract) string { return c.TotalAmount.String() })
	due := fixed("Due", func(c crm.Contract) string { return c.AmountDue.String() })
	signed := fixed("Signed", func(c crm.Contract) string { return yesNo(c.Signed) })
	switch view {
	case "contact":
		return []output.Column[crm.Contract]{idc, client,
			fixed("Client ID", func(c crm.Contract) string { return id(c.ClientID) }),
			sales, fixed("Sales contact ID", func(c crm.Contract) string { return id(c.SalesContactID) }), signed}
	case "full":
		return []output.Column[crm.Contract]{idc, client,
			fixed("Client ID", func(c crm.Contract) string { return id(c.ClientID) }),
			sales, total, due, signed,
			fixed("Signed at", func(c crm.Contract) string { return v.ot(c.SignedAt) }),
			fixed("Created", func(c crm.Contract) string { return v.t(c.CreatedAt) }),
			fixed("Updated", func(c crm.Contract) string { return v.t(c.UpdatedAt) })}
	}
	return []output.Column[crm.Contract]{idc, client, sales, total, due, signed}
}

// eventColumns returns the columns of a --view: compact (when and who
// supports), contact (the client to call) or full.
func (v views) eventColumns(view string) []output.Column[crm.Event] {
	idc := fixed("ID", func(e crm.Event) string { return id(e.ID) })
	name := col("Name", func(e crm.Event) string { return e.Name })
	start := fixed("Start", func(e crm.Event) string { return v.t(e.Start) })
	end := fixed("End", func(e crm.Event) string { return v.t(e.End) })
	support := col("Support", func(e crm.Event) string { return opt(e.SupportContactName) })
	client := col("Client", func(e crm.Event) string { return e.ClientName })
	switch view {
	case "contact":
		return []output.Column[crm.Event]{idc, name, client,
			col("Client email", func(e crm.Event) string { return e.ClientEmail }),
			fixed("Client phone", func(e crm.Event) string { return optPhone(e.ClientPhone) }), support}
	case "full":
		return []output.Column[crm.Event]{idc, name,
			fixed("Contract", func(e crm.Event) string { return id(e.ContractID) }),
			client, start, end, support,
			col("Location", func(e crm.Event) string { return e.Location }),
			fixed("Attendees", func(e crm.Event) string { return strconv.Itoa(e.Attendees) }),
			col("Notes", func(e crm.Event) string { return opt(e.Notes) }),
			fixed("Created", func(e crm.Event) string { return v.t(e.CreatedAt) }),
			fixed("Updated", func(e crm.Event) string { return v.t(e.UpdatedAt) })}
	}
	return []output.Column[crm.Event]{idc, name, start, end, client, support,
		col("Location", func(e crm.Event) string { return e.Location })}
}

func (v views) contract() []output.Column[crm.Contract] {
	full := v.contractColumns("full")
	return append(full[:4:4], append([]output.Column[crm.Contract]{
		fixed("Sales contact ID", func(c crm.Contract) string { return id(c.SalesContactID) }),
	}, full[4:]...)...)
}

func (v views) event() []output.Column[crm.Event] {
	full := v.eventColumns("full") // ID, Name, Contract, Client, Start, End, Support, Location, …
	cols := append(full[:4:4],
		fixed("Client ID", func(e crm.Event) string { return id(e.ClientID) }),
		col("Client email", func(e crm.Event) string { return e.ClientEmail }),
		fixed("Client phone", func(e crm.Event) string { return optPhone(e.ClientPhone) }))
	cols = append(cols, full[4:7]...)
	cols = append(cols, fixed("Support ID", func(e crm.Event) string { return optID(e.SupportContactID) }))
	return append(cols, full[7:]...)
}

func (v views) auditList() []output.Column[crm.AuditEntry] {
	return []output.Column[crm.AuditEntry]{
		fixed("ID", func(e crm.AuditEntry) string { return id(e.ID) }),
		fixed("At", func(e crm.AuditEntry) string { return v.t(e.At) }),
		col("Actor", func(e crm.AuditEntry) string { return opt(e.ActorEmail) }),
		col("Action", func(e crm.AuditEntry) string { return e.Action }),
		col("Entity", func(e crm.AuditEntry) string {
			if e.EntityID == nil {
				return e.Entity
			}
			return e.Entity + " " + id(*e.EntityID)
		}),
		{Header: "Changes", Value: func(e crm.AuditEntry) string { return changesText(e.Changes) }, MaxWidth: 60},
		col("Address", func(e crm.AuditEntry) string { return opt(e.ClientAddr) }),
	}
}
