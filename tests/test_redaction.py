"""Redaction and the leak scan against the corpus in tests/redaction/cases.yaml, and the fold under them.

Every case is built into a small book twice, as PDF+EPUB and EPUB-only, in
this process (one shared in-process layout pool): the ``redacted`` cases all
together in one book of each kind, each ``refused`` case on its own (the
EPUB-only ones laid out as one document, the PDF+EPUB ones in parts, so that
the part and merged layouts reach the cache before the scan). After
every build the whole output folder is searched for the name, independently
of the compiler's scan: the raw bytes of every file, the text and strings and
decompressed streams of every PDF (pdftotext too), and the text, attributes
and decoded URLs of every EPUB member, folded with :func:`compiler.fold.fold`
and with everything but letters removed.
"""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
import sys
import unicodedata
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pikepdf
import pytest
import weasyprint
import yaml

from compiler.files import TEMP_PREFIX
from compiler.errors import CompilerError, Exit
from compiler.fold import fold, fold_char, fold_mapped, occurrences, sound_char
from compiler.leaks import scan_files
from compiler.model import Redaction
from compiler.redact import redact_field, redact_id, redact_text

from conftest import ROOT, run_compiler

NAME = "natasha"
R = (Redaction("Natasha", "N."),)
CASES: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "redaction" / "cases.yaml").read_text())
FIELDS = {"book-title": "title", "book-subtitle": "subtitle", "author": "authors", "description": "description"}
FORMATS = {"pdf+epub": "[pdf, epub]", "epub": "[epub]"}
SECOND = "Second chapter post"


# -- the corpus ----------------------------------------------------------------------------------
def test_corpus_is_well_formed() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)) >= 40
    assert {c["expect"] for c in CASES} == {"redacted", "refused"}
    classes = Counter(c["class"] for c in CASES)
    assert {"confusable", "compatibility", "case", "marks", "ignorable", "glued", "hyphen", "spacing",
            "markup", "entity", "url", "latin-named", "transliterated", "encoded"} <= set(classes)
    assert classes["latin-named"] >= 6 and classes["transliterated"] >= 6 and classes["encoded"] >= 5


def _words(seed: str) -> str:
    """A few words that differ from case to case (so that dedup merges no two posts)."""
    pool = ("amber birch cedar delta ember fjord grove harbor island juniper kettle lantern meadow "
            "orchard pebble quartz river saddle timber umber valley willow yarrow zephyr").split()
    n = sum(map(ord, seed))
    return " ".join(pool[(n * (i + 3) + i * i) % len(pool)] for i in range(12))


def _page(tag: str, posts: list[tuple[str, str]]) -> str:
    body = "".join(f"{title}\n\n{text}\n\nLeave a comment »\n\n" for title, text in posts)
    return f"Posts tagged {tag}\n\n{body}"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def make_project(folder: Path, cases: list[dict[str, Any]], formats: str) -> Path:
    """A small book (foreword, two chapters) holding ``cases``."""
    (folder / "sources").mkdir(parents=True)
    (folder / "chapters").mkdir()
    shutil.copytree(ROOT / "styles", folder / "styles")
    where: dict[str, list[dict[str, Any]]] = {}
    for case in cases:
        where.setdefault(case["where"], []).append(case)
    body = [f"Case {c['id']}: {c['text']} end." for c in where.get("body", [])] or ["No case in the text."]
    posts = [("Body cases", "\n\n".join(body))]
    posts += [(c["text"], f"Post of case {c['id']}: {_words(c['id'])}.") for c in where.get("title", [])]
    (folder / "sources" / "cases.txt").write_text(_page("Cases", posts))
    for n, c in enumerate(where.get("tag", [])):
        (folder / "sources" / f"tag-{n}.txt").write_text(
            _page(c["text"], [(f"Post with a tag, case {c['id']}", f"Post of case {c['id']}: {_words(c['id'])}.")]))
    (folder / "sources" / "second.txt").write_text(_page("Second", [(SECOND, "Another text entirely, of words.")]))
    foreword = [f"Case {c['id']}: {c['text']} end." for c in where.get("foreword", [])]
    foreword += [f"Case {c['id']}: [a link]({c['text']}) end." for c in where.get("link", [])]
    (folder / "chapters" / "foreword.md").write_text("\n\n".join(foreword or ["A short foreword."]) + "\n")
    book = {"title": "Cases", "subtitle": "", "authors": "Tester", "description": ""}
    for key, field in FIELDS.items():  # several cases in one field: joined
        if where.get(key):
            book[field] = " / ".join(c["text"] for c in where[key])
    chapter = " / ".join(c["text"] for c in where.get("chapter-title", [])) or "Cases"
    lines = [f"  {field}: {_quote(value)}" if field != "authors" else f"  authors: [{_quote(value)}]"
             for field, value in book.items() if value]
    (folder / "book.yaml").write_text("book:\n" + "\n".join(lines) + f"""
  date: 2026-01-01
sources: [sources/*.txt]
front_matter:
  - kind: foreword
    file: chapters/foreword.md
chapters:
  - id: cases
    title: {_quote(chapter)}
    rule: {{title_matches: "^(?!{SECOND})"}}
  - id: second
    title: Second
    posts: [second-chapter-post]
output:
  formats: {formats}
redactions:
  - term: Natasha
    replacement: N.
""")
    return folder


