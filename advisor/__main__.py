"""`python -m advisor` runs the command line, with Ctrl-C handled from the start (`launch`)."""

from advisor.launch import main

main()
