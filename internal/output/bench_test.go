package output

import (
	"io"
	"testing"
)

func benchmarkList(b *testing.B, f Format) {
	rows := sample()
	b.ReportAllocs()
	for b.Loop() {
		l := NewList(io.Discard, Options{Format: f}, clientView)
		for i := range 1000 {
			_ = l.Row(rows[i%len(rows)])
		}
		_ = l.Close()
	}
}

// Each iteration renders 1000 rows.
func BenchmarkListTable(b *testing.B) { benchmarkList(b, FormatTable) }

// Each iteration renders 1000 rows.
func BenchmarkListJSON(b *testing.B) { benchmarkList(b, FormatJSON) }

// Each iteration renders 1000 rows.
func BenchmarkListCSV(b *testing.B) { benchmarkList(b, FormatCSV) }
