package webui

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/epicevents/epicevents/internal/crm"
)

func TestContractsList(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		link := func(key string) string { return fmt.Sprintf(`href="/contracts/%d"`, w.contract(key).ID) }
		bill := w.loginAs(crm.RoleSales)
		r := bill.get("/contracts")
		wantStatus(t, r, http.StatusOK)
		wantIn(t, r.Body, link("wedding"), link("assembly"), link("kevinSigned"), link("leaUnsigned"),
			"20000.00", "8000.00", `id="contracts-mine"`)
		// Newest first.
		if i, j := strings.Index(r.Body, link("leaUnsigned")), strings.Index(r.Body, link("wedding")); i > j {
			t.Error("the newest contract is not first")
		}
		for _, c := range []struct {
			query      string
			want, none []string
		}{
			{"unsigned=1", []string{"kevinUnsigned", "leaUnsigned"}, []string{"kevinSigned", "wedding"}},
			{"unpaid=1", []string{"kevinSigned", "leaSigned", "kevinUnsigned"}, []string{"wedding", "assembly"}},
			{"mine=1", []string{"wedding", "kevinSigned", "kevinUnsigned"}, []string{"assembly", "leaSigned"}},
			{"mine=1&unsigned=1", []string{"kevinUnsigned"}, []string{"kevinSigned", "leaUnsigned"}},
			{fmt.Sprintf("client_id=%d", w.client("lea").ID), []string{"leaSigned", "leaUnsigned"}, []string{"kevinSigned"}},
		} {
			r := bill.get("/contracts?" + c.query)
			wantStatus(t, r, http.StatusOK)
			for _, k := range c.want {
				if !strings.Contains(r.Body, link(k)) {
					t.Errorf("%s: %s missing", c.query, k)
				}
			}
			for _, k := range c.none {
				if strings.Contains(r.Body, link(k)) {
					t.Errorf("%s: %s listed", c.query, k)
				}
			}
		}
		wantIn(t, bill.get(fmt.Sprintf("/contracts?client_id=%d", w.client("lea").ID)).Body, "Contracts of Léa Martin")
		for _, bad := range []string{"/contracts?unsigned=yes", "/contracts?client_id=x"} {
			wantStatus(t, bill.get(bad), http.StatusBadRequest)
		}
		wantStatus(t, bill.get("/contracts?client_id=999999"), http.StatusNotFound)
		// Only a sales rep has contracts of their own to filter by.
		wantNotIn(t, w.loginAs(crm.RoleManagement).get("/contracts").Body, `id="contracts-mine"`)
	})
}

