"""advisor: see how a team really branches, from git history alone."""

__version__ = "0.1.0"
