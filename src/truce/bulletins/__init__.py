"""The daily bulletin: numbers computed from the ledger at a sequence number, rendered, published,
signed by the guarantors and recomputable by anyone (`truce bulletin verify`)."""
