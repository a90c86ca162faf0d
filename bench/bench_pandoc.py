"""Benchmark: our full build (PDF + EPUB) against pandoc on the same 13 posts.

pandoc (Debian package) builds an EPUB and a PDF (``--pdf-engine=weasyprint``)
from the posts exported as one Markdown file. Prints a table, writes
bench/results/pandoc.json. Target (issue #7): ours <= 0.8x pandoc.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import PYTHON, ROOT, measure_rounds, project_copy, save, table  # noqa: E402


def export_markdown(target: Path, manifest: Path = ROOT / "book.yaml") -> Path:
    """A book's posts (by default the shipped book's) as one Markdown file (chapters as #, posts as ##)."""
    from compiler.manifest import load_manifest
    from compiler.model.assemble import assemble
    from compiler.redact import redact

    book = assemble(load_manifest(manifest), redact)
    lines = [f"---\ntitle: \"{book.meta.title}\"\nauthor: \"{book.meta.authors[0]}\"\nlang: en\n---\n"]
    for chapter in book.chapters:
        lines.append(f"# {chapter.title}\n")
        for post in chapter.posts:
            lines.append(f"## {post.title}\n")
            lines.extend(p.replace("*", "\\*").replace("_", "\\_") + "\n" for p in post.paragraphs)
    target.write_text("\n".join(lines), encoding="utf-8")
    return target


def main(runs: int = 5) -> dict[str, object]:
    pandoc = shutil.which("pandoc")
    if not pandoc:
        raise SystemExit("pandoc is not installed: run tools/setup-system")
    work = Path(tempfile.mkdtemp(prefix="bench-pandoc-"))
    project = project_copy(work / "project")
    markdown = export_markdown(work / "book.md")
    bin_dir = str(Path(PYTHON).parent)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin"}
    out = project / "out"
    timed = measure_rounds({
        "ours": ([PYTHON, "-m", "compiler", "book.yaml", "--no-cache", "--quiet"], project,
                 lambda: shutil.rmtree(out, ignore_errors=True), None),
        "epub": ([pandoc, str(markdown), "-o", str(work / "pandoc.epub")], work, None, env),
        "pdf": ([pandoc, str(markdown), "-o", str(work / "pandoc.pdf"), "--pdf-engine=weasyprint"], work, None, env),
    }, runs)
    ours, epub, pdf = timed["ours"], timed["epub"], timed["pdf"]
    pandoc_total = epub["median_s"] + pdf["median_s"]
    ratio = round(ours["median_s"] / pandoc_total, 3)
    rows = [["ours: PDF + EPUB", ours["median_s"], ours["min_s"], ours["max_s"]],
            ["pandoc: EPUB", epub["median_s"], epub["min_s"], epub["max_s"]],
            ["pandoc: PDF (weasyprint)", pdf["median_s"], pdf["min_s"], pdf["max_s"]],
            ["ratio ours / pandoc", ratio, "", ""]]
    print(table(rows, ["build", "median s", "min", "max"]))
    result = {"benchmark": "vs pandoc", "ours": ours, "pandoc_epub": epub, "pandoc_pdf": pdf,
              "ratio": ratio, "target": 0.8}
    save("pandoc", result)
    shutil.rmtree(work, ignore_errors=True)
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
