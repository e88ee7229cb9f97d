package crm

import (
	"context"
	"time"
)

// DueTotal is the money still due on contracts: on how many, and how much.
type DueTotal struct {
	Contracts int   `json:"contracts"`
	AmountDue Cents `json:"amount_due"`
}

// MonthTotal is the value of the contracts signed in one month.
type MonthTotal struct {
	// Month is the first instant of the month, in the company's zone.
	Month     time.Time `json:"month"`
	Contracts int       `json:"contracts"`
	Total     Cents     `json:"total"`
}

// PeriodTotal is the value of the contracts signed in one period, as the
// store adds it up.
type PeriodTotal struct {
	Contracts int
	Total     Cents
}

// MaxReportMonths caps the months SignedByMonth reports on.
const MaxReportMonths = 120

// AmountDueTotal adds up what is still due on contracts: on every contract,
// or, with mine, on those whose sales contact the caller is (nothing for
// another role than SALES, as a list of one's contracts). Whoever may read
// contracts may read it.
func (s *Service) AmountDueTotal(ctx context.Context, mine bool) (DueTotal, error) {
	actor, err := s.authorize(ctx, ActRead)
	if err != nil {
		return DueTotal{}, err
	}
	var sales *int64
	if mine && !mineAsSales(actor, &sales) {
		return DueTotal{}, nil
	}
	return s.store.SumAmountDue(ctx, sales)
}

// SignedByMonth is the value of the contracts signed in each of the last
// months months, the current one included, oldest first; months begin and
// end in the company's zone. Whoever may read contracts may read it.
func (s *Service) SignedByMonth(ctx context.Context, months int) ([]MonthTotal, error) {
	if _, err := s.authorize(ctx, ActRead); err != nil {
		return nil, err
	}
	if months < 1 || months > MaxReportMonths {
		return nil, Invalid("months", "must be between 1 and 120")
	}
	y, m, _ := s.now().In(s.cfg.Location).Date()
	bounds := make([]time.Time, months+1)
	for i := range bounds {
		bounds[i] = time.Date(y, m-time.Month(months-1-i), 1, 0, 0, 0, 0, s.cfg.Location)
	}
	sums, err := s.store.SumSigned(ctx, bounds)
	if err != nil {
		return nil, err
	}
	out := make([]MonthTotal, months)
	for i := range out {
		out[i] = MonthTotal{Month: bounds[i], Contracts: sums[i].Contracts, Total: sums[i].Total}
	}
	return out, nil
}