@pytest.fixture(scope="module")
def pool() -> Any:
    from compiler.pdf.pool import InProcess

    return InProcess()


def build(project: Path, pool: Any, one_document: bool = False) -> int:
    """Build in this process; the exit code."""
    from compiler import build as build_module

    try:
        build_module.build(project / "book.yaml", build_module.BuildOptions(quiet=True, one_document=one_document),
                           pool)
    except CompilerError as error:
        assert NAME not in _squeeze(str(error))  # a message about a leak never shows it
        return int(error.exit_code)
    return 0


# -- an independent search of everything under out/ ------------------------------------------------
def _squeeze(text: str) -> str:
    """Folded as it looks and as it sounds, with everything but the letters a-z removed (spacing,
    hyphens, punctuation...): the two separated by "|"."""
    return "|".join(re.sub(r"[^a-z]+", "", fold(text, sound)) for sound in (False, True))


def _decoded(text: str) -> str:
    """Percent-encoding and HTML entities undone until nothing changes."""
    while (decoded := html.unescape(unquote(text))) != text:
        text = decoded
    return text


def _pdf_texts(path: Path, data: bytes) -> list[str]:
    texts = [subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=False).stdout.decode(
        "utf-8", "replace")]
    with pikepdf.open(io.BytesIO(data)) as pdf:
        texts += [str(v) for v in pdf.docinfo.values()]
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                try:
                    texts.append(obj.read_bytes().decode("latin-1"))
                except pikepdf.PdfError:
                    pass
            if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
                items = obj.stream_dict.items() if isinstance(obj, pikepdf.Stream) else obj.items()
                texts += [str(v) for _k, v in items if isinstance(v, pikepdf.String)]
                texts += [str(v.get("/URI", "")) for _k, v in items if isinstance(v, pikepdf.Dictionary)]
            elif isinstance(obj, pikepdf.String):
                texts.append(str(obj))
    return texts


def _markup_texts(text: str) -> list[str]:
    attributes = [unquote(unquote(html.unescape(v))) for v in re.findall(r"=\s*[\"']([^\"']*)", text)]
    return [html.unescape(re.sub(r"<[^>]*>", "", text)), " ".join(attributes), unquote(unquote(text))]


def holds_name(out: Path) -> list[str]:
    """Every file (and part of it) under ``out`` where the name can be read."""
    found = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        data = path.read_bytes()
        texts = [path.name, data.decode("utf-8", "replace"), data.decode("latin-1")]
        if not data.startswith((b"%PDF", b"PK", b"\x89PNG")):  # text in any encoding
            texts += [data.decode("utf-16-be", "replace"), data.decode("utf-16-le", "replace")]
        if data.startswith(b"%PDF"):
            texts += _pdf_texts(path, data)
        elif data.startswith(b"PK"):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for member in archive.namelist():
                    content = archive.read(member).decode("utf-8", "replace")
                    texts += [member, *_markup_texts(content)]
        else:
            texts += _markup_texts(data.decode("utf-8", "replace"))
        texts += [_decoded(t) for t in texts if "%" in t or "&" in t]
        if any(NAME in _squeeze(t) for t in texts):
            found.append(str(path.relative_to(out)))
    return found


# -- the builds ----------------------------------------------------------------------------------
REDACTED = [c for c in CASES if c["expect"] == "redacted"]
REFUSED = [c for c in CASES if c["expect"] == "refused"]


@pytest.fixture(scope="module", params=list(FORMATS))
def redacted_book(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                  pool: Any) -> dict[str, Any]:
    """Every ``redacted`` case in one book, built (once per kind of book)."""
    project = make_project(tmp_path_factory.mktemp("redacted"), REDACTED, FORMATS[request.param])
    code = build(project, pool)
    out = project / "out"
    epub = zipfile.ZipFile(out / "book.epub")
    texts = [t for m in epub.namelist() for t in _markup_texts(epub.read(m).decode("utf-8", "replace"))]
    return {"code": code, "out": out, "kind": request.param, "text": fold(" ".join(texts)),
            "report": fold((out / "report.json").read_text())}


