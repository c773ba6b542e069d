"""Settings, connections, the embedded dev stack, and the `verachain` command line."""
