"""`python -m syndicate.cli`."""

from syndicate.cli import main

main()