func TestContractCreate(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		kevin := w.client("kevin")
		newPath := fmt.Sprintf("/contracts/new?client_id=%d", kevin.ID)
		ada := w.loginAs(crm.RoleManagement)
		r := ada.get(newPath)
		wantStatus(t, r, http.StatusOK)
		wantIn(t, r.Body, "New contract for Kevin Casey", `<label for="contract-total-amount">Total amount</label>`,
			`<label for="contract-amount-due">Amount due</label>`, "such as 1500 or 1500.50",
			fmt.Sprintf(`name="client_id" value="%d"`, kevin.ID))

		count := func() int {
			n := 0
			if _, err := w.svc.ListContracts(w.as("ada"), crm.ContractFilter{ClientID: &kevin.ID}, func(crm.Contract) error { n++; return nil }); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := count()
		id := strconv.FormatInt(kevin.ID, 10)
		for _, c := range []struct {
			form  url.Values
			field string
		}{
			{url.Values{"client_id": {id}, "total_amount": {"12,50"}}, "total-amount"},
			{url.Values{"client_id": {id}, "total_amount": {"100.123"}}, "total-amount"},
			{url.Values{"client_id": {id}, "total_amount": {""}}, "total-amount"},
			{url.Values{"client_id": {id}, "total_amount": {"0"}}, "total-amount"},
			{url.Values{"client_id": {id}, "total_amount": {"100"}, "amount_due": {"150"}}, "amount-due"},
		} {
			r := ada.post("/contracts", c.form)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantIn(t, r.Body, `id="contract-`+c.field+`-error"`)
			if v := c.form.Get("total_amount"); v != "" {
				wantIn(t, r.Body, `value="`+v+`"`)
			}
		}
		if n := count(); n != before {
			t.Fatalf("invalid forms created %d contracts", n-before)
		}

		r = ada.post("/contracts", url.Values{"client_id": {id}, "total_amount": {"1500.5"}, "amount_due": {"500"}})
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location(), "/contracts/") {
			t.Fatalf("status %d to %q:\n%s", r.Status, r.Location(), r.Body)
		}
		kid, _ := strconv.ParseInt(strings.TrimPrefix(r.Location(), "/contracts/"), 10, 64)
		k, err := w.svc.GetContract(w.as("ada"), kid)
		if err != nil {
			t.Fatal(err)
		}
		if k.TotalAmount != 150050 || k.AmountDue != 50000 || k.Signed || k.ClientID != kevin.ID || k.SalesContactID != w.person("bill").ID {
			t.Errorf("created %+v", k)
		}
		wantIn(t, ada.get(r.Location()).Body, fmt.Sprintf("Contract %d created.", kid), "1500.50 €", "500.00 €")

		// Created signed: the contract's page offers its sales contact a new event.
		r = ada.post("/contracts", url.Values{"client_id": {id}, "total_amount": {"100"}, "signed": {"1"}})
		wantStatus(t, r, http.StatusSeeOther)
		sid, _ := strconv.ParseInt(strings.TrimPrefix(r.Location(), "/contracts/"), 10, 64)
		if k, _ := w.svc.GetContract(w.as("ada"), sid); !k.Signed || k.AmountDue != 100_00 {
			t.Errorf("created signed: %+v", k)
		}
		before++

		// Sales reps and support do not create contracts.
		for _, role := range []crm.Role{crm.RoleSales, crm.RoleSupport} {
			c := w.loginAs(role)
			wantStatus(t, c.get(newPath), http.StatusForbidden)
			wantStatus(t, c.post("/contracts", url.Values{"client_id": {id}, "total_amount": {"100"}}), http.StatusForbidden)
			wantStatus(t, c.post("/contracts", url.Values{"client_id": {id}, "total_amount": {"bad"}}), http.StatusForbidden)
		}
		if n := count(); n != before+1 {
			t.Errorf("%d contracts created, want 1", n-before)
		}
		wantStatus(t, ada.post("/contracts", url.Values{"client_id": {id}, "total_amount": {"100"}, "signed": {"maybe"}}), http.StatusBadRequest)
		if n := count(); n != before+1 {
			t.Errorf("a form with a bad signed box created a contract")
		}
		wantStatus(t, ada.get("/contracts/new"), http.StatusBadRequest)
		wantStatus(t, ada.get("/contracts/new?client_id=999999"), http.StatusNotFound)
		wantStatus(t, ada.post("/contracts", url.Values{"client_id": {"999999"}, "total_amount": {"100"}}), http.StatusNotFound)
	})
}

func TestContractPage(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		signed, unsigned := w.contract("kevinSigned"), w.contract("kevinUnsigned")
		r := w.loginAs(crm.RoleSupport).get(fmt.Sprintf("/contracts/%d", signed.ID))
		wantStatus(t, r, http.StatusOK)
		wantIn(t, r.Body, fmt.Sprintf("<h1>Contract %d</h1>", signed.ID), "Kevin Casey", "Bill Boquet", "20000.00 €", "8000.00 €",
			"Cool Startup Launch Party", "Cool Startup Board Dinner", "Station F", "150", "Aliénor Vichum")

		buttons := []string{`id="contract-edit"`, `id="contract-sign"`, `id="contract-reassign"`, `id="new-event"`}
		for _, c := range []struct {
			who  string
			k    crm.Contract
			want []bool
		}{
			{"kate", signed, []bool{false, false, false, false}},
			{"chloe", signed, []bool{false, false, false, false}},
			{"bill", signed, []bool{true, false, false, true}},
			{"bill", unsigned, []bool{true, true, false, false}},
			{"ada", signed, []bool{true, false, true, false}},
			{"ada", unsigned, []bool{true, true, true, false}},
		} {
			body := w.loginAsPerson(c.who).get(fmt.Sprintf("/contracts/%d", c.k.ID)).Body
			for i, b := range buttons {
				if strings.Contains(body, b) != c.want[i] {
					t.Errorf("%s on contract %d: %s shown: %v", c.who, c.k.ID, b, !c.want[i])
				}
			}
		}
		wantIn(t, w.loginAs(crm.RoleSales).get(fmt.Sprintf("/contracts/%d", signed.ID)).Body,
			fmt.Sprintf(`href="/events/new?contract_id=%d"`, signed.ID))
		for _, p := range []string{"/contracts/999999", "/contracts/x", "/contracts/999999/edit"} {
			wantStatus(t, w.loginAs(crm.RoleSales).get(p), http.StatusNotFound)
		}
	})
}

