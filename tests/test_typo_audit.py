"""The typography audit (compiler/typo_audit.py): proved on small PDFs made to break each rule a
known number of times, then run on the shipped book (A4, the session's build; Letter and 6 × 9 in
are audited in test_pdf.py's build of each size, the Theme Unit Test book in test_corpora.py).
And the marks that make the rules hold: names kept whole, short last words tied."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler import typo_audit
from compiler.render.hyphenation import mark, name_words

_PAGE = """<html lang="en"><head><style>
@page { size: 150mm 130mm; margin: 10mm; }
body { font-family: "DejaVu Serif", serif; font-size: 10pt; line-height: 1.4; }
p { margin: 0; text-align: right; }
p.last { text-align: left; }
p.loose { text-align: justify; text-align-last: justify; }
h1 { font-size: 20pt; }
.turn { break-before: page; }
</style></head><body>%s</body></html>"""


def _pdf(tmp_path: Path, body: str) -> Path:
    import weasyprint

    path = tmp_path / "probe.pdf"
    weasyprint.HTML(string=_PAGE % body).write_pdf(path)
    return path


def _full(text: str) -> str:
    return f"<p>{text}</p>"


def _last(text: str) -> str:
    return f'<p class="last">{text}</p>'


# Full lines are set flush right (they end on the right edge with natural word spaces); a
# paragraph's last line flush left; the loose line justified across the measure.


#: Issue #14 asks for at most 1% loose lines. WeasyPrint breaks lines greedily; names are kept whole
#: and at most 8% of lines hyphenated. The paragraph lab breaks a paragraph with a loose line by total
#: fit (compiler/pdf/fit.py), else gives it the spacing that sets it with the fewest
#: (compiler/pdf/lab.py SPACINGS), then tracks a line still loose (compiler/pdf/track.py). Measured
#: 2026-11-30 (make typo on each size's build): A4 0.8% (9 of 1,142), Letter 0.8% (9 of 1,144),
#: 6 x 9 in 0.9% (10 of 1,114) of body lines loose; greedy, 10.2%, 5.1% and 3.6%.


def meets_the_limits(figures: typo_audit.Figures, **allowed: float) -> None:
    """Every limit of issue #14; ``allowed``: a figure let through up to a higher value (none is,
    since the after-layout check reads every line: see compiler/pdf/breaks.py)."""
    assert typo_audit.failures(figures, but=tuple(allowed)) == [], typo_audit.report(figures)
    for name, value in allowed.items():
        assert getattr(figures, name) <= value, typo_audit.report(figures)


FILL = "the quiet water under the old stone bridge ran on and"


def test_each_rule_is_counted_on_a_crafted_pdf(tmp_path: Path) -> None:
    body = "".join([
        "<h1>A heading that ends in a hy\u2010</h1>",  # a heading: not a body line
        _full(f"{FILL} on"), _full(f"{FILL} co\u2010"), _full(f"ordinator {FILL}"),  # 2 letters left
        _full(f"{FILL} Kaza\u2010"), _full(f"khstan {FILL}"),  # a capitalised word
        _full(f"{FILL} wa\u2010"), _full(f"ter {FILL} sto\u2010"), _full(f"ne {FILL} wa\u2010"),  # a stack of 3
        _last("ter on."),
        _full(f"{FILL} on"), _last("on."),  # a runt
        _full(f"{FILL} vic\u2010"), _last("tims."),  # a fragment, and a runt
        _full(f"{FILL} es\u2010"),  # across the page turn
        '<p class="turn">tablish the quiet water under the old stone bridge ran on and on</p>',
        f'<p class="loose">{FILL}</p>',  # loose: justified 5 letters short
        _last(f"{FILL} on and on."),
    ])
    figures = typo_audit.audit(_pdf(tmp_path, body))
    assert figures.pages == 2
    assert figures.body_lines == 17  # the heading is not one
    assert figures.hyphenated == 7
    assert figures.stack == 3  # wa‐ sto‐ wa‐
    assert figures.short_side == 5  # co‐, wa‐ (twice), es‐: 2 letters before; sto‐ne: 2 after
    assert figures.capitalised == 1  # Kaza‐khstan
    assert figures.page_turn == 1  # es‐
    assert figures.runts == 2  # "on." and "tims." ("ter on." has two words)
    assert figures.fragments == 2  # "ter on." and "tims."
    assert figures.loose == 1
    assert "stack 3 > 2" in typo_audit.failures(figures)
    assert len([f for f in typo_audit.failures(figures) if not f.startswith(("median", "hyphenated"))]) == 6  # runts: 2 <= 3


def test_a_clean_pdf_meets_every_limit_but_the_measure(tmp_path: Path) -> None:
    body = "".join([_full(f"{FILL} on") for _ in range(6)] + [_last(f"{FILL} and on.")])
    figures = typo_audit.audit(_pdf(tmp_path, body))
    assert figures.body_lines == 7 and figures.full_lines == 6
    assert (figures.hyphenated, figures.stack, figures.short_side, figures.capitalised, figures.page_turn,
            figures.runts, figures.fragments, figures.loose) == (0, 0, 0, 0, 0, 0, 0, 0)
    assert figures.median_chars == len(f"{FILL} on")
    assert [f for f in typo_audit.failures(figures) if not f.startswith("median")] == []


def test_a_missing_pdf_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert typo_audit.main([str(tmp_path / "none.pdf")]) == 2
    err = capsys.readouterr().err.strip()
    assert "E290" in err and len(err.splitlines()) == 1


def test_names_are_kept_whole_and_short_last_words_tied() -> None:
    html = ("<html><body><h2>Kazakhstan</h2><p>In Kazakhstan’s capital, <em>Astana</em>, eBay met him"
            " on it.</p><p>A paragraph that ends on a longer <b>lastword</b>.</p><pre>Kazakhstan</pre>"
            "<p>Dear Friend,<br/>we came in.</p></body></html>")
    out = mark(html, ["e|Bay"])
    assert '<span class="nh">Kazakhstan</span>’s' in out and '<em><span class="nh">Astana</span></em>' in out
    assert '<span class="nh">e&#173;Bay</span>' in out
    assert "on&#160;it.</p>" in out and "longer <b>lastword</b>." in out
    assert "<h2>Kazakhstan</h2>" in out and "<pre>Kazakhstan</pre>" in out
    assert 'Dear&#160;<span class="nh">Friend</span>,<br/>' in out and "came&#160;in." in out
    assert name_words(["An American teacher", "human trafficking"]) == {"An": "An", "American": "American"}


def test_the_shipped_book_meets_the_limits_at_a4(built) -> None:  # type: ignore[no-untyped-def]
    figures = typo_audit.audit(built["pdf"])
    print(typo_audit.report(figures, "A4"))
    assert figures.body_lines > 800
    meets_the_limits(figures)


def test_a_name_breaks_only_where_the_manifest_says() -> None:
    from pydantic import ValidationError

    from compiler.manifest.schema import HyphenationSpec

    assert HyphenationSpec(names=["Ka|zakh|stan", "eBay"]).names == ["Ka|zakh|stan", "eBay"]
    for bad in ("Ka||zakh", "|Astana", "Almaty|", "Al | maty"):
        with pytest.raises(ValidationError):
            HyphenationSpec(names=[bad])


def test_only_the_print_edition_is_marked(book_model, built) -> None:  # type: ignore[no-untyped-def]
    import zipfile

    from compiler.render import Renderer

    html = Renderer(book_model).print_html()
    assert '<span class="nh">Kazakhstan</span>' in html and "&#160;" in html
    with zipfile.ZipFile(built["epub"]) as z:
        text = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xhtml"))
    assert 'class="nh"' not in text and "&#173;" not in text


def test_the_rules_are_broken_before_enforcement_and_kept_after(book_model) -> None:  # type: ignore[no-untyped-def]
    """The first layout of a chapter breaks the rules (so the check is not vacuous); the parsed
    document, marked and laid out again, keeps them."""
    import weasyprint

    from compiler import urls
    from compiler.pdf import breaks, layout
    from compiler.render import Renderer, Slice

    html = Renderer(book_model).print_html(Slice(front=False, toc=False, prelims=False, chapters=(1,), back=False))
    root, style = book_model.root, book_model.output.style_dir
    fetcher = urls.ProjectFetcher(root)
    fonts, sheets = layout._styles(root, style, "A4", fetcher)
    parsed = weasyprint.HTML(string=html, base_url=style.as_uri() + "/", url_fetcher=fetcher)
    first = parsed.render(stylesheets=sheets, font_config=fonts)
    before = breaks.offences(breaks.lines(first))
    assert {o.kind for o in before} >= {"nohyphen"}, before
    document = layout.render_html(html, root, style, "A4", fetcher)
    assert breaks.offences(breaks.lines(document)) == []
