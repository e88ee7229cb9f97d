package cli

import (
	"strconv"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/demo"
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

// views holds how each entity is shown: its table columns, in the user's
// time zone, and its CSV fields.
type views struct{ loc *time.Location }

func (v views) t(t time.Time) string   { return output.FormatTime(t, v.loc) }
func (v views) ot(t *time.Time) string { return output.FormatOptTime(t, v.loc) }

// The CSV fields of each record: every field of its JSON, in the same order,
// under the same names and of the same kinds (TestCSVFieldsAreTheJSONFields
// holds each list to its record's JSON).
var (
	employeeFields = []output.Field[crm.Employee]{
		output.Int("id", func(e crm.Employee) int64 { return e.ID }),
		output.Text("first_name", func(e crm.Employee) string { return e.FirstName }),
		output.Text("last_name", func(e crm.Employee) string { return e.LastName }),
		output.Text("email", func(e crm.Employee) string { return e.Email }),
		output.Text("role", func(e crm.Employee) string { return string(e.Role) }),
		output.Bool("active", func(e crm.Employee) bool { return e.Active }),
		output.Time("created_at", func(e crm.Employee) time.Time { return e.CreatedAt }),
		output.Time("updated_at", func(e crm.Employee) time.Time { return e.UpdatedAt }),
		output.OptTime("deactivated_at", func(e crm.Employee) *time.Time { return e.DeactivatedAt }),
	}
	clientFields = []output.Field[crm.Client]{
		output.Int("id", func(c crm.Client) int64 { return c.ID }),
		output.Text("first_name", func(c crm.Client) string { return c.FirstName }),
		output.Text("last_name", func(c crm.Client) string { return c.LastName }),
		output.Text("email", func(c crm.Client) string { return c.Email }),
		output.OptText("phone", func(c crm.Client) *string { return c.Phone }),
		output.OptText("company_name", func(c crm.Client) *string { return c.CompanyName }),
		output.Int("sales_contact_id", func(c crm.Client) int64 { return c.SalesContactID }),
		output.Text("sales_contact_name", func(c crm.Client) string { return c.SalesContactName }),
		output.Time("created_at", func(c crm.Client) time.Time { return c.CreatedAt }),
		output.Time("updated_at", func(c crm.Client) time.Time { return c.UpdatedAt }),
	}
	contractFields = []output.Field[crm.Contract]{
		output.Int("id", func(c crm.Contract) int64 { return c.ID }),
		output.Int("client_id", func(c crm.Contract) int64 { return c.ClientID }),
		output.Text("client_name", func(c crm.Contract) string { return c.ClientName }),
		output.Int("sales_contact_id", func(c crm.Contract) int64 { return c.SalesContactID }),
		output.Text("sales_contact_name", func(c crm.Contract) string { return c.SalesContactName }),
		output.Money("total_amount", func(c crm.Contract) crm.Cents { return c.TotalAmount }),
		output.Money("amount_due", func(c crm.Contract) crm.Cents { return c.AmountDue }),
		output.Bool("signed", func(c crm.Contract) bool { return c.Signed }),
		output.OptTime("signed_at", func(c crm.Contract) *time.Time { return c.SignedAt }),
		output.Time("created_at", func(c crm.Contract) time.Time { return c.CreatedAt }),
		output.Time("updated_at", func(c crm.Contract) time.Time { return c.UpdatedAt }),
	}
	eventFields = []output.Field[crm.Event]{
		output.Int("id", func(e crm.Event) int64 { return e.ID }),
		output.Text("name", func(e crm.Event) string { return e.Name }),
		output.Int("contract_id", func(e crm.Event) int64 { return e.ContractID }),
		output.Int("client_id", func(e crm.Event) int64 { return e.ClientID }),
		output.Text("client_name", func(e crm.Event) string { return e.ClientName }),
		output.Text("client_email", func(e crm.Event) string { return e.ClientEmail }),
		output.OptText("client_phone", func(e crm.Event) *string { return e.ClientPhone }),
		output.Time("start", func(e crm.Event) time.Time { return e.Start }),
		output.Time("end", func(e crm.Event) time.Time { return e.End }),
		output.OptInt("support_contact_id", func(e crm.Event) *int64 { return e.SupportContactID }),
		output.OptText("support_contact_name", func(e crm.Event) *string { return e.SupportContactName }),
		output.Text("location", func(e crm.Event) string { return e.Location }),
		output.Int("attendees", func(e crm.Event) int64 { return int64(e.Attendees) }),
		output.OptText("notes", func(e crm.Event) *string { return e.Notes }),
		output.Time("created_at", func(e crm.Event) time.Time { return e.CreatedAt }),
		output.Time("updated_at", func(e crm.Event) time.Time { return e.UpdatedAt }),
	}
	auditFields = []output.Field[crm.AuditEntry]{
		output.Int("id", func(e crm.AuditEntry) int64 { return e.ID }),
		output.Time("at", func(e crm.AuditEntry) time.Time { return e.At }),
		output.OptInt("actor_id", func(e crm.AuditEntry) *int64 { return e.ActorID }),
		output.OptText("actor_email", func(e crm.AuditEntry) *string { return e.ActorEmail }),
		output.Text("action", func(e crm.AuditEntry) string { return e.Action }),
		output.Text("entity", func(e crm.AuditEntry) string { return e.Entity }),
		output.OptInt("entity_id", func(e crm.AuditEntry) *int64 { return e.EntityID }),
		output.JSONValue("changes", func(e crm.AuditEntry) any { return e.Changes }),
		output.OptText("client_addr", func(e crm.AuditEntry) *string { return e.ClientAddr }),
	}
	paymentFields = []output.Field[crm.Payment]{
		output.Int("id", func(p crm.Payment) int64 { return p.ID }),
		output.Int("contract_id", func(p crm.Payment) int64 { return p.ContractID }),
		output.Text("kind", func(p crm.Payment) string { return string(p.Kind) }),
		output.Money("amount", func(p crm.Payment) crm.Cents { return p.Amount }),
		output.Text("method", func(p crm.Payment) string { return p.Method }),
		output.Text("reference", func(p crm.Payment) string { return p.Reference }),
		output.Text("received_on", func(p crm.Payment) string { return p.ReceivedOn }),
		output.OptInt("refund_of", func(p crm.Payment) *int64 { return p.RefundOf }),
		output.Text("reason", func(p crm.Payment) string { return p.Reason }),
		output.Int("recorded_by_id", func(p crm.Payment) int64 { return p.RecordedByID }),
		output.Text("recorded_by_name", func(p crm.Payment) string { return p.RecordedByName }),
		output.Time("recorded_at", func(p crm.Payment) time.Time { return p.RecordedAt }),
		output.Money("amount_due_after", func(p crm.Payment) crm.Cents { return p.AmountDueAfter }),
	}
	credentialFields = append(output.FieldsOf(employeeFields, func(c demo.Credential) crm.Employee { return c.Employee }),
		output.Text("password", func(c demo.Credential) string { return c.Password }))
	buildFields = []output.Field[Build]{
		output.Text("version", func(b Build) string { return b.Version }),
		output.Text("commit", func(b Build) string { return b.Commit }),
		output.OptText("built_at", func(b Build) *string { return b.BuiltAt }),
		output.OptText("commit_time", func(b Build) *string { return b.CommitTime }),
	}
	migrationFields = []output.Field[migrationRow]{
		output.Int("version", func(r migrationRow) int64 { return r.Version }),
		output.Text("name", func(r migrationRow) string { return r.Name }),
		output.Bool("applied", func(r migrationRow) bool { return r.Applied }),
		output.OptTime("applied_at", func(r migrationRow) *time.Time { return r.AppliedAt }),
	}
)

func (v views) employeeList() output.View[crm.Employee] {
	return output.View[crm.Employee]{Fields: employeeFields, Columns: []output.Column[crm.Employee]{
		fixed("ID", func(e crm.Employee) string { return id(e.ID) }),
		col("Name", crm.Employee.Name),
		col("Email", func(e crm.Employee) string { return e.Email }),
		fixed("Role", func(e crm.Employee) string { return string(e.Role) }),
		fixed("Active", func(e crm.Employee) string { return yesNo(e.Active) }),
	}}
}

func (v views) employee() output.View[crm.Employee] {
	return output.View[crm.Employee]{Fields: employeeFields, Columns: append(v.employeeList().Columns,
		fixed("Created", func(e crm.Employee) string { return v.t(e.CreatedAt) }),
		fixed("Updated", func(e crm.Employee) string { return v.t(e.UpdatedAt) }),
		fixed("Deactivated", func(e crm.Employee) string { return v.ot(e.DeactivatedAt) }),
	)}
}

func (v views) clientList() output.View[crm.Client] {
	return output.View[crm.Client]{Fields: clientFields, Columns: []output.Column[crm.Client]{
		fixed("ID", func(c crm.Client) string { return id(c.ID) }),
		col("Name", func(c crm.Client) string { return c.FirstName + " " + c.LastName }),
		col("Email", func(c crm.Client) string { return c.Email }),
		fixed("Phone", func(c crm.Client) string { return optPhone(c.Phone) }),
		col("Company", func(c crm.Client) string { return opt(c.CompanyName) }),
		col("Sales contact", func(c crm.Client) string { return c.SalesContactName }),
	}}
}

func (v views) client() output.View[crm.Client] {
	return output.View[crm.Client]{Fields: clientFields, Columns: append(v.clientList().Columns,
		fixed("Sales contact ID", func(c crm.Client) string { return id(c.SalesContactID) }),
		fixed("First contact", func(c crm.Client) string { return v.t(c.CreatedAt) }),
		fixed("Last update", func(c crm.Client) string { return v.t(c.UpdatedAt) }),
	)}
}

// contractColumns returns the view of a --view: its table shows compact
// (money and state), contact (who to call) or full; CSV is always full.
func (v views) contractColumns(view string) output.View[crm.Contract] {
	return output.View[crm.Contract]{Fields: contractFields, Columns: v.contractTable(view)}
}

func (v views) contractTable(view string) []output.Column[crm.Contract] {
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

// eventColumns returns the view of a --view: its table shows compact (when
// and who supports), contact (the client to call) or full; CSV is always
// full.
func (v views) eventColumns(view string) output.View[crm.Event] {
	return output.View[crm.Event]{Fields: eventFields, Columns: v.eventTable(view)}
}

func (v views) eventTable(view string) []output.Column[crm.Event] {
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

func (v views) contract() output.View[crm.Contract] {
	full := v.contractTable("full")
	return output.View[crm.Contract]{Fields: contractFields, Columns: append(full[:4:4], append([]output.Column[crm.Contract]{
		fixed("Sales contact ID", func(c crm.Contract) string { return id(c.SalesContactID) }),
	}, full[4:]...)...)}
}

func (v views) event() output.View[crm.Event] {
	full := v.eventTable("full") // ID, Name, Contract, Client, Start, End, Support, Location, …
	cols := append(full[:4:4],
		fixed("Client ID", func(e crm.Event) string { return id(e.ClientID) }),
		col("Client email", func(e crm.Event) string { return e.ClientEmail }),
		fixed("Client phone", func(e crm.Event) string { return optPhone(e.ClientPhone) }))
	cols = append(cols, full[4:7]...)
	cols = append(cols, fixed("Support ID", func(e crm.Event) string { return optID(e.SupportContactID) }))
	return output.View[crm.Event]{Fields: eventFields, Columns: append(cols, full[7:]...)}
}

func (v views) auditList() output.View[crm.AuditEntry] {
	return output.View[crm.AuditEntry]{Fields: auditFields, Columns: []output.Column[crm.AuditEntry]{
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
	}}
}

// paymentList is a contract's ledger: each entry with the amount due after it.
func (v views) paymentList() output.View[crm.Payment] {
	return output.View[crm.Payment]{Fields: paymentFields, Columns: []output.Column[crm.Payment]{
		fixed("ID", func(p crm.Payment) string { return id(p.ID) }),
		fixed("Received", func(p crm.Payment) string { return p.ReceivedOn }),
		fixed("Kind", func(p crm.Payment) string { return string(p.Kind) }),
		fixed("Amount", func(p crm.Payment) string { return p.Amount.String() }),
		fixed("Method", func(p crm.Payment) string { return p.Method }),
		col("Reference", func(p crm.Payment) string { return p.Reference }),
		fixed("Refund of", func(p crm.Payment) string { return optID(p.RefundOf) }),
		col("Reason", func(p crm.Payment) string { return p.Reason }),
		col("Recorded by", func(p crm.Payment) string { return p.RecordedByName }),
		fixed("Due after", func(p crm.Payment) string { return p.AmountDueAfter.String() }),
	}}
}

// payment is one entry just recorded, with when and by whom.
func (v views) payment() output.View[crm.Payment] {
	cols := v.paymentList().Columns
	return output.View[crm.Payment]{Fields: paymentFields, Columns: append(cols[:1:1],
		append([]output.Column[crm.Payment]{fixed("Contract", func(p crm.Payment) string { return id(p.ContractID) })},
			append(cols[1:], fixed("Recorded at", func(p crm.Payment) string { return v.t(p.RecordedAt) }))...)...)}
}

// credentialList is how demo shows the employees it added, each with the
// password chosen for them.
func (v views) credentialList() output.View[demo.Credential] {
	return output.View[demo.Credential]{Fields: credentialFields, Columns: []output.Column[demo.Credential]{
		fixed("ID", func(c demo.Credential) string { return id(c.ID) }),
		col("Email", func(c demo.Credential) string { return c.Email }),
		fixed("Role", func(c demo.Credential) string { return string(c.Role) }),
		col("Name", func(c demo.Credential) string { return c.Name() }),
		fixed("Password", func(c demo.Credential) string { return c.Password }),
	}}
}

// build is how version shows itself: its text, or JSON and CSV.
func (v views) build() output.View[Build] {
	return output.View[Build]{Fields: buildFields}
}

// migrationRow is one line of migrate status.
type migrationRow struct {
	Version   int64      `json:"version"`
	Name      string     `json:"name"`
	Applied   bool       `json:"applied"`
	AppliedAt *time.Time `json:"applied_at"`
}

func (v views) migrationList() output.View[migrationRow] {
	return output.View[migrationRow]{Fields: migrationFields, Columns: []output.Column[migrationRow]{
		fixed("Version", func(r migrationRow) string { return id(r.Version) }),
		col("Name", func(r migrationRow) string { return r.Name }),
		fixed("Applied", func(r migrationRow) string { return yesNo(r.Applied) }),
		fixed("Applied at", func(r migrationRow) string { return v.ot(r.AppliedAt) }),
	}}
}