func TestContractEdit(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		unsigned, signed := w.contract("kevinUnsigned"), w.contract("kevinSigned")
		bill := w.loginAs(crm.RoleSales)
		path := fmt.Sprintf("/contracts/%d", unsigned.ID)
		r := bill.get(path + "/edit")
		wantStatus(t, r, http.StatusOK)
		wantIn(t, r.Body, `value="5000.00"`, `name="total_amount"`, `name="amount_due"`)
		version := inputValue(r.Body, "version")
		form := url.Values{"total_amount": {"6000"}, "amount_due": {"6000.5"}, "version": {version}}
		r = bill.post(path, form)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantIn(t, r.Body, `id="contract-amount-due-error"`, `value="6000.5"`)
		form.Set("amount_due", "abc")
		wantStatus(t, bill.post(path, form), http.StatusUnprocessableEntity)
		if k, _ := w.svc.GetContract(w.as("ada"), unsigned.ID); k.TotalAmount != 500_000 {
			t.Fatal("an invalid form changed the contract")
		}
		form.Set("amount_due", "5500")
		wantRedirect(t, bill.post(path, form), path)
		k, _ := w.svc.GetContract(w.as("ada"), unsigned.ID)
		if k.TotalAmount != 600_000 || k.AmountDue != 550_000 {
			t.Errorf("after the edit: %v / %v", k.TotalAmount, k.AmountDue)
		}
		// Stale: 409 with the current values, nothing overwritten.
		form.Set("total_amount", "7000")
		r = bill.post(path, form)
		wantStatus(t, r, http.StatusConflict)
		wantIn(t, r.Body, "changed since you opened it", `value="6000.00"`, `value="5500.00"`)
		if k, _ := w.svc.GetContract(w.as("ada"), unsigned.ID); k.TotalAmount != 600_000 {
			t.Error("a stale edit overwrote the total")
		}

		// A signed contract: its sales contact sees the total but may only
		// lower the amount due.
		spath := fmt.Sprintf("/contracts/%d", signed.ID)
		r = bill.get(spath + "/edit")
		wantStatus(t, r, http.StatusOK)
		wantNotIn(t, r.Body, `name="total_amount"`)
		wantIn(t, r.Body, "20000.00", `value="8000.00"`)
		sv := inputValue(r.Body, "version")
		// Raising the amount due is a refund's job, for everyone: 409.
		wantStatus(t, bill.post(spath, url.Values{"amount_due": {"9000"}, "version": {sv}}), http.StatusConflict)
		wantStatus(t, bill.post(spath, url.Values{"total_amount": {"30000"}, "amount_due": {"8000"}, "version": {sv}}), http.StatusForbidden)
		wantRedirect(t, bill.post(spath, url.Values{"amount_due": {"7000"}, "version": {sv}}), spath)
		if k, _ := w.svc.GetContract(w.as("ada"), signed.ID); k.TotalAmount != 2_000_000 || k.AmountDue != 700_000 {
			t.Errorf("signed contract after the edit: %v / %v", k.TotalAmount, k.AmountDue)
		}
		// A manager changes a signed total.
		ada := w.loginAs(crm.RoleManagement)
		r = ada.get(spath + "/edit")
		wantIn(t, r.Body, `name="total_amount"`)

		// Another sales rep may not.
		chloe := w.loginAsPerson("chloe")
		wantStatus(t, chloe.get(path+"/edit"), http.StatusForbidden)
		k, _ = w.svc.GetContract(w.as("ada"), unsigned.ID)
		wantStatus(t, chloe.post(path, url.Values{"total_amount": {"1"}, "amount_due": {"1"}, "version": {strconv.FormatInt(k.Version, 10)}}),
			http.StatusForbidden)
		wantStatus(t, chloe.post(path, url.Values{"amount_due": {"x"}, "version": {"1"}}), http.StatusForbidden)
		if k, _ := w.svc.GetContract(w.as("ada"), unsigned.ID); k.TotalAmount != 600_000 {
			t.Error("a refused edit changed the contract")
		}
	})
}

