"""Core cost tables load, cite a source for every constant, and match the fitting script."""

import pytest

from emu.fidelity.fitting import fit_all
from hw_models.calibration import calibration_rows
from hw_models.cores import KERNEL_CLASSES, core_table_names, load_core_table
from hw_models.errors import SpecError
from hw_models.loader import device_names, load_device


def test_every_preset_core_has_a_table():
    families = {load_device(n).core.family for n in device_names()}
    assert families <= set(core_table_names())


@pytest.mark.parametrize("family", core_table_names())
def test_tables_load_and_cite(family):
    table = load_core_table(family)
    assert table.sources and all(s.strip() for s in table.sources.values())
    for library, precisions in table.libraries.items():
        for precision, classes in precisions.items():
            for name, cost in classes.items():
                assert name in KERNEL_CLASSES
                assert len(cost.source) > 10, (library, precision, name)


def test_fitted_constants_match_the_fitting_script():
    for result in fit_all():
        for kernel_class, value in result.fitted.items():
            assert result.in_table[kernel_class] == pytest.approx(value, rel=2e-3), (
                result.spec,
                kernel_class,
            )
        assert (
            "fitted"
            in load_core_table(result.spec.family)
            .kernel(result.spec.library, result.spec.precision, "conv")
            .source
        )


def test_unknown_family_and_library_raise():
    with pytest.raises(SpecError):
        load_core_table("cortex-m99")
    with pytest.raises(SpecError) as err:
        load_core_table("cortex-m4f").library("optimised")
    assert "optimized" in str(err.value)


def test_calibration_csv_ships_with_the_package():
    rows = calibration_rows()
    assert len(rows) >= 30 and all(r.latency_s > 0 for r in rows)