def test_redacted_cases_build_with_the_name_nowhere(redacted_book: dict[str, Any]) -> None:
    assert redacted_book["code"] == 0
    out = redacted_book["out"]
    assert (out / "book.pdf").exists() == (redacted_book["kind"] == "pdf+epub")
    assert holds_name(out) == []


@pytest.mark.parametrize("case", REDACTED, ids=[c["id"] for c in REDACTED])
def test_redacted_case_is_replaced(redacted_book: dict[str, Any], case: dict[str, Any]) -> None:
    """The case reached the book, with the replacement where the name was."""
    assert redacted_book["code"] == 0
    if case["where"] in ("body", "foreword", "link"):
        marker = re.escape(fold(f"Case {case['id']}:"))
        assert re.search(marker + r".{0,60}n\.", redacted_book["text"], re.S), case["id"]
    elif case["where"] == "tag":
        assert fold(redact_text(case["text"], R)) in redacted_book["report"]
    else:
        expected = fold(redact_text(case["text"], R))
        assert "n." in expected and expected in redacted_book["text"], (case["id"], expected)


@pytest.mark.parametrize("kind", list(FORMATS))
@pytest.mark.parametrize("case", REFUSED, ids=[c["id"] for c in REFUSED])
def test_refused_case_stops_the_build_and_leaves_nothing(tmp_path: Path, pool: Any, case: dict[str, Any],
                                                         kind: str) -> None:
    project = make_project(tmp_path, [case], FORMATS[kind])
    assert build(project, pool, one_document=kind == "epub") == Exit.LEAK  # (PDF+EPUB: in parts, cached)
    out = project / "out"
    assert not (out / ".cache").exists()
    assert holds_name(out) == []


# -- the fold --------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, folded", [
    ("Natasha", "natasha"),
    ("N\u0430t\u0430sh\u0430", "natasha"),                       # Cyrillic a
    ("\u039d\u0391\u03a4\u0391\u0405\u0397\u0391", "natasha"),   # Greek capitals, Cyrillic dze
    ("\uff2e\uff41\uff54\uff41\uff53\uff48\uff41", "natasha"),   # fullwidth
    ("\U0001d40d\U0001d41a\U0001d42d\U0001d41a\U0001d42c\U0001d421\U0001d41a", "natasha"),  # mathematical bold
    ("\u0274\u1d00\u1d1b\u1d00\ua731\u029c\u1d00", "natasha"),   # small capitals
    ("\u24c3\u24b6\u24c9\u24b6\u24c8\u24bd\u24b6", "natasha"),   # circled
    ("Nat\u0483a\u20dbs\u1dc4ha\u0301", "natasha"),               # marks of every block
    ("Na\u00adt\u200ba\u2060s\ufe0fh\u061ca\U000e0061", "natasha"),  # default-ignorables
    ("Nata\u2010sha Nata\u2013sha Nata\uff0dsha", "nata-sha nata-sha nata-sha"),  # dashes
    ("STRASSE stra\u00dfe", "strasse strasse"),
    ("\ufb01ne", "fine"),
    ("\U0001f17d\U0001f170\U0001f183\U0001f170\U0001f182\U0001f177\U0001f170", "natasha"),  # negative squared
    ("\U0001f15d\U0001f150\U0001f163", "nat"),                  # negative circled
    ("\u24a9\u249c\u24af\u249c\u24ae\u24a3\u249c", "natasha"),   # parenthesized: (n) without brackets
    ("N\u2c65t\u2c65sh\u2c65", "natasha"),                      # a with stroke
    ("\ua7a4\u2c65t\u2c65\ua7a8h\u2c65", "natasha"),               # n, s with oblique stroke
    ("\ua790\u0250\u0288\u0250", "nata"),                       # n with descender, turned a, t with hook
    ("\u0149 \u0181", "n b"),                                   # 'n and 'b: the letter only
    ("\U0001f1f3\U0001f1e6", "na"),                              # regional indicators
    ("\u041d\u0430\u0442\u0430\u0448\u0430", "hatawa"),             # Cyrillic, as it looks
    ("\u0447\u044f", "chr"),                                    # no Latin look-alike: as it sounds
])
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize("text, folded", [
    ("\u041d\u0430\u0442\u0430\u0448\u0430 \u041d\u0410\u0422\u0410\u0428\u0410", "natasha natasha"),
    ("\u0429\u0443\u043a\u0430 \u0425\u0440\u0443\u0449\u0435\u0432 \u0415\u043b\u044c\u0446\u0438\u043d",
     "shchuka khrushchev el'tsin"),                                   # BGN/PCGN, e without context
    ("Nata\u0161a \u017de \u010de Nata\u0283a", "natasha zhe che natasha"),  # caron, esh
    ("Natas\u030cha", "natashha"),                                       # a combining caron after s
    ("\u039d\u03b1\u03c4\u03ac\u03c3\u03b1 \u03c7", "natasa ch"),       # Greek
    ("Natasha \u30ca\u30bf\u30fc\u30b7\u30e3", "natasha " + fold("\u30ca\u30bf\u30fc\u30b7\u30e3")),  # Japanese as it looks
])
def test_fold_as_it_sounds(text: str, folded: str) -> None:
    assert fold(text, sound=True) == folded


