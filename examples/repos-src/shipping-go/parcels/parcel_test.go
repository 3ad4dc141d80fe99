package parcels

import (
	"errors"
	"testing"
)

func TestValidateAcceptsAnOrdinaryParcel(t *testing.T) {
	p := Parcel{ID: "p-1", WeightGrams: 1200, LengthCm: 30, WidthCm: 20, HeightCm: 10}
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
}

func TestValidateRejectsBadParcels(t *testing.T) {
	if err := (Parcel{WeightGrams: 1, LengthCm: 1, WidthCm: 1, HeightCm: 1}).Validate(); !errors.Is(err, ErrNoID) {
		t.Errorf("no id: %v", err)
	}
	for _, p := range []Parcel{
		{ID: "heavy", WeightGrams: MaxWeightGrams + 1, LengthCm: 1, WidthCm: 1, HeightCm: 1},
		{ID: "flat", WeightGrams: 10, LengthCm: 1, WidthCm: 0, HeightCm: 1},
	} {
		if p.Validate() == nil {
			t.Errorf("%s: accepted", p.ID)
		}
	}
}

func TestBillableWeightIsTheLargerOne(t *testing.T) {
	light := Parcel{ID: "pillow", WeightGrams: 500, LengthCm: 50, WidthCm: 40, HeightCm: 30}
	if got := light.BillableGrams(); got != 12000 {
		t.Errorf("pillow billed as %d g, want 12000", got)
	}
	dense := Parcel{ID: "brick", WeightGrams: 3000, LengthCm: 20, WidthCm: 10, HeightCm: 6}
	if got := dense.BillableGrams(); got != 3000 {
		t.Errorf("brick billed as %d g, want 3000", got)
	}
}
