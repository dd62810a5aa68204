"""What a device offers a scenario: its whole sheet, and the names a scenario may use for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hw_models.device import Device
from hw_models.device_sheet import device_sheet
from hw_models.loader import load_device


def describe_device(device: str | Path | Device) -> dict[str, Any]:
    """Everything about a device: operating points, sleep states, SRAM banks, flash geometry, DMA, sources.

    Parameters
    ----------
    device : str or Path or Device
        A preset name (``"nrf52840"``), a device TOML path, or a loaded :class:`~hw_models.Device`.

    Returns
    -------
    dict
        The document ``tinyemu devices NAME --json`` prints (see :func:`hw_models.device_sheet.device_sheet`).
        ``sleep_states[i]["name"]`` are the values ``session.sleep_state`` and ``deployment.sleep_state``
        accept; ``operating_points[i]["index"]`` and ``["label"]`` those of ``session.operating_point`` and
        ``deployment.{inference,training}_operating_point``.

    Raises
    ------
    SpecError
        Unknown preset or invalid device file.
    """
    return device_sheet(device if isinstance(device, Device) else load_device(device))
