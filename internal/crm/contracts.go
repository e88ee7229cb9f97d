package crm

import "context"

// GetContract returns one contract; everyone may read every contract.
func (s *Service) GetContract(ctx context.Context, id int64) (Contract, error) {
	if _, err := s.authorize(ctx, ActRead); err != nil {
		return Contract{}, err
	}
	return s.store.GetContract(ctx, id)
}

// ListContracts streams contracts to emit, newest first. Mine selects the
// contracts whose sales contact the caller is.
func (s *Service) ListContracts(ctx context.Context, f ContractFilter, emit Emit[Contract]) (string, error) {
	actor, err := s.authorize(ctx, ActRead)
	if err != nil {
		return "", err
	}
	if f.Mine && !mineAsSales(actor, &f.SalesContactID) {
		return "", nil
	}
	return s.store.ListContracts(ctx, f, emit)
}

func checkAmounts(v *Validator, total Cents, due Cents) {
	switch {
	case total <= 0:
		v.Add("total_amount", "must be more than 0")
	case total > MaxAmount:
		v.Add("total_amount", "must be at most "+MaxAmount.String())
	}
	switch {
	case due < 0:
		v.Add("amount_due", "must not be negative")
	case due > total && total > 0:
		v.Add("amount_due", "must not exceed the total amount ("+total.String()+")")
	}
}

// CreateContract adds a contract for a client (MANAGEMENT only). Its sales
// contact is the client's; the amount due defaults to the total.
func (s *Service) CreateContract(ctx context.Context, in NewContract) (Contract, error) {
	actor, err := s.authorize(ctx, ActCreateContract)
	if err != nil {
		return Contract{}, err
	}
	var v Validator
	positiveID(&v, "client_id", in.ClientID)
	due := in.TotalAmount
	if in.AmountDue != nil {
		due = *in.AmountDue
	}
	checkAmounts(&v, in.TotalAmount, due)
	if err := v.Err(); err != nil {
		return Contract{}, err
	}
	now := s.now()
	var (
		c       Contract
		opening Payment
	)
	err = s.store.InTx(ctx, func(q Queries) error {
		client, err := q.GetClient(ctx, in.ClientID)
		if err != nil {
			return err
		}
		c = Contract{ClientID: client.ID, SalesContactID: client.SalesContactID, TotalAmount: in.TotalAmount,
			AmountDue: due, Signed: in.Signed, CreatedAt: now, UpdatedAt: now}
		if in.Signed {
			c.SignedAt = &now
		}
		if c, err = q.CreateContract(ctx, c); err != nil {
			return err
		}
		if err := s.audit(ctx, q, &actor, "contract.create", "contract", c.ID, diff(nil, &c)); err != nil {
			return err
		}
		if due == in.TotalAmount {
			return nil
		}
		// What was paid before the contract was recorded is an ordinary
		// payment of the ledger, so that the amount due is explained by it.
		// The contract is created with its final amount due; the entry
		// says what it was before.
		opening = Payment{ContractID: c.ID, Kind: KindPayment, Amount: in.TotalAmount - due, Method: MethodOther,
			Reference: OpeningReference, ReceivedOn: now.In(s.cfg.Location).Format(DateLayout), AmountDueAfter: due}
		opening, err = s.addEntry(ctx, q, actor, Contract{ID: c.ID, AmountDue: in.TotalAmount}, opening, now)
		return err
	})
	if err != nil {
		return Contract{}, err
	}
	if in.Signed {
		s.notify(ctx, "contract.sign", actor, c.ID)
	}
	if opening.ID != 0 {
		s.notifyEntry(ctx, actor, opening)
	}
	return c, nil
}

