"""Task 4's section of the report, rendered from task4_results.json (and Fashion-MNIST's, if run)."""

from __future__ import annotations

from pathlib import Path

from recognition.experiments import analysis
from recognition.report import markdown
from recognition.report.markdown import figure, opening, pct, table

RESULTS_FILE = "task4_results.json"
COMMAND = "python task4_experiments.py --quick"
CAPTIONS = {
    "accuracy_vs_epochs": "Test accuracy against epochs, per batch size (band: 95% CI over seeds).",
    "accuracy_vs_dropout": "Test and train accuracy against the dropout rate.",
    "heatmap": "Test accuracy for each batch size and dropout rate after the last epoch.",
    "time_vs_batch": "Training time per epoch against batch size.",
    "pareto": "Accuracy against parameters and against training time; red: the Pareto front.",
    "dimensions": "Each architecture dimension averaged over the others (error bars: 95% CI over seeds).",
}


def describe_grid(name: str, r: dict) -> str:
    g = r["grid"]
    varying = [
        f"{dim.replace('_', ' ')} {', '.join(map(str, g[dim]))}"
        for dim in ("batch_size", "filters1", "filters2", "kernel", "hidden", "activation", "dropout")
        if len(g[dim]) > 1
    ]
    images = f"{g['train_subset']:,}" if g["train_subset"] else "all the"
    return (
        f"**Grid `{name}`**: "
        + " x ".join(varying)
        + f" x epochs 1-{g['max_epochs']}: {r['variants']} variants, "
        f"each with {len(g['seed'])} seed(s) ({', '.join(map(str, g['seed']))}), {r['trainings']} networks "
        f"trained as {r['groups']} grouped trainings on {images} training images in "
        f"{r['study']['sweep_s']:.0f} s here.\n\n"
    )


def grid_section(name: str, r: dict, res: markdown.Results, prefix: str) -> str:
    out = describe_grid(name, r)
    for key, found in r["observations"].items():
        out += (
            f"- **{key.replace('_', ' ')}**: *hypothesis*: {analysis.HYPOTHESES[key]}<br>"
            f"*observation*: {found['text']}\n"
        )
    best = r["best"]
    out += (
        f"\nBest single network: {pct(best['test_acc'])} test accuracy (batch {best['batch_size']}, filters "
        f"{best['filters1']}/{best['filters2']}, kernel {best['kernel']}, hidden {best['hidden']}, dropout "
        f"{best['dropout']}, seed {best['seed']}, {best['epochs']} epochs).\n"
    )
    if r.get("pareto"):
        front = r["pareto"]["params"]["front_labels"]
        out += f"\nPareto front against parameters (smallest first): {'; '.join(front)}.\n"
    for path in r["figures"]:
        key = Path(path).stem.removeprefix(f"{prefix}_{name}_")
        out += "\n" + figure(path, CAPTIONS.get(key, key.replace("_", " ")))
    rows = res.csv(Path(r["csv"]).name) or []
    out += (
        f"\nEvery variant (each seed, each epoch) is a row of `{Path(r['csv']).name}` ({len(rows)} rows): "
        "parameters, multiply-adds, seconds per epoch, train and test accuracy.\n"
    )
    return out


def report_section(res: markdown.Results) -> str:
    r, out = opening(res, RESULTS_FILE, "Task 4: design your own experiment", COMMAND)
    if r is None:
        return out
    t = r["training"]
    out += (
        f"{t['optimizer']} at a constant learning rate {t['lr']} (so the accuracy after epoch k is a fair "
        "k-epoch result); the test set is scored after every epoch. Networks that differ only in dropout "
        "and seed train together as one grouped network, numerically the same as one at a time. "
        "Accuracies are means over seeds with 95% confidence intervals (Student t); a difference whose "
        "intervals overlap is called inside the noise."
        + (
            " These are the quick grids of `make figures`; `make sweep` runs the full ones."
            if r["quick"]
            else ""
        )
        + "\n\n"
    )
    for name, grid in sorted(r["grids"].items(), key=lambda item: item[0] != "report"):
        out += grid_section(name, grid, res, "task4") + "\n"
    fashion = res.load(RESULTS_FILE.replace("task4", "task4_fashion-mnist"))
    if fashion:
        out += "\n### The same grids on Fashion-MNIST\n\n"
        for name, grid in fashion["grids"].items():
            out += grid_section(name, grid, res, "task4_fashion-mnist")
    out += "\n" + table(
        ["grid", "study", "storage", "sweep time"],
        [
            [n, g["study"]["name"], g["study"]["storage"], f"{g['study']['sweep_s']:.0f} s"]
            for n, g in r["grids"].items()
        ],
    )
    return out
