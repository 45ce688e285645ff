"""Typer command functions of the CLI, one module per command family."""
