package webui

import (
	"github.com/epicevents/epicevents/internal/crm"
)

// The chart of signed value per month is drawn on this grid (the viewBox of
// its SVG, which scales to the page's width): bars stand on the baseline,
// the tallest reaching barTop; month labels sit under the baseline.
const (
	chartWidth    = 480
	chartHeight   = 225
	chartBaseline = 190
	chartBarTop   = 25
)

// signedChart is the server-rendered chart of the value of the contracts
// signed per month, and the figures of its text table.
type signedChart struct {
	Width, Height, Baseline, Top int
	Bars                         []chartBar
	// Max is the largest monthly value (the top of the scale); Total the
	// value of the whole period, Contracts how many were signed.
	Max, Total crm.Cents
	Contracts  int
}

// chartBar is one month: its bar, its label, its figures.
type chartBar struct {
	X, Y, W, H int
	// LabelX is the middle of the bar, where its month's label goes.
	LabelX    int
	Short     string // "Jun"
	Month     string // "June 2026"
	Total     crm.Cents
	Contracts int
}

// newSignedChart draws months (oldest first) as bars scaled to the largest.
func newSignedChart(months []crm.MonthTotal) *signedChart {
	c := &signedChart{Width: chartWidth, Height: chartHeight, Baseline: chartBaseline, Top: chartBarTop}
	for _, m := range months {
		c.Max = max(c.Max, m.Total)
		c.Total += m.Total
		c.Contracts += m.Contracts
	}
	if len(months) == 0 {
		return c
	}
	slot := chartWidth / len(months)
	for i, m := range months {
		b := chartBar{X: i*slot + slot/6, W: slot - slot/3, LabelX: i*slot + slot/2,
			Short: m.Month.Format("Jan"), Month: m.Month.Format("January 2006"), Total: m.Total, Contracts: m.Contracts}
		if c.Max > 0 && m.Total > 0 {
			b.H = max(int(int64(m.Total)*int64(chartBaseline-chartBarTop)/int64(c.Max)), 2)
		}
		b.Y = chartBaseline - b.H
		c.Bars = append(c.Bars, b)
	}
	return c
}
