// Package demo fills a database where `epicevents init` was done with
// realistic sample data, fast enough to make millions of rows for the
// benchmarks: a few SALES and SUPPORT employees, N clients with a contract
// and an event each in varied states, the ledgers of the contracts
// (deposits, balances, a few refunds, each amount due what its ledger says),
// and the sample records (Kevin Casey, the John Ouick wedding, the Lou Bouzin
// general assembly).
//
// Rows are made one at a time from (seed, table, index) and streamed to the
// store's bulk loader, so a million clients never sit in memory, and the same
// seed gives the same data (dates count back and forth from Options.Now).
package demo

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"iter"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/sqlstore"
)

// DefaultClients is the size of a demo without --clients: enough to page
// through, small enough to read.
const DefaultClients = 50

// MaxClients bounds --clients.
const MaxClients = 10_000_000

// Options shape the generated data.
type Options struct {
	// Clients is the number of generated clients; as many contracts and
	// events are generated. The sample records come on top.
	Clients int
	// Seed makes the data reproducible.
	Seed uint64
	// Now is the reference time: clients were met in the three years
	// before it, events fall on both sides of it. Zero means time.Now().
	Now time.Time
}

// Hasher hashes the passwords of the demo employees (argon2id in production).
type Hasher interface {
	Hash(password string) (string, error)
}

// Credential is a demo employee and the password chosen for them, shown once.
// In JSON and CSV it is the employee's fields and "password".
type Credential struct {
	crm.Employee
	Password string `json:"password"`
}

// AppendJSON appends the credential as a JSON object, as encoding/json
// writes it without HTML escaping: the employee's fields, then "password".
// Without it, the employee's own AppendJSON, promoted from the embedded
// field, would write the employee alone, and the password would never reach
// -o json or -o csv.
func (c Credential) AppendJSON(b []byte) ([]byte, error) {
	b, err := c.Employee.AppendJSON(b)
	if err != nil {
		return nil, err
	}
	var pw bytes.Buffer
	enc := json.NewEncoder(&pw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c.Password); err != nil {
		return nil, err
	}
	b = append(b[:len(b)-1], `,"password":`...) // over the employee's closing brace
	b = append(b, bytes.TrimSuffix(pw.Bytes(), []byte("\n"))...)
	return append(b, '}'), nil
}

// Result says what was loaded.
type Result struct {
	Employees                            []Credential
	Clients, Contracts, Events, Payments int64
}

// The sample records and their well-known ids; they take those ids when
// the database has not yet given them.
const (
	sampleEmail          = "kevin@startup.io"
	johnContractID       = 652
	jackyContractID      = 412
	johnWeddingID        = 109
	lousBouzinAssemblyID = 1023
)

// staffDomain is the domain of the demo employees' emails.
const staffDomain = "epicevents.example"

type person struct{ first, last string }

var (
	salesStaff   = []person{{"Bill", "Boquet"}, {"Nora", "Delacroix"}, {"Hugo", "Marchetti"}, {"Maya", "Lindqvist"}, {"Omar", "Benali"}}
	supportStaff = []person{{"Kate", "Hastroff"}, {"Aliénor", "Vichum"}, {"Paul", "Renaud"}, {"Inès", "Carvalho"}, {"Tom", "Whitaker"}}
)