func TestContractSignAndReassign(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		unsigned := w.contract("kevinUnsigned")
		path := fmt.Sprintf("/contracts/%d", unsigned.ID)
		wantStatus(t, w.loginAsPerson("chloe").post(path+"/sign", url.Values{}), http.StatusForbidden)
		wantStatus(t, w.loginAs(crm.RoleSupport).post(path+"/sign", url.Values{}), http.StatusForbidden)
		bill := w.loginAs(crm.RoleSales)
		wantRedirect(t, bill.post(path+"/sign", confirmYes), path)
		if k, _ := w.svc.GetContract(w.as("ada"), unsigned.ID); !k.Signed {
			t.Fatal("not signed")
		}
		r := bill.get(path)
		wantIn(t, r.Body, fmt.Sprintf("Contract %d is signed.", unsigned.ID), `id="new-event"`)
		wantNotIn(t, r.Body, `id="contract-sign"`)
		r = bill.post(path+"/sign", url.Values{})
		wantStatus(t, r, http.StatusConflict)
		wantIn(t, r.Body, "already signed", `class="form-message"`, fmt.Sprintf("<h1>Contract %d</h1>", unsigned.ID))
		wantStatus(t, bill.post("/contracts/999999/sign", url.Values{}), http.StatusNotFound)

		// Reassign: MANAGEMENT only, to an active sales rep; the client stays.
		chloe := w.person("chloe")
		to := url.Values{"sales_contact_id": {strconv.FormatInt(chloe.ID, 10)}}
		wantStatus(t, bill.post(path+"/reassign", to), http.StatusForbidden)
		ada := w.loginAs(crm.RoleManagement)
		r = ada.post(path+"/reassign", url.Values{"sales_contact_id": {strconv.FormatInt(w.person("kate").ID, 10)}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantIn(t, r.Body, `id="reassign-sales-contact-id-error"`)
		wantRedirect(t, ada.post(path+"/reassign", to), path)
		if k, _ := w.svc.GetContract(w.as("ada"), unsigned.ID); k.SalesContactID != chloe.ID {
			t.Error("the contract was not reassigned")
		}
		if c, _ := w.svc.GetClient(w.as("ada"), w.client("kevin").ID); c.SalesContactID != w.person("bill").ID {
			t.Error("the client moved with one contract")
		}
		wantIn(t, ada.get(path).Body, "is now followed by Chloé Durand.")
	})
}

// TestContractPagesEscape: names shown on the contract pages are text.
func TestContractPagesEscape(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		bad := xss[0] + xss[1]
		c, err := w.svc.CreateClient(w.as("bill"), crm.NewClient{FirstName: xss[0], LastName: xss[1], Email: "xss@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		k, err := w.svc.CreateContract(w.as("ada"), crm.NewContract{ClientID: c.ID, TotalAmount: 100_00, Signed: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.CreateEvent(w.as("bill"), crm.NewEvent{ContractID: k.ID, Name: bad, Location: bad,
			Start: worldNow.Add(24 * 3600e9), End: worldNow.Add(25 * 3600e9)}); err != nil {
			t.Fatal(err)
		}
		ada := w.loginAs(crm.RoleManagement)
		for _, p := range []string{"/contracts", fmt.Sprintf("/contracts/%d", k.ID), fmt.Sprintf("/contracts/%d/edit", k.ID),
			fmt.Sprintf("/contracts/new?client_id=%d", c.ID), fmt.Sprintf("/contracts?client_id=%d", c.ID), fmt.Sprintf("/clients/%d", c.ID)} {
			r := ada.get(p)
			wantStatus(t, r, http.StatusOK)
			wantNotIn(t, r.Body, xss[0], xss[1])
			wantIn(t, r.Body, escaped(xss[0]))
		}
	})
}
