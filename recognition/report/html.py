"""The report as a page to read (REPORT.html) and to print (REPORT.pdf).

The page is the Markdown report converted by python-markdown, with a table of contents, a readable
text width, figures scaled to fit, bordered tables, and the headings' anchors exactly as the Markdown
report's links name them (GitHub's). Images are referenced by their names, relative to the page, which
sits beside them. The PDF is printed from that page by Chromium through Playwright (Debian's
`/usr/bin/chromium`, nothing downloaded); without Chromium or Playwright it is skipped with the reason.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import markdown as md

from recognition.io import atomic_path, write_text
from recognition.report.markdown import heading_text
from recognition.report.rubric import Heading, headings

CHROMIUM_PATHS = ("/usr/bin/chromium",)  # Debian's; else the one on PATH
CHROMIUM_FLAGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking")

STYLE = """
:root { --text: 46rem; }
html { font-size: 16px; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; line-height: 1.5; color: #1d1d1f;
  max-width: 60rem; margin: 0 auto; padding: 1.5rem 1.5rem 4rem; }
p, li, blockquote { max-width: var(--text); }
h1 { font-size: 1.9rem; line-height: 1.25; }
h2 { font-size: 1.45rem; border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; margin-top: 2.5rem; }
h3 { font-size: 1.15rem; margin-top: 1.8rem; }
h4 { font-size: 1rem; }
img { display: block; max-width: 100%; height: auto; margin: 0.5rem 0 0.2rem; }
p > em:only-child { display: block; font-size: 0.9rem; color: #555; margin-bottom: 1rem; }
table { border-collapse: collapse; margin: 0.8rem 0 1.2rem; font-size: 0.85rem; max-width: 100%; }
th, td { border: 1px solid #999; padding: 0.25rem 0.45rem; vertical-align: top; text-align: left;
  overflow-wrap: anywhere; }
th { background: #eee; }
tr:nth-child(even) td { background: #fafafa; }
code { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 0.85em;
  background: #f3f3f3; padding: 0 0.15em; overflow-wrap: anywhere; }
pre { background: #f6f6f6; border: 1px solid #ddd; padding: 0.6rem; font-size: 0.78rem; line-height: 1.3;
  white-space: pre-wrap; overflow-wrap: anywhere; max-width: 100%; box-sizing: border-box; }
pre code { background: none; padding: 0; font-size: inherit; }
nav.toc { border: 1px solid #ccc; background: #fafafa; padding: 0.6rem 1.2rem; margin: 1rem 0 2rem;
  max-width: var(--text); font-size: 0.92rem; }
nav.toc ul { padding-left: 1.2rem; margin: 0.2rem 0; }
nav.toc > ul { padding-left: 0.4rem; list-style: none; }
a { color: #0b57a4; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  html { font-size: 12px; }
  body { max-width: none; padding: 0; }
  h2 { break-before: page; }
  h1 + p + h2, nav.toc + h2 { break-before: auto; }
  h2, h3, h4 { break-after: avoid; }
  img { break-inside: avoid; max-height: 240mm; width: auto; }
  tr, pre { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def contents(marks: list[Heading], deepest: int = 3) -> str:
    """A nested list of links to the level 2 and 3 headings."""
    out, depth = ["<nav class='toc'><strong>Contents</strong>"], 1
    for h in marks:
        if not 2 <= h.level <= deepest:
            continue
        while depth < h.level:
            out.append("<ul>")
            depth += 1
        while depth > h.level:
            out.append("</ul>")
            depth -= 1
        out.append(f"<li><a href='#{h.anchor}'>{html.escape(heading_text(h.text))}</a></li>")
    out += ["</ul>"] * (depth - 1) + ["</nav>"]
    return "\n".join(out)


def to_html(report: str, title: str = "Recognition using deep networks: the report") -> str:
    """The Markdown report as a styled page; each heading's id is the Markdown report's anchor."""
    marks = headings(report)
    body = md.markdown(report, extensions=["tables", "fenced_code", "sane_lists"], output_format="html")
    if len(re.findall(r"<h[1-6]>", body)) != len(marks):
        raise ValueError("the page's headings are not the Markdown report's: a heading inside another block?")
    anchors = iter(h.anchor for h in marks)
    body = re.sub(r"<h([1-6])>", lambda m: f'<h{m.group(1)} id="{next(anchors)}">', body)
    first_h2 = body.find("<h2")
    if first_h2 >= 0:  # the contents go after the title and its first paragraph
        body = body[:first_h2] + contents(marks) + "\n" + body[first_h2:]
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def write_html(report_md: Path, output: Path) -> Path:
    return write_text(output, to_html(report_md.read_text(encoding="utf-8")))


def chromium() -> str | None:
    """Debian's Chromium, or one on PATH; None when there is none."""
    for path in CHROMIUM_PATHS:
        if Path(path).is_file():
            return path
    return shutil.which("chromium")


def write_pdf(page: Path, output: Path, timeout_s: float = 120) -> str | None:
    """Print the page to PDF with Chromium; returns why it was skipped, or None when written."""
    executable = chromium()
    if executable is None:
        return (
            "Chromium is missing, so REPORT.pdf was skipped: install it (apt-get install chromium) and rerun"
        )
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        return "the playwright package is missing, so REPORT.pdf was skipped: pip install -r requirements.txt"
    try:
        with sync_playwright() as p, atomic_path(output) as tmp:
            browser = p.chromium.launch(executable_path=executable, args=list(CHROMIUM_FLAGS))
            try:
                tab = browser.new_page()
                tab.goto(page.resolve().as_uri(), wait_until="load", timeout=timeout_s * 1000)
                tab.pdf(
                    path=str(tmp),
                    format="A4",
                    print_background=True,
                    prefer_css_page_size=True,
                    display_header_footer=True,
                    header_template="<span></span>",
                    footer_template=(
                        "<div style='font-size:8px;width:100%;text-align:center;color:#666'>"
                        "<span class='pageNumber'></span> / <span class='totalPages'></span></div>"
                    ),
                    margin={"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"},
                )
            finally:
                browser.close()
    except Error as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return f"Chromium could not print REPORT.pdf ({first}); the Markdown and HTML reports are written"
    return None
