"""`alliancesim bargain FILE`: forecast one negotiation from a stakeholder table (placeholder)."""
import typer


def bargain(file: str = typer.Argument(..., help="KTAB or stakeholder CSV")) -> None:
    """Forecast a negotiation from a stakeholder table."""
    raise typer.Exit(1)
