"""The browser dashboard (``alliancesim serve``): run ensembles, play turns, browse the store."""

from alliancesim.web.app import create_app

__all__ = ["create_app"]