// Load adds the demo data to db in one transaction, with one audit entry
// "demo.load" that counts what was added. It needs an employee (init done)
// and refuses a database that already holds the demo (CodeConflict).
func Load(ctx context.Context, db *sqlstore.DB, h Hasher, o Options) (Result, error) {
	if o.Clients < 0 || o.Clients > MaxClients {
		return Result{}, crm.Invalid("clients", fmt.Sprintf("must be between 0 and %d", MaxClients))
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC().Truncate(time.Second)
	if n, err := db.CountEmployees(ctx); err != nil {
		return Result{}, err
	} else if n == 0 {
		return Result{}, &crm.Error{Code: crm.CodeInternal, Message: "the CRM is not set up yet; run `epicevents init` first"}
	}
	staff, err := newStaff(h)
	if err != nil {
		return Result{}, err
	}
	var res Result
	n := int64(o.Clients)
	// About one entry per contract: see ledger.
	size := sqlstore.BulkSize{Clients: n, Contracts: n, Events: n, Payments: n}
	err = db.BulkLoad(ctx, size, func(ctx context.Context, b *sqlstore.Bulk) error {
		q := b.Queries()
		if err := refuseTwice(ctx, q); err != nil {
			return err
		}
		g := newGen(o, b.Next())
		if g.manager, err = aManager(ctx, q); err != nil {
			return err
		}
		for _, s := range staff {
			e, err := createStaff(ctx, q, s, o.Now)
			if err != nil {
				return err
			}
			res.Employees = append(res.Employees, Credential{Employee: e, Password: s.password})
			if e.Role == crm.RoleSales {
				g.sales = append(g.sales, e.ID)
			} else {
				g.support = append(g.support, e.ID)
			}
		}
		var err error
		if res.Clients, err = b.Clients(ctx, g.clients()); err != nil {
			return err
		}
		if res.Contracts, err = b.Contracts(ctx, g.contracts()); err != nil {
			return err
		}
		if res.Events, err = b.Events(ctx, g.events()); err != nil {
			return err
		}
		if res.Payments, err = b.Payments(ctx, g.payments()); err != nil {
			return err
		}
		return q.InsertAudit(ctx, crm.AuditEntry{At: o.Now, Action: "demo.load", Entity: "demo",
			Changes: map[string]crm.Change{
				"employees": {nil, len(res.Employees)},
				"clients":   {nil, res.Clients},
				"contracts": {nil, res.Contracts},
				"events":    {nil, res.Events},
				"payments":  {nil, res.Payments},
				"seed":      {nil, strconv.FormatUint(o.Seed, 10)},
			}})
	})
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// aManager returns the id of an active MANAGEMENT employee, who records the
// demo's refunds (only MANAGEMENT refunds).
func aManager(ctx context.Context, q crm.Queries) (int64, error) {
	role := crm.RoleManagement
	var id int64
	_, err := q.ListEmployees(ctx, crm.EmployeeFilter{Role: &role, Page: crm.Page{Limit: 1}}, func(e crm.Employee) error {
		id = e.ID
		return nil
	})
	if err == nil && id == 0 {
		err = &crm.Error{Code: crm.CodeInternal, Message: "the CRM has no active manager; run `epicevents init` first"}
	}
	return id, err
}

// refuseTwice stops a second demo: its sample records would collide.
func refuseTwice(ctx context.Context, q crm.Queries) error {
	found := false
	_, err := q.ListClients(ctx, crm.ClientFilter{Search: sampleEmail, Page: crm.Page{Limit: 10}}, func(c crm.Client) error {
		found = found || c.Email == sampleEmail
		return nil
	})
	if err != nil {
		return err
	}
	if found {
		return crm.Errorf(crm.CodeConflict, "the demo data is already loaded in this database (client %s exists)", sampleEmail)
	}
	return nil
}

type staffMember struct {
	person
	role           crm.Role
	password, hash string
}

// newStaff chooses random passwords and hashes them in parallel (the hasher
// runs at most one per core).
func newStaff(h Hasher) ([]staffMember, error) {
	var staff []staffMember
	for _, p := range salesStaff {
		staff = append(staff, staffMember{person: p, role: crm.RoleSales})
	}
	for _, p := range supportStaff {
		staff = append(staff, staffMember{person: p, role: crm.RoleSupport})
	}
	errs := make([]error, len(staff))
	var wg sync.WaitGroup
	for i := range staff {
		staff[i].password = password()
		wg.Go(func() {
			staff[i].hash, errs[i] = h.Hash(staff[i].password)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return staff, nil
}

// password returns 20 random characters in four groups (about 100 bits),
// easy to copy and not in any list of common passwords.
func password() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	b := make([]byte, 20)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	var sb strings.Builder
	for i, c := range b {
		if i > 0 && i%5 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return sb.String()
}

// createStaff adds one employee, with a number after the name in the email
// when the plain one is taken.
func createStaff(ctx context.Context, q crm.Queries, s staffMember, now time.Time) (crm.Employee, error) {
	local := asciiLower(s.first) + "." + asciiLower(s.last)
	for i := 1; ; i++ {
		email := local + "@" + staffDomain
		if i > 1 {
			email = local + strconv.Itoa(i) + "@" + staffDomain
		}
		_, _, err := q.GetEmployeeByEmail(ctx, email)
		if crm.ErrorCode(err) == crm.CodeNotFound {
			return q.CreateEmployee(ctx, crm.Employee{FirstName: s.first, LastName: s.last, Email: email,
				Role: s.role, Active: true, CreatedAt: now, UpdatedAt: now}, s.hash)
		}
		if err != nil {
			return crm.Employee{}, err
		}
	}
}

// gen makes the rows. Every value of row k of a table comes from a generator
// seeded with (seed, table, k), so a contract can recompute its client and an
// event its contract without keeping either.
type gen struct {
	seed           uint64
	now            time.Time
	n              int
	next           sqlstore.BulkIDs
	sales, support []int64
	manager        int64 // records the refunds
	contractIDs    idMap
	eventIDs       idMap

	pcgClient, pcgContract, pcgEvent, pcgPayment mrand.PCG
	rClient, rContract, rEvent, rPayment         *mrand.Rand
}

func newGen(o Options, next sqlstore.BulkIDs) *gen {
	g := &gen{seed: o.Seed, now: o.Now, n: o.Clients, next: next,
		contractIDs: newIDMap(next.Contract, johnContractID, jackyContractID),
		eventIDs:    newIDMap(next.Event, johnWeddingID, lousBouzinAssemblyID),
	}
	g.rClient, g.rContract, g.rEvent = mrand.New(&g.pcgClient), mrand.New(&g.pcgContract), mrand.New(&g.pcgEvent)
	g.rPayment = mrand.New(&g.pcgPayment)
	return g
}

// Table numbers, to seed each table's generator apart.
const (
	tableClients uint64 = iota + 1
	tableContracts
	tableEvents
	tableEventContract
	tablePayments
)

func (g *gen) rng(pcg *mrand.PCG, r *mrand.Rand, table uint64, k int) *mrand.Rand {
	pcg.Seed(g.seed^(table*0x9E3779B97F4A7C15), uint64(k))
	return r
}

// idMap gives generated row k an id from next on, leaving out the ids that
// sample records keep (those not yet given by the database).
type idMap struct {
	next     int64
	reserved []int64 // ascending
}

func newIDMap(next int64, wanted ...int64) idMap {
	m := idMap{next: next}
	for _, w := range wanted {
		if w >= next {
			m.reserved = append(m.reserved, w)
		}
	}
	slices.Sort(m.reserved)
	return m
}

func (m idMap) id(k int) int64 {
	id := m.next + int64(k)
	for _, r := range m.reserved {
		if r <= id {
			id++
		}
	}
	return id
}

// sampleIDs returns the ids of the sample rows that want the given ids: the
// wanted id when reserved, else the ids after the n generated rows.
func (m idMap) sampleIDs(n int, wanted ...int64) []int64 {
	ids := make([]int64, len(wanted))
	extra := n
	for i, w := range wanted {
		if slices.Contains(m.reserved, w) {
			ids[i] = w
		} else {
			ids[i] = m.id(extra)
			extra++
		}
	}
	return ids
}

func pick[T any](r *mrand.Rand, s []T) T { return s[r.IntN(len(s))] }

// between returns a whole-second time in [from, to] (from when to < from).
func between(r *mrand.Rand, from, to time.Time) time.Time {
	d := to.Sub(from)
	if d <= 0 {
		return from
	}
	return from.Add(time.Duration(r.Int64N(int64(d/time.Second)+1)) * time.Second)
}

const day = 24 * time.Hour

func (g *gen) clientID(k int) int64 { return g.next.Client + int64(k) }

// client returns generated client k.
func (g *gen) client(k int) crm.Client {
	r := g.rng(&g.pcgClient, g.rClient, tableClients, k)
	id := g.clientID(k)
	c := crm.Client{ID: id, FirstName: pick(r, firstNames), LastName: pick(r, lastNames)}
	c.CreatedAt = between(r, g.now.Add(-3*365*day), g.now.Add(-7*day))
	c.UpdatedAt = between(r, c.CreatedAt, g.now)
	c.SalesContactID = pick(r, g.sales)
	domain := pick(r, freeMailDomains)
	if r.IntN(100) < 85 {
		head, tail := pick(r, companyHeads), pick(r, companyTails)
		company := strings.TrimSpace(head + " " + tail + " " + pick(r, companySuffixes))
		c.CompanyName = &company
		if r.IntN(2) == 0 {
			domain = asciiLower(head+tail) + pick(r, []string{".com", ".fr", ".eu", ".io"})
		}
	}
	c.Email = asciiLower(c.FirstName) + "." + asciiLower(c.LastName) + strconv.FormatInt(id, 10) + "@" + domain
	if r.IntN(100) < 80 {
		plan := pick(r, phonePlans)
		var sb strings.Builder
		sb.WriteString(plan.prefix)
		for i := range plan.digits {
			d := r.IntN(10)
			if i == 0 && strings.HasPrefix(plan.prefix, "+1") {
				d = 2 + r.IntN(8) // a North American exchange starts with 2–9
			}
			sb.WriteByte(byte('0' + d))
		}
		p := sb.String()
		c.Phone = &p
	}
	return c
}

// contract returns generated contract k, the contract of client k.
func (g *gen) contract(k int) (crm.Contract, crm.Client) {
	cl := g.client(k)
	r := g.rng(&g.pcgContract, g.rContract, tableContracts, k)
	c := crm.Contract{ID: g.contractIDs.id(k), ClientID: cl.ID, SalesContactID: cl.SalesContactID}
	c.CreatedAt = between(r, cl.CreatedAt, minTime(cl.CreatedAt.Add(90*day), g.now))
	c.TotalAmount = crm.Cents(r.IntN(990)+10) * 5000 // 500.00 to 49,950.00, by 50
	c.AmountDue = c.TotalAmount
	c.UpdatedAt = c.CreatedAt
	if r.IntN(100) < 70 {
		at := between(r, c.CreatedAt, minTime(c.CreatedAt.Add(30*day), g.now))
		c.Signed, c.SignedAt = true, &at
		switch x := r.IntN(100); {
		case x < 45:
			c.AmountDue = 0
		case x < 75:
			c.AmountDue = c.TotalAmount * crm.Cents(1+r.IntN(9)) / 10 / 100 * 100
		}
		c.UpdatedAt = between(r, at, g.now)
	} else if r.IntN(3) == 0 {
		c.UpdatedAt = between(r, c.CreatedAt, g.now)
	}
	return c, cl
}

// event returns generated event k, on a signed contract: that of client k when
// signed, else another one chosen from k.
func (g *gen) event(k int) crm.Event {
	ct, cl := g.contract(k)
	pr := g.rng(&g.pcgEvent, g.rEvent, tableEventContract, k)
	for try := 0; !ct.Signed; try++ {
		if try == 64 {
			// So few contracts that none is signed (a tiny --clients): the
			// sample John Ouick contract is.
			ct, cl = g.sampleContracts()[0], g.sampleClients()[1]
			break
		}
		ct, cl = g.contract(pr.IntN(g.n))
	}
	r := g.rng(&g.pcgEvent, g.rEvent, tableEvents, k)
	e := crm.Event{ID: g.eventIDs.id(k), ContractID: ct.ID}
	start := ct.SignedAt.Add(7*day + time.Duration(r.IntN(420))*day).Truncate(day)
	start = start.Add(time.Duration(8+r.IntN(12))*time.Hour + time.Duration(r.IntN(2)*30)*time.Minute)
	e.Start, e.End = start, start.Add(time.Duration(2+r.IntN(12))*time.Hour)
	if cl.CompanyName != nil {
		e.Name = strings.Fields(*cl.CompanyName)[0] + " " + pick(r, businessKinds)
	} else {
		e.Name = cl.FirstName + " " + cl.LastName + " " + pick(r, privateKinds)
	}
	if r.IntN(2) == 0 {
		e.Location = pick(r, venues) + ", " + pick(r, cities) + ", France"
	} else {
		e.Location = strconv.Itoa(1+r.IntN(120)) + " " + pick(r, streets) + ", " + pick(r, cities) + ", France"
	}
	e.Attendees = 10 + r.IntN(390)
	if r.IntN(2) == 0 {
		n := pick(r, notes)
		e.Notes = &n
	}
	assigned := 55
	if e.Start.Before(g.now) {
		assigned = 92
	}
	if r.IntN(100) < assigned {
		s := pick(r, g.support)
		e.SupportContactID = &s
	}
	e.CreatedAt = between(r, *ct.SignedAt, minTime(ct.SignedAt.Add(5*day), g.now))
	e.UpdatedAt = between(r, e.CreatedAt, minTime(e.End, g.now))
	return e
}

// Ledgers. A deposit of about 30% soon after the signature, the balance
// later; a few contracts have a refund: part of the deposit given back (the
// balance then makes up for it), or a deposit given back in full (the event
// cancelled; the contract is due in full again). Entries are recorded by the
// contract's sales contact, refunds by a manager, between the signature and
// the contract's last update, so that its amount due is what the ledger
// says.
var (
	depositMethods = []string{crm.MethodTransfer, crm.MethodTransfer, crm.MethodCard, crm.MethodCheque}
	balanceMethods = []string{crm.MethodTransfer, crm.MethodTransfer, crm.MethodTransfer, crm.MethodCard, crm.MethodCash, crm.MethodCheque}
	partialReasons = []string{"Guest count reduced", "Catering option dropped", "Second day cancelled", "Discount agreed after a complaint"}
	fullReasons    = []string{"Event cancelled by the client", "Event cancelled: venue unavailable", "Client withdrew within the cooling-off period"}
)

// ledger appends to out the entries of contract c (generated contract k),
// numbered from *id on.
func (g *gen) ledger(k int, c crm.Contract, id *int64, out []crm.Payment) []crm.Payment {
	if !c.Signed {
		return out // an unsigned contract is due in full, and nothing was paid
	}
	r := g.rng(&g.pcgPayment, g.rPayment, tablePayments, k)
	paid := c.TotalAmount - c.AmountDue
	deposit := max(c.TotalAmount*30/100/100*100, 100)
	refund := r.IntN(100) < 5
	switch {
	case paid == 0 && !refund:
		return out
	case paid == 0:
		deposit = min(deposit, c.TotalAmount)
	case deposit >= paid:
		deposit, refund = paid, false
	}
	due := c.TotalAmount
	at := between(r, *c.SignedAt, minTime(c.SignedAt.Add(10*day), c.UpdatedAt))
	add := func(p crm.Payment) crm.Payment {
		p.ID, p.ContractID, p.RecordedAt = *id, c.ID, at
		if p.RecordedByID == 0 {
			p.RecordedByID = c.SalesContactID
		}
		if p.ReceivedOn == "" {
			p.ReceivedOn = at.Format(time.DateOnly)
		}
		if p.Kind == crm.KindPayment {
			due -= p.Amount
		} else {
			due += p.Amount
		}
		p.AmountDueAfter = due
		*id++
		out = append(out, p)
		return p
	}
	first := add(crm.Payment{Kind: crm.KindPayment, Amount: deposit, Method: pick(r, depositMethods),
		Reference: reference(c.ID, 1)})
	var givenBack crm.Cents
	if refund {
		at = between(r, at, c.UpdatedAt)
		reason := pick(r, fullReasons)
		givenBack = deposit
		if paid > 0 {
			givenBack = max(deposit*crm.Cents(10+r.IntN(41))/100/100*100, 100)
			reason = pick(r, partialReasons)
		}
		add(crm.Payment{Kind: crm.KindRefund, Amount: givenBack, Method: first.Method, RefundOf: &first.ID,
			Reason: reason, RecordedByID: g.manager})
	}
	if balance := paid - deposit + givenBack; paid > 0 && balance > 0 {
		at = between(r, at, c.UpdatedAt)
		add(crm.Payment{Kind: crm.KindPayment, Amount: balance, Method: pick(r, balanceMethods), Reference: reference(c.ID, 2)})
	}
	return out
}

// reference is what the client wrote on a transfer: the invoice of the
// contract's nth instalment.
func reference(contractID int64, n int) string {
	return "INV-" + strconv.FormatInt(contractID, 10) + "-" + strconv.Itoa(n)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// The sample records. Their times are those of France (UTC+2 in
// spring and summer), where the events take place.
var paris = time.FixedZone("CEST", 2*3600)

func ptr[T any](v T) *T { return &v }

func (g *gen) sampleClients() []crm.Client {
	bill := g.sales[0] // Bill Boquet
	base := g.clientID(g.n)
	return []crm.Client{
		{ID: base, FirstName: "Kevin", LastName: "Casey", Email: sampleEmail, Phone: ptr("+67812345678"),
			CompanyName: ptr("Cool Startup LLC"), SalesContactID: bill,
			CreatedAt: time.Date(2021, 4, 18, 10, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2023, 3, 29, 16, 30, 0, 0, time.UTC)},
		{ID: base + 1, FirstName: "John", LastName: "Ouick", Email: "john.ouick@gmail.com", Phone: ptr("+12345678901"),
			SalesContactID: bill,
			CreatedAt:      time.Date(2022, 11, 3, 9, 15, 0, 0, time.UTC), UpdatedAt: time.Date(2023, 6, 6, 8, 0, 0, 0, time.UTC)},
		{ID: base + 2, FirstName: "Jacky", LastName: "Blangier", Email: "jacky@loubouzin.grd", Phone: ptr("+66612345"),
			CompanyName: ptr("Lou Bouzin"), SalesContactID: g.sales[1%len(g.sales)],
			CreatedAt: time.Date(2022, 12, 12, 14, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2023, 5, 6, 9, 0, 0, 0, time.UTC)},
	}
}

func (g *gen) sampleContracts() []crm.Contract {
	cl := g.sampleClients()
	ids := g.contractIDs.sampleIDs(g.n, johnContractID, jackyContractID)
	johnSigned := time.Date(2023, 1, 20, 10, 0, 0, 0, time.UTC)
	jackySigned := time.Date(2023, 2, 15, 11, 0, 0, 0, time.UTC)
	return []crm.Contract{
		{ID: ids[0], ClientID: cl[1].ID, SalesContactID: cl[1].SalesContactID, TotalAmount: 1_200_000, AmountDue: 0,
			Signed: true, SignedAt: &johnSigned, CreatedAt: time.Date(2023, 1, 10, 9, 0, 0, 0, time.UTC),
			UpdatedAt: time.Date(2023, 6, 6, 8, 0, 0, 0, time.UTC)},
		{ID: ids[1], ClientID: cl[2].ID, SalesContactID: cl[2].SalesContactID, TotalAmount: 350_000, AmountDue: 100_000,
			Signed: true, SignedAt: &jackySigned, CreatedAt: time.Date(2023, 2, 1, 15, 0, 0, 0, time.UTC),
			UpdatedAt: time.Date(2023, 5, 6, 9, 0, 0, 0, time.UTC)},
	}
}

func (g *gen) sampleEvents() []crm.Event {
	ct := g.sampleContracts()
	ids := g.eventIDs.sampleIDs(g.n, johnWeddingID, lousBouzinAssemblyID)
	kate, alienor := g.support[0], g.support[1%len(g.support)]
	return []crm.Event{
		{ID: ids[0], ContractID: ct[0].ID, Name: "John Ouick Wedding",
			Start: time.Date(2023, 6, 4, 13, 0, 0, 0, paris), End: time.Date(2023, 6, 5, 2, 0, 0, 0, paris),
			SupportContactID: &kate, Location: "53 Rue du Château, 41120 Candé-sur-Beuvron, France", Attendees: 75,
			Notes:     ptr("Wedding starts at 3PM, by the river. Catering is organized, reception starts at 5PM. Kate needs to organize the DJ for after party."),
			CreatedAt: time.Date(2023, 1, 21, 10, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2023, 6, 5, 9, 0, 0, 0, time.UTC)},
		{ID: ids[1], ContractID: ct[1].ID, Name: "Lou Bouzin General Assembly",
			Start: time.Date(2023, 5, 5, 15, 0, 0, 0, paris), End: time.Date(2023, 5, 5, 17, 0, 0, 0, paris),
			SupportContactID: &alienor, Location: "Salle des fêtes de Mufflins", Attendees: 200,
			CreatedAt: time.Date(2023, 2, 16, 10, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2023, 5, 6, 9, 0, 0, 0, time.UTC)},
	}
}

// sampleLedgers are the ledgers of the sample contracts: John Ouick's paid in
// full (a deposit, then the balance after the wedding), the Lou Bouzin
// assembly's deposit.
func (g *gen) sampleLedgers(id *int64) []crm.Payment {
	ct := g.sampleContracts()
	entry := func(c crm.Contract, amount crm.Cents, method, ref string, at time.Time, due crm.Cents) crm.Payment {
		p := crm.Payment{ID: *id, ContractID: c.ID, Kind: crm.KindPayment, Amount: amount, Method: method,
			Reference: ref, ReceivedOn: at.Format(time.DateOnly), RecordedByID: c.SalesContactID,
			RecordedAt: at, AmountDueAfter: due}
		*id++
		return p
	}
	return []crm.Payment{
		entry(ct[0], 360_000, crm.MethodTransfer, reference(ct[0].ID, 1), time.Date(2023, 1, 23, 9, 30, 0, 0, time.UTC), 840_000),
		entry(ct[0], 840_000, crm.MethodTransfer, reference(ct[0].ID, 2), time.Date(2023, 6, 6, 8, 0, 0, 0, time.UTC), 0),
		entry(ct[1], 250_000, crm.MethodCheque, "Cheque 4411207", time.Date(2023, 2, 17, 14, 0, 0, 0, time.UTC), 100_000),
	}
}

// The row streams, generated rows first, then the samples.

func (g *gen) clients() iter.Seq[crm.Client] {
	return func(yield func(crm.Client) bool) {
		for k := range g.n {
			if !yield(g.client(k)) {
				return
			}
		}
		for _, c := range g.sampleClients() {
			if !yield(c) {
				return
			}
		}
	}
}

func (g *gen) contracts() iter.Seq[crm.Contract] {
	return func(yield func(crm.Contract) bool) {
		for k := range g.n {
			c, _ := g.contract(k)
			if !yield(c) {
				return
			}
		}
		for _, c := range g.sampleContracts() {
			if !yield(c) {
				return
			}
		}
	}
}

func (g *gen) payments() iter.Seq[crm.Payment] {
	return func(yield func(crm.Payment) bool) {
		id := g.next.Payment
		var buf []crm.Payment
		for k := range g.n {
			c, _ := g.contract(k)
			buf = g.ledger(k, c, &id, buf[:0])
			for _, p := range buf {
				if !yield(p) {
					return
				}
			}
		}
		for _, p := range g.sampleLedgers(&id) {
			if !yield(p) {
				return
			}
		}
	}
}

func (g *gen) events() iter.Seq[crm.Event] {
	return func(yield func(crm.Event) bool) {
		for k := range g.n {
			if !yield(g.event(k)) {
				return
			}
		}
		for _, e := range g.sampleEvents() {
			if !yield(e) {
				return
			}
		}
	}
}

// asciiLower spells a name for an email address: lower case, accents
// dropped, anything but letters and digits left out.
func asciiLower(s string) string {
	var sb strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			sb.WriteRune(r)
		default:
			if a, ok := unaccent[r]; ok {
				sb.WriteByte(a)
			}
		}
	}
	return sb.String()
}

var unaccent = map[rune]byte{
	'à': 'a', 'â': 'a', 'ä': 'a', 'á': 'a', 'ç': 'c', 'é': 'e', 'è': 'e', 'ê': 'e', 'ë': 'e',
	'í': 'i', 'î': 'i', 'ï': 'i', 'ñ': 'n', 'ó': 'o', 'ô': 'o', 'ö': 'o', 'ú': 'u', 'ù': 'u',
	'û': 'u', 'ü': 'u', 'ÿ': 'y',
}
