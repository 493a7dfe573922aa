"""The transformer extension end to end: trained on a small subset, maps drawn, each summing to one."""

import pytest

from extensions import attention_maps
from recognition.report.markdown import Outputs
from recognition.report.results import load_results


@pytest.mark.slow
def test_end_to_end_on_a_small_subset(tmp_path, own_digits):
    own = own_digits
    figs = tmp_path / "figures"
    results = attention_maps.main(
        [
            "--train-subset",
            "300",
            "--test-subset",
            "100",
            "--own-digits",
            str(own),
            "--models-dir",
            str(tmp_path / "models"),
            "--figures-dir",
            str(figs),
            "--device",
            "cpu",
        ]
    )
    assert results.tokens == 16 and results.settings.patch == 7
    assert (
        all(abs(s - 1) < 1e-5 for s in results.map_sums) and len(results.map_sums) == 4 * attention_maps.SHOWN
    )
    assert (tmp_path / "models" / "transformer_cpu.pt").is_file()
    for name in ("ext_attention_test_cpu.png", "ext_attention_own_cpu.png", attention_maps.STEP.results_file):
        assert (figs / name).stat().st_size > 0
    saved = load_results(attention_maps.AttentionResults, figs / attention_maps.STEP.results_file)
    assert saved == results
    assert "attention rollout" in attention_maps.report_section(saved, Outputs(figs)).lower()
