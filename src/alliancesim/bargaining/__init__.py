"""Collective-decision models on one issue (see ../shared/BARGAINING.md)."""
