// Package parcels describes the parcels the service ships and the weight they are billed by.
package parcels

import (
	"errors"
	"fmt"
)

// VolumetricDivisor converts a volume in cubic centimetres to grams of billable weight
// (5000 cm³ per kilogram, the usual courier factor).
const VolumetricDivisor = 5

// MaxWeightGrams is the heaviest parcel accepted.
const MaxWeightGrams = 30000

// Parcel is one package to ship.
type Parcel struct {
	ID          string `json:"id"`
	WeightGrams int    `json:"weight_grams"`
	LengthCm    int    `json:"length_cm"`
	WidthCm     int    `json:"width_cm"`
	HeightCm    int    `json:"height_cm"`
}

// ErrNoID is returned for a parcel without an identifier.
var ErrNoID = errors.New("parcel: missing id")

// Validate checks that the parcel can be shipped.
func (p Parcel) Validate() error {
	if p.ID == "" {
		return ErrNoID
	}
	if p.WeightGrams <= 0 || p.WeightGrams > MaxWeightGrams {
		return fmt.Errorf("parcel %s: weight %d g outside 1..%d", p.ID, p.WeightGrams, MaxWeightGrams)
	}
	if p.LengthCm <= 0 || p.WidthCm <= 0 || p.HeightCm <= 0 {
		return fmt.Errorf("parcel %s: every dimension must be positive", p.ID)
	}
	return nil
}

// VolumetricGrams is the weight the parcel's volume is billed as.
func (p Parcel) VolumetricGrams() int {
	return p.LengthCm * p.WidthCm * p.HeightCm / VolumetricDivisor
}

// BillableGrams is the larger of the actual and the volumetric weight.
func (p Parcel) BillableGrams() int {
	if v := p.VolumetricGrams(); v > p.WeightGrams {
		return v
	}
	return p.WeightGrams
}
