"""Training, pseudo-labelling and evaluation tooling (never imported by the runtime pipeline)."""
