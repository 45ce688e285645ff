"""The presentation model: what a run says as typed rows, and one set of formatters.

The CLI, the HTML report and the dashboard lay out the same :class:`RunView` (built by
:func:`present_run`) with the same formatters, so one run reads the same everywhere.
"""

from alliancesim.presentation.formats import (
    percent,
    percent_interval,
    pp_change,
    signed,
    signed_interval,
)
from alliancesim.presentation.run_view import (
    SCHEMA_VERSION,
    ClaimRow,
    ClaimsView,
    DecouplingCurve,
    Effect,
    HarmCell,
    Headline,
    IndicatorCell,
    ObservableView,
    PolicyRow,
    RunFacts,
    RunView,
    SignRow,
    StructureView,
    claims_view,
    key_indicators,
    policy_label,
    present_run,
    quantity_labels,
    run_facts,
    structure_label,
)

__all__ = [
    "SCHEMA_VERSION",
    "ClaimRow",
    "ClaimsView",
    "DecouplingCurve",
    "Effect",
    "HarmCell",
    "Headline",
    "IndicatorCell",
    "ObservableView",
    "PolicyRow",
    "RunFacts",
    "RunView",
    "SignRow",
    "StructureView",
    "claims_view",
    "key_indicators",
    "percent",
    "percent_interval",
    "policy_label",
    "pp_change",
    "present_run",
    "quantity_labels",
    "run_facts",
    "signed",
    "signed_interval",
    "structure_label",
]
