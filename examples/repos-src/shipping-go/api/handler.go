// Package api serves quotes over HTTP.
package api

import (
	"encoding/json"
	"net/http"

	"example.com/shipping/parcels"
	"example.com/shipping/rates"
)

// QuoteRequest is the body of POST /quote.
type QuoteRequest struct {
	Zone   rates.Zone     `json:"zone"`
	Parcel parcels.Parcel `json:"parcel"`
}

// QuoteResponse is its answer.
type QuoteResponse struct {
	PriceCents    int64 `json:"price_cents"`
	BillableGrams int   `json:"billable_grams"`
}

// Handler answers POST /quote with the price of shipping one parcel.
type Handler struct {
	Rates rates.Table
}

// NewMux routes the API's paths.
func NewMux(h *Handler) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/quote", h.Quote)
	return mux
}

// Quote handles POST /quote.
func (h *Handler) Quote(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return
	}
	var req QuoteRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "malformed JSON: "+err.Error(), http.StatusBadRequest)
		return
	}
	if err := req.Parcel.Validate(); err != nil {
		http.Error(w, err.Error(), http.StatusUnprocessableEntity)
		return
	}
	billable := req.Parcel.BillableGrams()
	price, err := h.Rates.Quote(req.Zone, billable)
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnprocessableEntity)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(QuoteResponse{PriceCents: price, BillableGrams: billable})
}
