// Package rates prices shipments: a base price per destination zone plus a price per started
// kilogram of billable weight, and a fuel surcharge. Amounts are integer cents.
package rates

import (
	"fmt"
	"sort"
)

// Zone is a destination zone.
type Zone string

// The zones the service ships to.
const (
	Domestic      Zone = "domestic"
	Europe        Zone = "europe"
	International Zone = "international"
)

// Rate is the price of shipping to one zone.
type Rate struct {
	BaseCents       int64
	PerKiloCents    int64
	FuelSurchargeBp int64 // basis points of the base and weight price
}

// Table holds the rate of every zone.
type Table map[Zone]Rate

// DefaultTable is the published rate card.
func DefaultTable() Table {
	return Table{
		Domestic:      {BaseCents: 450, PerKiloCents: 120, FuelSurchargeBp: 500},
		Europe:        {BaseCents: 990, PerKiloCents: 310, FuelSurchargeBp: 750},
		International: {BaseCents: 1990, PerKiloCents: 650, FuelSurchargeBp: 1200},
	}
}

// Zones lists the zones of the table, sorted.
func (t Table) Zones() []Zone {
	zones := make([]Zone, 0, len(t))
	for z := range t {
		zones = append(zones, z)
	}
	sort.Slice(zones, func(i, j int) bool { return zones[i] < zones[j] })
	return zones
}

// Quote is the price in cents of a shipment of billableGrams to zone: the base price, plus
// the per-kilogram price for every started kilogram, plus the fuel surcharge rounded half up.
func (t Table) Quote(zone Zone, billableGrams int) (int64, error) {
	rate, ok := t[zone]
	if !ok {
		return 0, fmt.Errorf("rates: unknown zone %q", zone)
	}
	if billableGrams <= 0 {
		return 0, fmt.Errorf("rates: billable weight must be positive, got %d g", billableGrams)
	}
	kilos := int64((billableGrams + 999) / 1000)
	price := rate.BaseCents + kilos*rate.PerKiloCents
	surcharge := (price*rate.FuelSurchargeBp + 5000) / 10000
	return price + surcharge, nil
}
