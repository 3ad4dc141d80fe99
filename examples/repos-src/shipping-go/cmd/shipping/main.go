// Command shipping serves the shipping API on :8080 (or $ADDR).
package main

import (
	"log"
	"net/http"
	"os"

	"example.com/shipping/api"
	"example.com/shipping/rates"
)

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = ":8080"
	}
	mux := api.NewMux(&api.Handler{Rates: rates.DefaultTable()})
	log.Printf("shipping: listening on %s", addr)
	log.Fatal(http.ListenAndServe(addr, mux))
}
