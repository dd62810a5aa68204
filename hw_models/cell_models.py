"""Pick a battery model by name: the one place that lists them, fastest to most faithful."""

from __future__ import annotations

from hw_models.battery import Battery
from hw_models.cells import CellModel, IdealCell, PeukertCell
from hw_models.checks import check_choice
from hw_models.errors import SpecError
from hw_models.kibam import KibamCell

__all__ = ["CELL_MODELS", "make_cell"]

CELL_MODELS: tuple[str, ...] = ("ideal", "peukert", "kibam")


def make_cell(
    battery: Battery, model: str = "kibam", *, cutoff_voltage_v: float | None = None, owner: str = "supply"
) -> CellModel:
    """A full cell of ``battery`` under ``model`` (one of :data:`CELL_MODELS`).

    Parameters
    ----------
    battery : Battery
    model : str
        ``"ideal"`` (charge counter), ``"peukert"`` (rate-dependent capacity) or ``"kibam"``
        (two wells: rate dependence and recovery).
    cutoff_voltage_v : float or None
        A higher cut-off than the cell's own, e.g. the regulator's minimum input voltage.
    owner : str
        Where ``model`` came from, for the error message (a scenario file).

    Raises
    ------
    SpecError
        Unknown model, or the battery lacks the model's parameters.
    """
    check_choice(owner, "battery_model", model, CELL_MODELS)
    try:
        if model == "ideal":
            return IdealCell.full(battery, cutoff_voltage_v=cutoff_voltage_v)
        if model == "peukert":
            return PeukertCell.full(battery, cutoff_voltage_v=cutoff_voltage_v)
        return KibamCell.full(battery, cutoff_voltage_v=cutoff_voltage_v)
    except ValueError as err:
        raise SpecError(battery.source_path or owner, "battery_model", model, str(err)) from None
