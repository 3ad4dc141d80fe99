package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"example.com/shipping/rates"
)

func post(t *testing.T, body string) *httptest.ResponseRecorder {
	t.Helper()
	mux := NewMux(&Handler{Rates: rates.DefaultTable()})
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/quote", strings.NewReader(body)))
	return rec
}

func TestQuoteEndpointPricesAParcel(t *testing.T) {
	rec := post(t, `{"zone": "domestic", "parcel": {"id": "p-1", "weight_grams": 2500,
		"length_cm": 10, "width_cm": 10, "height_cm": 10}}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
	}
	var resp QuoteResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.PriceCents != 851 || resp.BillableGrams != 2500 {
		t.Errorf("response %+v", resp)
	}
}

func TestQuoteEndpointRejectsBadInput(t *testing.T) {
	if rec := post(t, `{"zone": `); rec.Code != http.StatusBadRequest {
		t.Errorf("malformed JSON: status %d", rec.Code)
	}
	if rec := post(t, `{"zone": "moon", "parcel": {"id": "p", "weight_grams": 1,
		"length_cm": 1, "width_cm": 1, "height_cm": 1}}`); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("unknown zone: status %d", rec.Code)
	}
}