def test_fold_is_idempotent_and_one_character_at_a_time() -> None:
    chars = [chr(c) for r in (range(0x20, 0x530), range(0x1d00, 0x1dc0), range(0x2000, 0x2100), range(0x2460, 0x2500),
                              range(0x2c60, 0x2c80), range(0xa720, 0xa800), range(0xff00, 0xff60),
                              range(0x1d400, 0x1d4ff), range(0x1f100, 0x1f200)) for c in r]
    for char in chars:
        for sound in (False, True):
            assert fold(fold(char, sound), sound) == fold(char, sound), (hex(ord(char)), sound)
    text = "".join(chars)
    assert fold(text) == "".join(fold_char(c) for c in chars)
    assert fold(text, sound=True) == "".join(sound_char(c) for c in chars)


#: A name that says the character is the Latin letter X (or XY): it must fold to ASCII.
NAMES_A_LETTER = re.compile(r"(?:[A-Z -]+ )?(?:LATIN (?:CAPITAL |SMALL |SUBSCRIPT SMALL |EPIGRAPHIC )?LETTER|"
                            r"REGIONAL INDICATOR SYMBOL LETTER) (?:[A-Z-]+ )*?[A-Z]{1,2}(?: |$)")


def test_every_latin_letter_folds_to_ascii() -> None:
    """All of Unicode, once: every letter or symbol whose name says it is a Latin letter X (with a stroke,
    hook, tail, descender..., turned, negative squared, parenthesized) folds to ASCII letters; of all the
    letters whose name says LATIN, only those named by no letter A-Z (eth, ezh, glottal stop, clicks,
    tresillo...) may keep a non-ASCII fold."""
    latin = left = 0
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        name = unicodedata.name(char, "")
        if "LATIN" not in name or " LETTER " not in name + " " or unicodedata.category(char)[0] not in "LS":
            continue
        latin += 1
        folded = fold(char)
        if not folded.isascii():
            assert not NAMES_A_LETTER.match(name.split(" WITH ")[0]), (hex(code), name, folded)
            left += 1
    assert latin > 1400 and left <= 70, (latin, left)  # 535 before the rule by name, 65 after


@pytest.mark.parametrize("text", ["N\u0430t\u0430sh\u0430\u2019s", "\ufb01 Nat\u0483asha \U0001d40d!",
                                  "a\u00adb\u0301c"])
def test_fold_mapped_points_back_to_the_original(text: str) -> None:
    folded, origins = fold_mapped(text)
    assert folded == fold(text) and len(origins) == len(folded)
    assert origins == sorted(origins)
    for i, char in enumerate(text):
        assert "".join(folded[j] for j, o in enumerate(origins) if o == i) == fold_char(char)


@pytest.mark.parametrize("text, spans", [
    ("Natasha", [(0, 7, True)]),
    ("NatashaIvanova", [(0, 7, True)]),
    ("IvanovaNatasha", [(7, 14, True)]),
    ("natasha2012", [(0, 7, True)]),
    ("2012natasha", [(4, 11, True)]),
    ("natasha_ivanova", [(0, 7, True)]),
    ("xnatashay", [(1, 8, False)]),
    ("natashaivanova", [(0, 7, False)]),
    ("NATASHAIVANOVA", [(0, 7, False)]),
    ("Natashas Natasha\u0301s", [(0, 8, True), (9, 18, True)]),
    ("Natashasmith", [(0, 7, False)]),
    ("Nata-\nsha", [(0, 9, True)]),
    ("N a t a s h a", [(0, 13, True)]),
    ("Nat a sha!", [(0, 9, True)]),
    ("pinata sharing", []),
])
def test_occurrences_and_their_bounds(text: str, spans: list[tuple[int, int, bool]]) -> None:
    assert [(o.start, o.end, o.bounded) for o in occurrences(text, "Natasha")] == spans