// UpdateContract changes the amounts: MANAGEMENT any contract, SALES those whose
// sales contact they are. Once signed, only MANAGEMENT changes the total,
// and the sales contact may only lower the amount due.
//
// The amount due follows the ledger. A new total sets it to the new total
// minus what has been paid net, with no ledger entry, and may not be below
// what has been paid net. A lower amount due records a payment of the
// difference (method other); a higher one is refused: money given back is a
// refund.
func (s *Service) UpdateContract(ctx context.Context, id int64, p ContractPatch) (Contract, error) {
	actor, err := s.authorize(ctx, ActUpdateContract)
	if err != nil {
		return Contract{}, err
	}
	if p.TotalAmount == nil && p.AmountDue == nil {
		return Contract{}, errNothingToChange
	}
	now := s.now()
	var (
		after   Contract
		payment Payment
	)
	err = s.store.InTx(ctx, func(q Queries) error {
		before, err := fresh(ctx, id, q.GetContract)
		if err != nil {
			return err
		}
		if err := check(actor, ActUpdateContract, OwnsContract(actor.Employee, before)); err != nil {
			return err
		}
		total, due := before.TotalAmount, before.AmountDue
		if p.TotalAmount != nil {
			total = *p.TotalAmount
		}
		if p.AmountDue != nil {
			due = *p.AmountDue
		}
		if !MayChangeTotal(actor.Employee, before) {
			if total != before.TotalAmount {
				return Errorf(CodeForbidden, "permission denied: contract %d is signed; only MANAGEMENT may change its total", id)
			}
			if due > before.AmountDue {
				return Errorf(CodeForbidden, "permission denied: contract %d is signed; you may only lower its amount due (now %s)", id, before.AmountDue)
			}
		}
		// Without a new amount due, the one that follows the new total is
		// checked below, against what has been paid.
		var v Validator
		given := Cents(0)
		if p.AmountDue != nil {
			given = due
		}
		checkAmounts(&v, total, given)
		if err := v.Err(); err != nil {
			return err
		}
		// amount_due = total − paid net holds for every contract (the
		// ledger's rule), so what has been paid net is read off the row.
		paidNet := before.TotalAmount - before.AmountDue
		newDue := before.AmountDue
		after = before
		if total != before.TotalAmount {
			if total < paidNet {
				return Errorf(CodeConflict, "%s has been paid on contract %d; its total cannot be less than that (refund first)",
					paidNet, id)
			}
			newDue = total - paidNet
			t := total
			if after, err = q.UpdateContract(ctx, id, ContractUpdate{TotalAmount: &t, AmountDue: &newDue}, now); err != nil {
				return err
			}
			if err := s.audit(ctx, q, &actor, "contract.update", "contract", id, diff(&before, &after)); err != nil {
				return err
			}
		}
		if p.AmountDue == nil || due == newDue {
			return nil
		}
		if due > newDue {
			return Errorf(CodeConflict, "the amount due of contract %d is %s and only a refund raises it: record a refund of the payment concerned (`epicevents contracts refund %d --payment ID --reason TEXT`)",
				id, newDue, id)
		}
		payment, err = s.pay(ctx, q, actor, after,
			Payment{Amount: newDue - due, Method: MethodOther, ReceivedOn: now.In(s.cfg.Location).Format(DateLayout)}, now)
		if err != nil {
			return err
		}
		after, err = q.GetContract(ctx, id)
		return err
	})
	if err != nil {
		return Contract{}, err
	}
	if payment.ID != 0 {
		s.notifyEntry(ctx, actor, payment)
	}
	return after, nil
}

// SignContract marks a contract signed, for good: MANAGEMENT or its sales contact.
func (s *Service) SignContract(ctx context.Context, id int64) (Contract, error) {
	actor, err := s.authorize(ctx, ActUpdateContract)
	if err != nil {
		return Contract{}, err
	}
	var after Contract
	err = s.store.InTx(ctx, func(q Queries) error {
		before, err := fresh(ctx, id, q.GetContract)
		if err != nil {
			return err
		}
		if err := check(actor, ActUpdateContract, OwnsContract(actor.Employee, before)); err != nil {
			return err
		}
		if before.Signed {
			return Errorf(CodeConflict, "contract %d is already signed", id)
		}
		now := s.now()
		if after, err = q.UpdateContract(ctx, id, ContractUpdate{SignedAt: &now}, now); err != nil {
			return err
		}
		return s.audit(ctx, q, &actor, "contract.sign", "contract", id, diff(&before, &after))
	})
	if err == nil {
		s.notify(ctx, "contract.sign", actor, id)
	}
	return after, err
}

// ReassignContract gives one contract another active SALES contact
// (MANAGEMENT only).
func (s *Service) ReassignContract(ctx context.Context, id, salesContactID int64) (Contract, error) {
	actor, err := s.authorize(ctx, ActReassignContract)
	if err != nil {
		return Contract{}, err
	}
	var after Contract
	err = s.store.InTx(ctx, func(q Queries) error {
		before, err := fresh(ctx, id, q.GetContract)
		if err != nil {
			return err
		}
		if _, err := assignee(ctx, q, "sales_contact_id", salesContactID, RoleSales); err != nil {
			return err
		}
		if after, err = q.UpdateContract(ctx, id, ContractUpdate{SalesContactID: &salesContactID}, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, q, &actor, "contract.reassign", "contract", id, diff(&before, &after))
	})
	return after, err
}
