"""The rubric at the top of the report: every item of the assignment is declared by a step, listed with
a link to the heading that answers it (in REPORT.md and in REPORT.html), and the HTML page fits its
width in Chromium."""

import re
import shutil
from pathlib import Path

import pytest
from PIL import Image

import report
from recognition.report import html, rubric
from recognition.report.results import example, save_results
from recognition.report.steps import load_steps

STEPS = load_steps()
LINK = re.compile(r"\[([^\]]+)\]\(#([^)]+)\)")


def rubric_rows(text: str) -> dict[str, str]:
    """Each rubric row's cells after its item text, by the item text."""
    rows = {}
    for line in text.split("## How this report was made")[0].splitlines():
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        if len(cells) == 3 and cells[0] in {item.text for item in rubric.ITEMS}:
            rows[cells[0]] = cells[1] + " | " + cells[2]
    return rows


def test_every_item_is_declared_by_a_step_and_every_declaration_names_an_item():
    declared = {answer.item for step in STEPS for answer in step.rubric}
    assert declared <= set(rubric.KEYS), declared - set(rubric.KEYS)
    assert set(rubric.KEYS) <= declared, set(rubric.KEYS) - declared


@pytest.fixture(scope="module")
def every_step_ran(tmp_path_factory):
    """Every step's results as `example` fills them in, and each figure they name, wide, so the page
    has to scale it."""
    figs = tmp_path_factory.mktemp("figures")
    for step in STEPS:
        save_results(figs / step.results_file, example(step.results))
    text = report.build_report(figs)
    for name in set(re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)):
        Image.new("RGB", (2400, 300), "white").save(figs / name, format="PNG")
    (figs / "REPORT.md").write_text(text)
    return figs, text


def test_every_item_links_to_a_heading_of_the_markdown_and_the_html(every_step_ran):
    figs, text = every_step_ran
    anchors = {h.anchor for h in rubric.headings(text)}
    page = html.to_html(text)
    ids = set(re.findall(r'<h[1-6] id="([^"]+)"', page))
    rows = rubric_rows(text)
    assert set(rows) == {item.text for item in rubric.ITEMS}
    for item, cells in rows.items():
        links = LINK.findall(cells)
        assert links, item
        for _, anchor in links:
            assert anchor in anchors and anchor in ids, (item, anchor)
        assert "not run" not in cells and "no step declares it" not in cells, item
    # the epochs question is answered in Task 3's own section, from the course protocol's numbers
    epochs = next(item.text for item in rubric.ITEMS if item.key == "c3-epochs")
    assert "Task 3: How many epochs" in rows[epochs]


def test_a_step_that_did_not_run_says_so_with_its_command(tmp_path):
    step = next(s for s in STEPS if s.name == "gabor")
    text = report.build_report(tmp_path)
    cells = rubric_rows(text)[next(i.text for i in rubric.ITEMS if i.key == "cx-gabor")]
    assert f"not run: `{step.results_file}` is missing; run `{step.command}`" in cells
    assert LINK.search(cells)  # to the section that says how to run it


def test_anchors_follow_github_for_repeated_and_punctuated_headings():
    text = "# T\n\n## Task 1: a (b)\n\n```\n## not a heading\n```\n\n### a) x\n\n### a) x\n"
    assert [h.anchor for h in rubric.headings(text)] == ["t", "task-1-a-b", "a-x", "a-x-1"]


CHROMIUM = html.chromium()


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is missing: apt-get install chromium")
def test_no_element_of_the_html_page_is_wider_than_the_page(every_step_ran):
    playwright_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")
    figs, _ = every_step_ran
    page_file = html.write_html(figs / "REPORT.md", figs / "REPORT.html")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=list(html.CHROMIUM_FLAGS))
        try:
            for width in (1280, 800):
                tab = browser.new_page(viewport={"width": width, "height": 900})
                tab.goto(page_file.resolve().as_uri(), wait_until="load")
                wide = tab.evaluate(
                    """() => {
                      const page = document.documentElement.clientWidth;
                      return [...document.body.querySelectorAll('*')]
                        .filter(e => e.getBoundingClientRect().right > page + 0.5)
                        .map(e => e.tagName + ' ' + (e.getAttribute('src') || e.textContent.slice(0, 40)));
                    }"""
                )
                assert wide == [], (width, wide[:5])
                assert tab.evaluate("document.documentElement.scrollWidth") <= width
                images = tab.evaluate("[...document.images].map(i => [i.naturalWidth, i.width])")
                assert images and all(natural == 2400 and 0 < shown < width for natural, shown in images)
                tab.close()
        finally:
            browser.close()


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is missing: apt-get install chromium")
def test_the_pdf_is_printed_from_the_page(every_step_ran, tmp_path):
    figs, _ = every_step_ran
    page = html.write_html(figs / "REPORT.md", figs / "REPORT.html")
    assert html.write_pdf(page, tmp_path / "REPORT.pdf") is None
    assert (tmp_path / "REPORT.pdf").read_bytes().startswith(b"%PDF")


def test_without_chromium_the_pdf_is_skipped_with_the_reason(every_step_ran, tmp_path, monkeypatch):
    monkeypatch.setattr(html, "CHROMIUM_PATHS", ())
    monkeypatch.setattr(shutil, "which", lambda name: None)
    figs, _ = every_step_ran
    skipped = html.write_pdf(figs / "REPORT.html", tmp_path / "REPORT.pdf")
    assert skipped is not None and "Chromium is missing" in skipped
    assert not (tmp_path / "REPORT.pdf").exists()
    assert Path(figs / "REPORT.md").is_file()
