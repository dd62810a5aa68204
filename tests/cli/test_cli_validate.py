"""tinyemu validate: JSON document and the table with in-sample and leave-one-out errors."""

import json

from emu.fidelity.validation import SOC_PRESETS
from hw_models.calibration import calibration_rows
from hw_models.loader import device_names


def test_validate_json_and_table(cli):
    presets = set(device_names())
    n = sum(SOC_PRESETS.get(r.soc) in presets for r in calibration_rows())
    run = cli("validate", "--json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["rows_with_preset"] == n == len(doc["rows"]) + len(doc["not_representable"])
    assert any(row["loo_latency_error_pct"] is not None for row in doc["rows"])
    text = cli("validate", columns=140)
    assert text.code == 0, text.err
    assert "Mean absolute error per core family" in text.out and "LOO" in text.out
    assert "LOBO" in text.out and "LOEO" in text.out
    assert doc["overall_mean_abs_error_pct"]["rows"] == len(doc["rows"])
    narrow = cli("validate", columns=80)
    summary = narrow.out[narrow.out.index("Mean absolute error per core family") :]
    for core in doc["mean_abs_error_pct"]:  # whole family names and whole figures, not cut to fit
        assert f"\n{core} " in summary
    for figure in ("lobo_latency", "loeo_latency"):
        m = doc["overall_mean_abs_error_pct"]
        if m[figure] is not None:
            assert f"{m[figure]:.1f}% ({m[figure + '_rows']})" in summary
    assert "ra8d1" in text.out and "1.8*" in text.out
    assert f"{len(doc['rows'])} of {n} calibration rows with a device preset predicted" in text.out
