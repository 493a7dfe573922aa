"""make_figures.py: every report step is run, in dependency order, and a failing step stops the run."""

import make_figures
import report


def test_every_report_step_is_run_after_what_it_reads():
    modules = {module for module, _, _ in make_figures.STEPS.values()}
    assert {m.__name__ for m in report.STEPS} <= modules
    for name, (_, _, needs) in make_figures.STEPS.items():
        assert set(needs) <= set(make_figures.STEPS) - {name}, name


def write_step(folder, name, *body):
    """A step module whose main(argv) runs the given lines."""
    lines = ["import cli", "", "def main(argv):", *(f"    {line}" for line in body)]
    (folder / f"{name}.py").write_text("\n".join(lines) + "\n")


def test_steps_wait_for_their_inputs_and_a_failure_stops_what_follows(tmp_path, monkeypatch, capsys):
    log = tmp_path / "log.txt"
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("first", "second", "third"):
        write_step(
            tmp_path,
            f"mf_{name}",
            f"print({name!r}, 'says hello', argv)",
            f"with open({str(log)!r}, 'a') as f:",
            f"    f.write({name + chr(10)!r})",
        )
    write_step(tmp_path, "mf_broken", 'raise cli.UserError("the input folder x/ is missing")')
    steps = {
        "third": ("mf_third", ["--z"], ("second",)),
        "second": ("mf_second", [], ("first",)),
        "first": ("mf_first", [], ()),
    }
    assert make_figures.run_steps(steps, jobs=2)
    assert log.read_text().split() == ["first", "second", "third"]
    out = capsys.readouterr().out
    assert "== third" in out and "third says hello ['--z']" in out

    log.unlink()
    steps = {"broken": ("mf_broken", [], ()), "after": ("mf_third", [], ("broken",))}
    assert not make_figures.run_steps(steps, jobs=2)
    out = capsys.readouterr().out
    assert "broken" in out and "FAILED" in out and "error: the input folder x/ is missing" in out
    assert not log.exists()  # the step that needed it never started
