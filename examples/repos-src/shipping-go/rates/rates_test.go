package rates

import "testing"

func TestQuoteAddsStartedKilosAndSurcharge(t *testing.T) {
	table := DefaultTable()
	// 2.5 kg domestic: 450 + 3*120 = 810, surcharge 5% = 40.5 -> 41.
	got, err := table.Quote(Domestic, 2500)
	if err != nil {
		t.Fatalf("Quote: %v", err)
	}
	if got != 851 {
		t.Errorf("Quote = %d, want 851", got)
	}
}

func TestQuoteRejectsUnknownZonesAndWeights(t *testing.T) {
	table := DefaultTable()
	if _, err := table.Quote("moon", 1000); err == nil {
		t.Error("unknown zone accepted")
	}
	if _, err := table.Quote(Europe, 0); err == nil {
		t.Error("zero weight accepted")
	}
}

func TestZonesAreSorted(t *testing.T) {
	zones := DefaultTable().Zones()
	want := []Zone{Domestic, Europe, International}
	if len(zones) != len(want) {
		t.Fatalf("Zones = %v", zones)
	}
	for i := range want {
		if zones[i] != want[i] {
			t.Errorf("Zones[%d] = %s, want %s", i, zones[i], want[i])
		}
	}
}
