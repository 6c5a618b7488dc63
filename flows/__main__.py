"""`python -m flows` runs the `policywatch` command line."""

from flows.cli import main

main()
