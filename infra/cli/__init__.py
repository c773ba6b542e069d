"""The `verachain` command line."""