@pytest.mark.parametrize("text, spans", [
    ("\u041d\u0430\u0442\u0430\u0448\u0430", [(0, 6, True)]),                         # Н as it sounds
    ("\u041datasha", [(0, 7, True)]),                                              # Cyrillic Н, Latin rest
    ("N\u0430\u0442\u0430\u0405h\u0430", [(0, 7, True)]),                             # т as it sounds, Ѕ as it looks
    ("\u0421\u0443\u043f\u0435\u0440\u043d\u0430\u0442\u0430\u0448\u0430", [(5, 11, False)]),  # inside a word
    ("Nata\u0161a Nata\u0283a", [(0, 6, True), (7, 13, True)]),
    ("\u039d\u03b1\u03c4\u03ac\u03c3\u03b1", []),                                  # Greek has no "sh"
])
def test_occurrences_in_either_fold(text: str, spans: list[tuple[int, int, bool]]) -> None:
    assert [(o.start, o.end, o.bounded) for o in occurrences(text, "Natasha")] == spans


def test_a_term_in_another_script_matches_either_way() -> None:
    assert len(occurrences("Natasha, \u041d\u0430\u0442\u0430\u0448\u0430", "\u041d\u0430\u0442\u0430\u0448\u0430")) == 2


#: Ordinary text that must not match the name (and the name itself in each language, which must).
PROSE = {
    "en": "The shelter opened at nine. Volunteers sorted coats, boots and tinned food, and a man named "
          "Nathan asked about the night bus. Natalie, Sasha and Tasha signed the rota; the pinata sharing "
          "table stood by the door. Nat, a nurse, said the national hash of the data was fine.",
    "ru": "Приют открылся в девять. Волонтёры разбирали пальто, сапоги и консервы; Наталья и Саша "
          "записались в график, а Таша принесла чай. Натащили столько вещей, что шкаф не закрывался. "
          "Наташенька? Нет, Настя. Ната шла домой поздно, шапка намокла, на тарелке лежала каша.",
    "kk": "Баспана сағат тоғызда ашылды. Еріктілер пальто мен етікті сұрыптады; Наталья мен Саша кестеге "
          "жазылды, ал Таша шай әкелді. Қала үлкен, жол ұзақ, бірақ адамдар мейірімді. Ата-аналар шаршады.",
    "ja": "避難所は九時に開いた。ボランティアがコートや長靴を仕分けし、ナタリーとサーシャが当番表に名前を書いた。"
          "ナターシャは来なかった。夜行バスについて尋ねる人もいた。東京、大阪、札幌からの寄付が届いた。",
}


@pytest.mark.parametrize("language", list(PROSE))
def test_ordinary_text_does_not_match(language: str) -> None:
    text = PROSE[language]
    assert occurrences(text, "Natasha", scan=True) == []
    named = {"en": "Natasha", "ru": "\u041d\u0430\u0442\u0430\u0448\u0430", "kk": "\u041d\u0430\u0442\u0430\u0448\u0430",
             "ja": "Natasha"}[language]
    assert len(occurrences(f"{text} {named}.", "Natasha", scan=True)) == 1


def test_scattered_letters_are_found_by_the_scan_only() -> None:
    assert occurrences("We met Nat*a*sha.", "Natasha") == []
    assert [(o.start, o.end) for o in occurrences("We met Nat*a*sha.", "Natasha", scan=True)] == [(7, 16)]


def test_every_letter_matches_in_either_case() -> None:
    assert len(occurrences("ivan IVAN Ivan lvan 1van", "Ivan")) == 5  # I folds to l, i to i
    assert len(occurrences("Emma EMMA ernrna", "Emma")) == 3  # m folds to rn


# -- redact_text and redact_id ---------------------------------------------------------------------
@pytest.mark.parametrize("text, redacted", [
    ("We met Natasha.", "We met N.."),
    ("N\u0430t\u0430sh\u0430 came", "N. came"),
    ("\uff28\uff49 N\u0430t\u0430sh\u0430\u2019s caf\u00e9", "\uff28\uff49 N.\u2019s caf\u00e9"),  # the rest as typed
    ("NatashaIvanova", "N.Ivanova"),
    ("IvanovaNatasha and natasha2012@mail.ru", "IvanovaN. and N.2012@mail.ru"),
    ("Nata-sha, Nata\u2011sha and Nata\u2013sha", "N., N. and N."),
    ("Nat\u0483ash\u00e1\u0301\u2019s", "N.\u2019s"),  # trailing marks go with the name
    ("NATASHAS and Natashas", "N.S and N.s"),  # the plural "s" is kept as typed
    ("N a t a s h a.", "N.."),
    ("\u202eNatasha\u202c", "\u202eN.\u202c"),
    ("xnatashay", "xnatashay"),  # inside a word: left for the scan, which refuses the build
    ("pinata sharing", "pinata sharing"),
    ("\u041d\u0430\u0442\u0430\u0448\u0430 \u043f\u0440\u0438\u0448\u043b\u0430", "N. \u043f\u0440\u0438\u0448\u043b\u0430"),
    ("N\u2c65t\u2c65sh\u2c65\u2019s and \u24a9\u249c\u24af\u249c\u24ae\u24a3\u249c", "N.\u2019s and N."),
    ("\U0001f17d\U0001f170\U0001f183\U0001f170\U0001f182\U0001f177\U0001f170!", "N.!"),
    ("https://example.org/N%61tasha/ and ?who=%4E%41%54%41%53%48%41&x=1", "https://example.org/N./ and ?who=N.&x=1"),
    ("example.org/N%2561tasha%27s", "example.org/N.%27s"),  # decoded until nothing changes
    ("/%D0%9D%D0%B0%D1%82%D0%B0%D1%88%D0%B0/", "/N./"),  # UTF-8 percent-encoded Cyrillic
    ("example.org/xN%61tashay", "example.org/xN%61tashay"),  # inside a word: for the scan
    ("100% sure, 50%off", "100% sure, 50%off"),
    ("", ""),
])
def test_redact_text(text: str, redacted: str) -> None:
    assert redact_text(text, R) == redacted


