"""alliancesim: an exploratory ensemble model of the U.S.–South Korea alliance."""

__version__ = "0.1.0"
__all__ = ["__version__"]
