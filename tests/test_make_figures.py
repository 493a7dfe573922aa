"""make_figures.py: every report step is run, in dependency order, and a failing step stops the run."""

from recognition.report.results import StepResults
from recognition.report.steps import Step, chain_costs


def write_step(folder, name, *body):
    """A step module whose main(argv) runs the given lines."""
    lines = ["from recognition import cli", "", "def main(argv):", *(f"    {line}" for line in body)]
    (folder / f"{name}.py").write_text("\n".join(lines) + "\n")


def step(name, module, needs=(), args=(), cost=1.0):
    return Step(name, name, f"python -m {module}", StepResults, None, needs, args, cost, module=module)


def test_the_longest_chain_is_started_first():
    steps = [step("a", "m", cost=5), step("b", "m", cost=1), step("c", "m", ("b",), cost=10)]
    assert chain_costs(steps) == {"a": 5, "b": 11, "c": 10}


def test_steps_wait_for_their_inputs_and_a_failure_stops_what_follows(tmp_path, monkeypatch, capsys):
    import make_figures

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
    steps = [step("third", "mf_third", ("second",), ("--z",)), step("second", "mf_second", ("first",))]
    steps.append(step("first", "mf_first"))
    assert make_figures.run_steps(steps, jobs=2)
    assert log.read_text().split() == ["first", "second", "third"]
    out = capsys.readouterr().out
    assert "== third" in out and "third says hello ['--z']" in out

    log.unlink()
    steps = [step("broken", "mf_broken"), step("after", "mf_third", ("broken",))]
    assert not make_figures.run_steps(steps, jobs=2)
    out = capsys.readouterr().out
    assert "broken" in out and "FAILED" in out and "error: the input folder x/ is missing" in out
    assert not log.exists()  # the step that needed it never started