def test_redact_text_two_terms_in_order() -> None:
    rs = (Redaction("Natasha Ivanova", "N. I."), Redaction("Natasha", "N."))
    assert redact_text("Natasha Ivanova, natasha-ivanova and Natasha", rs) == "N. I., N. I. and N."


@pytest.mark.parametrize("ident, redacted", [
    ("natasha-story", "n-story"),
    ("natashas-story", "n-s-story"),
    ("natashaivanovas-diary", "n-diary"),  # a slug has lost its case: the whole word goes
    ("xnatashay-2", "n-2"),
    ("natasha2012", "n-2012"),
    ("story-of-a-shelter", "story-of-a-shelter"),
])
def test_redact_id(ident: str, redacted: str) -> None:
    assert redact_id(ident, R) == redacted


def test_redacted_ids_stay_unique(tmp_path: Path) -> None:
    from compiler.manifest import load_manifest
    from compiler.model.assemble import assemble
    from compiler.redact import redact

    titles = ["NatashaIvanova story", "NatashaPetrova story", "Natasha story", "N. story"]
    project = make_project(tmp_path, [{"id": f"t{n}", "where": "title", "text": t} for n, t in enumerate(titles)],
                           FORMATS["epub"])
    book = assemble(load_manifest(project / "book.yaml"), redact)
    ids = [p.id for c in book.chapters for p in c.posts]
    assert len(ids) == len(set(ids)) == len(titles) + 2  # and the body cases and the second chapter's
    assert not any(NAME in _squeeze(i) for i in ids)


@pytest.mark.parametrize("field, redacted", [
    ("natashaivanovas-diary", "n-diary"), ("natashafans", "n"), ("NatashaIvanova’s diary", "N.Ivanova’s diary"),
    ("sources/natasha.txt", "sources/N..txt"), ("exact", "exact"),
])
def test_redact_field(field: str, redacted: str) -> None:
    assert redact_field(field, R) == redacted


