"""Package the EPUB reproducibly: ebooklib writes it, we rewrite the zip.

ebooklib 0.20 stamps zip entries with the current time and reports success
on broken books, so its output is rewritten with ``mimetype`` first and
stored, entries in a fixed order, and fixed timestamps; then reopened and
checked.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from compiler.errors import CompilerError, Diagnostic, Exit

FIRST = ("mimetype", "META-INF/container.xml")


def zip_time(moment: dt.datetime) -> tuple[int, int, int, int, int, int]:
    """A zip timestamp, clamped to 1980 (the earliest a zip can hold)."""
    moment = max(moment.astimezone(dt.timezone.utc).replace(tzinfo=None), dt.datetime(1980, 1, 1))
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second - moment.second % 2)


def rezip(data: bytes, moment: dt.datetime, language: str) -> bytes:
    """Rewrite an EPUB zip deterministically (and give the package document its language)."""
    stamp = zip_time(moment)
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        names = source.namelist()
        members = {name: source.read(name) for name in names}
    opf = next(n for n in members if n.endswith(".opf"))
    members[opf] = _package_language(members[opf], language)
    order = [n for n in FIRST if n in members] + sorted(n for n in members if n not in FIRST)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            stored = name == "mimetype"
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            target.writestr(info, members[name], compresslevel=None if stored else 9)
    result = out.getvalue()
    check(result)
    return result


def _package_language(opf: bytes, language: str) -> bytes:
    """Add ``xml:lang`` to the OPF ``package`` element (ebooklib leaves it out; Ace requires it)."""
    if b"xml:lang=" in opf.split(b">", 2)[1]:
        return opf
    return opf.replace(b"<package ", f'<package xml:lang="{language}" '.encode(), 1)


def check(data: bytes) -> None:
    """Basic structural checks of a packaged EPUB (EPUBCheck does the rest)."""
    problems: list[str] = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as epub:
            infos = epub.infolist()
            if not infos or infos[0].filename != "mimetype" or infos[0].compress_type != zipfile.ZIP_STORED:
                problems.append("'mimetype' is not the first, stored entry")
            elif epub.read("mimetype") != b"application/epub+zip":
                problems.append("'mimetype' has the wrong content")
            if "META-INF/container.xml" not in epub.namelist():
                problems.append("META-INF/container.xml is missing")
            if bad := epub.testzip():
                problems.append(f"entry {bad} is corrupt")
    except zipfile.BadZipFile as exc:
        problems.append(f"not a zip file: {exc}")
    if problems:
        raise CompilerError([Diagnostic("E401", p, "epub") for p in problems], Exit.OUTPUT)
