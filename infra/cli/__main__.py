"""`python -m infra.cli` is `verachain`."""

from infra.cli.main import main

main()