# -- the scan ----------------------------------------------------------------------------------------
def _epub(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, content in members.items():
            z.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize("xhtml, where", [
    ("<p>We met Nat<em>a</em>sha.</p>", "text of"),
    ("<p>We met Na<span><b>ta</b></span>sha.</p>", "text of"),
    ("<p>Nat&#x61;sha &amp; co</p>", "member"),
    ("<p>N&#1072;t&#1072;sh&#1072;</p>", "member"),
    ('<p><a href="http://example.com/natasha2012">x</a></p>', "attributes of"),
    ('<p><a href="http://example.com/N%61tasha">x</a></p>', "attributes of"),
    ('<p><a href="http://example.com/N%2561tasha">x</a></p>', "attributes of"),
    ('<p><img alt="N\u0430t\u0430sh\u0430" src="a.png"/></p>', "member"),
    ("<p>Nata\ufe0fsha and Nata\u061csha</p>", "member"),
    ("<p>Nata<!-- a comment -->sha</p>", "text of"),
    ("<p>Nata<?pi x?>sha</p>", "text of"),
    ("<p>Nata<b>sha</p> & not XML <<", "text of"),
])
def test_epub_scan_reads_text_attributes_and_urls(xhtml: str, where: str) -> None:
    page = f'<html xmlns="http://www.w3.org/1999/xhtml"><body>{xhtml}</body></html>'
    leaks = scan_files({"book.epub": _epub({"EPUB/text/a.xhtml": page})}, R)
    assert any(leak.where.startswith(where) for leak in leaks), leaks


def test_epub_scan_reads_opf_and_ncx_hrefs() -> None:
    opf = '<package><manifest><item id="x" href="text/natasha2012.xhtml"/></manifest></package>'
    ncx = '<ncx><navMap><navPoint><content src="text/N%61tasha.xhtml"/></navPoint></navMap></ncx>'
    assert scan_files({"book.epub": _epub({"EPUB/content.opf": opf})}, R)
    assert scan_files({"book.epub": _epub({"EPUB/toc.ncx": ncx})}, R)


def test_scan_reads_json_escapes() -> None:
    assert scan_files({"report.json": b'{"title": "N\\u0430t\\u0430sh\\u0430"}'}, R)


def test_pdf_scan_reads_a_name_hyphenated_across_lines() -> None:
    page = ('<html lang="en"><body style="width: 70px; hyphens: auto; font-size: 20px">'
            "<p>Unnecessarily Natasha extraordinarily</p></body></html>")
    pdf = weasyprint.HTML(string=page).write_pdf()
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert NAME not in text.casefold()  # it is broken across lines
    assert any(leak.where == "text of page 1" for leak in scan_files({"book.pdf": pdf}, R))


@pytest.mark.parametrize("text", ["https://example.org/xN%61tashay/", "?who=x%4E%41%54%41%53%48%41y", "xN%2561tashay",
                                  "Nat&#97;sha", "Nat&amp;#97;sha", "%26%2378%3Batasha", "x\u041d\u0430\u0442\u0430\u0448\u0430y"])
def test_scan_reads_encoded_and_transliterated_text(text: str) -> None:
    """A name found only percent-decoded, entity-decoded or transliterated is a leak, in any output."""
    assert scan_files({"report.json": text.encode()}, R)
    page = f'<html xmlns="http://www.w3.org/1999/xhtml"><body><p>{html.escape(text)}</p></body></html>'
    assert scan_files({"book.epub": _epub({"EPUB/text/a.xhtml": page})}, R)
    pdf = weasyprint.HTML(string=f"<p>{html.escape(text)}</p>").write_pdf()
    assert any(leak.where == "text of page 1" for leak in scan_files({"book.pdf": pdf}, R))


def test_scan_of_ordinary_percent_and_entities_passes() -> None:
    assert scan_files({"report.json": b"100% sure, 50%off, %41%42, &amp; &#169; %E2%82%AC"}, R) == []


def test_pdf_scan_reads_percent_encoded_link() -> None:
    pdf = weasyprint.HTML(string='<p><a href="http://example.com/N%61tasha">x</a></p>').write_pdf()
    assert any("URI" in leak.where for leak in scan_files({"book.pdf": pdf}, R))


# -- a refused build leaves nothing -------------------------------------------------------------------
def test_refused_build_keeps_previous_outputs_and_removes_cache_and_temporaries(tmp_path: Path,
                                                                                pool: Any) -> None:
    ok = next(c for c in CASES if c["id"] == "soft-hyphen-body")
    project = make_project(tmp_path / "p", [ok], FORMATS["pdf+epub"])
    assert build(project, pool) == 0
    out = project / "out"
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert (out / ".cache").is_dir()
    planted = [out / ".cache" / "some-new-kind" / "entry.bin", out / f"{TEMP_PREFIX}book.pdf-x1.tmp",
               out / "sub" / f"{TEMP_PREFIX}part.pdf-x2.tmp"]
    for path in planted:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("Natasha")
    source = project / "sources" / "cases.txt"
    source.write_text(source.read_text().replace("end.", "and xnatashay end.", 1))
    assert build(project, pool) == Exit.LEAK
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert not any(path.exists() for path in planted) and not (out / ".cache").exists()
    assert holds_name(out) == []


def test_refused_build_by_the_command_line_leaves_nothing(tmp_path: Path) -> None:
    """The real command, with layout (and the PDF's scan) in worker processes."""
    case = next(c for c in CASES if c["id"] == "glued-both-body")
    project = make_project(tmp_path, [case], FORMATS["pdf+epub"])
    result = run_compiler("book.yaml", "--jobs", "1", cwd=project)
    assert result.returncode == Exit.LEAK, result.stderr
    assert "E301" in result.stderr and NAME not in _squeeze(result.stderr + result.stdout)
    assert not (project / "out" / ".cache").exists() and holds_name(project / "out") == []


def test_a_file_that_cannot_be_removed_is_e302(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from compiler import verify

    (tmp_path / f"{TEMP_PREFIX}book.pdf-x.tmp").write_text("Natasha")

    def refuse(path: Any) -> None:
        raise PermissionError(path)

    monkeypatch.setattr(verify.os, "unlink", refuse)
    problems = verify.discard_unscanned(tmp_path)
    assert [p.code for p in problems] == ["E302"] and problems[0].file.endswith("book.pdf-x.tmp")


def test_a_users_own_tmp_file_is_not_removed(tmp_path: Path) -> None:
    from compiler import verify

    (tmp_path / ".my-notes.tmp").write_text("mine")
    (tmp_path / f"{TEMP_PREFIX}book.pdf-x.tmp").write_text("ours")
    assert verify.discard_unscanned(tmp_path) == []
    assert [p.name for p in tmp_path.iterdir()] == [".my-notes.tmp"]


def test_a_build_that_dies_before_its_scan_leaves_nothing(tmp_path: Path, pool: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Any failure between rendering and the end of the scan (a limit, an interrupt, a crash)
    removes what the build cached; a build killed outright leaves the marker, and then the next
    build (even a would-be no-op) trusts nothing in the cache and removes it first."""
    from compiler import build as build_module, cache

    case = next(c for c in CASES if c["id"] == "soft-hyphen-body")
    project = make_project(tmp_path, [case], FORMATS["pdf+epub"])
    out = project / "out"
    real = build_module.render_book

    def dies(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)  # the cache now holds this build's layouts
        assert (out / ".cache" / cache.UNSCANNED).exists()
        raise KeyboardInterrupt

    monkeypatch.setattr(build_module, "render_book", dies)
    with pytest.raises(KeyboardInterrupt):
        build(project, pool)
    assert not (out / ".cache").exists()
    monkeypatch.setattr(build_module, "render_book", real)

    assert build(project, pool) == 0
    planted = out / ".cache" / "layout" / "left-by-a-killed-build.pdf"
    planted.write_text("Natasha")
    (out / ".cache" / cache.UNSCANNED).touch()  # as a build killed by SIGKILL leaves it
    assert cache.up_to_date(project / "book.yaml", out, "") is None
    assert build(project, pool) == 0
    assert not planted.exists() and not (out / ".cache" / cache.UNSCANNED).exists()
    assert holds_name(out) == []


def test_out_option_is_checked_like_output_dir(tmp_path: Path) -> None:
    case = next(c for c in CASES if c["id"] == "soft-hyphen-body")
    project = make_project(tmp_path, [case], FORMATS["epub"])
    for folder in (".", "sources", "chapters/.."):
        result = run_compiler("book.yaml", "--out", folder, cwd=project)
        assert result.returncode == Exit.INPUT and "E248" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_redaction_reaches_every_text_of_a_built_model(book_model) -> None:  # type: ignore[no-untyped-def]
    """The one walk: alt text, captions, URLs, footnotes, code, comment authors and bodies of a built
    book all lose the name, wherever the node stands (nothing here is special-cased in redact.py)."""
    import dataclasses
    import datetime as dt

    from compiler.model import Redaction
    from compiler.model.entries import Comment
    from compiler.model.nodes import (
        ROLES, Code, Content, Embed, Figure, Footnote, FootnoteRef, Image, Link, Paragraph, Table, TableCell,
        TableRow, Text, iter_text,
    )
    from compiler.redact import redact

    name = "Natasha"

    def para(*children):  # type: ignore[no-untyped-def]
        return Paragraph(tuple(children))

    body = Content((
        para(Text(f"{name} wrote"), FootnoteRef("n"), Link(f"https://ex.example/{name}", (Text("her page"),),
                                                            f"{name}’s page"), Code(f"user={name}")),
        Figure((Image(f"https://ex.example/{name}.jpg", f"{name} at the shelter", caption=(Text(name),)),),
               (Text(f"Photo of {name}"),)),
        Embed(f"https://www.youtube.com/watch?v={name}", "youtube", (Text(f"{name} speaks"),)),
        Table((), (TableRow((TableCell((Text(name),)),)),), (Text(f"{name}’s table"),)),
    ), (Footnote("n", (para(Text(f"As {name} said.")),)),))
    reply = Comment(2, f"{name}Petrova", dt.datetime(2012, 1, 2), Content((para(Text(f"Thanks {name}")),)),
                    author_url=f"https://{name.lower()}.example")
    thread = (Comment(1, name, dt.datetime(2012, 1, 1), Content((para(Text(f"I am {name}")),)), (reply,)),)
    chapter = book_model.chapters[0]
    post = dataclasses.replace(chapter.posts[0], content=body, thread=thread)
    planted = dataclasses.replace(book_model, redactions=(Redaction(name, "N."),), chapters=(
        dataclasses.replace(chapter, posts=(post, *chapter.posts[1:])), *book_model.chapters[1:]))
    before = [t for t in iter_text(planted.chapters[0].posts[0], ROLES) if name.casefold() in t.casefold()]
    assert len(before) >= 15  # every role is planted
    book = redact(planted)
    assert name.casefold() not in repr(book.chapters).casefold()
    assert name.casefold() not in repr(book.meta).casefold()
    assert not [t for c in book.chapters for t in iter_text(c, ROLES) if name.casefold() in t.casefold()]
