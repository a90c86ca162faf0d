"""Line tracking (compiler/pdf/track.py) on real layouts: which words of a loose line are spaced,
how a line is counted when Pango breaks it inside a word, and what is kept when WeasyPrint does
not set a tracked paragraph as planned."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from xml.etree import ElementTree

from test_lab import _PAGE, Plain

from compiler.pdf import breaks, lab, track

# The TIP report's sentence whose line opens with words tied by total fit (compiler/pdf/fit.py).
TIED = ("The Government of Kazakhstan made some progress in identifying and protecting trafficking "
        "victims in 2010; however, the government identified only one foreign labor trafficking victim, "
        "despite being a recognized destination for foreign victims of\u00a0forced\u00a0labor. Although "
        "migration police reported screening illegal migrants detained during immigration raids, these "
        "efforts did not result in the identification of any trafficking victims.")
ARTICLES = ("Kazakhstan prohibits trafficking in persons for both labor and sexual exploitation through "
            "Articles 128, 133, 125(3)(b), 126(3)(b), 270, and 132-1 of its penal code, which prescribe "
            "penalties of up to 15 years’ imprisonment, penalties sufficiently stringent and commensurate "
            "with those prescribed for other serious crimes, such as rape.")


def _lab(text: str, width: str, hyphens: str = "auto") -> tuple[lab.Lab, list[breaks.LineInfo], Any]:
    html = _PAGE.replace("110mm 80mm", f"{width} 200mm").replace(
        "hyphens: auto;", f"hyphens: {hyphens}; word-spacing: 0.04em;") % f'<p lang="en">{text}</p>'
    setting = Plain(html)
    found = breaks.lines(setting.render())
    scratch, _lines = lab.open_lab(setting.tree, found, [found[0].block], setting.lab)
    return scratch, scratch.lines(), next(iter(scratch.clones.values()))


def _text(clone: Any) -> str:
    return ElementTree.tostring(clone, encoding="unicode")


def test_a_span_never_opens_inside_the_words_tied_to_open_a_line() -> None:
    """A span that opened at "forced" in "of forced labor" (tied) made WeasyPrint set "des-" and
    "pite" on lines of their own, so the paragraph lost all its tracking."""
    scratch, lines, clone = _lab(TIED, "104.3mm")
    opening = [line for line in lines if line.text.startswith("of\u00a0forced")]
    assert opening and opening[0].gap > track.FROM * opening[0].natural  # the tied line is loose
    kept = track.track(scratch, lines, lambda line: line.natural)
    assert kept == {id(clone)}
    assert "\u00a0<span" not in _text(clone) and "forced\u00a0labor. <span" in _text(clone)
    again = scratch.lines()
    assert [line.text for line in again] == [line.text for line in lines]
    assert max(line.gap / line.natural for line in again if line.text.startswith("of\u00a0forced")) \
        < opening[0].gap / opening[0].natural


def test_the_whole_words_of_lines_broken_inside_a_word_are_counted() -> None:
    joined = "Articles 125(3)(b), identi\u00adfying anti-trafficking work."
    lines = [SimpleNamespace(text=t, hyphen=h) for t, h in (
        ("Articles 125(3)", None), ("(b), identi\u00ad\u2010", "soft"), ("fying anti-", "hard"),
        ("trafficking work.", None))]
    assert track.spans(lines, joined) == [(0, 0), (1, 0), (1, 0), (4, 4)]  # type: ignore[arg-type]
    assert track.spans(lines[:3], joined) is None  # type: ignore[arg-type]
    assert track.spans([SimpleNamespace(text="Other words", hyphen=None)], joined) is None  # type: ignore[list-item]


def test_a_paragraph_pango_breaks_inside_a_word_is_still_tracked() -> None:
    tracked = 0
    for width in ("66.9mm", "72.1mm", "77.3mm"):
        scratch, lines, clone = _lab(ARTICLES, width, hyphens="manual")
        assert any(line.text.rstrip().endswith("(3)") for line in lines), width  # "126(3)|(b)"
        kept = track.track(scratch, lines, lambda line: line.natural)
        if kept:
            tracked += 1
            assert [line.text for line in scratch.lines()] == [line.text for line in lines], width
    assert tracked >= 2


def test_a_line_weasyprint_misses_at_every_try_is_left_out_and_the_others_kept(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    scratch, lines, clone = _lab(TIED, "80.5mm")
    real = track.check
    calls: list[str] = []

    def check(lab_: Any, saved: dict[int, Any], text: Any, misses: Any = None) -> set[int]:
        calls.append(_text(clone))
        if len(calls) <= track.TRIES:  # WeasyPrint "missed" the second line at each try
            misses[id(clone)] = 1
            clone.text, clone[:] = saved[id(clone)][0], saved[id(clone)][1]
            return set()
        return real(lab_, saved, text, misses)

    monkeypatch.setattr(track, "check", check)
    kept = track.track(scratch, lines, lambda line: line.natural)
    assert len(calls) == track.TRIES + 1 and kept == {id(clone)}
    assert calls[-1] == _text(clone) and 0 < calls[-1].count('"tr nh"') < calls[0].count('"tr nh"')
