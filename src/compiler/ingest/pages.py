"""Read archive pages (plain text saved from a WordPress blog) into post copies.

A page is a header line, then posts: a title line, paragraphs, and a footer
line that closes the post. Headers and footers are never part of a post's
text. Paragraphs are split at blank lines; a line that continues a sentence
(it starts in lower case) is a soft wrap and is joined back with a space.
"""

from __future__ import annotations

from compiler import files
from compiler.errors import CompilerError, Diagnostic
from compiler.ingest import ReadOptions, Reader, Source
from compiler.ingest.headers import Header, parse_footer, parse_header
from compiler.ingest.structure import structure
from compiler.ingest.text import codepoint, first_control, is_blank, shown
from compiler.model import PostCopy, Seen
from compiler.model.convert import from_blocks


def _error(code: str, message: str, name: str, line: int, hint: str) -> CompilerError:
    return CompilerError(Diagnostic(code, message, name, line, hint=hint))


#: Longest post title, in characters: a longer "title" is a paragraph where a title belongs.
MAX_TITLE = 300


def _refuse_controls(lines: list[str], name: str) -> None:
    """No control character (but tab) anywhere: no output can show one, and a terminal obeys it."""
    for number, line in enumerate(lines, 1):
        if (column := first_control(line)) is not None:
            raise CompilerError(Diagnostic("E118", f"control character {codepoint(line[column])} in the page",
                                           name, number, column + 1,
                                           "remove it: it is a terminal escape or a binary byte, not text"))


def paragraphs(lines: list[str]) -> list[str]:
    """Split body lines into paragraphs, joining soft-wrapped lines."""
    paras: list[str] = []
    current: str | None = None
    for raw in lines:
        line = "" if is_blank(raw) else raw.strip()
        if not line:
            if current is not None:
                paras.append(current)
            current = None
        elif current is not None and line[0].islower():
            current = f"{current} {line}"
        else:
            if current is not None:
                paras.append(current)
            current = line
    if current is not None:
        paras.append(current)
    return paras


def parse_page(text: str, name: str) -> list[PostCopy]:
    """Parse one decoded archive page; raise with the file and line on bad input."""
    lines = text.split("\n")
    _refuse_controls(lines, name)
    numbered = [(n, line) for n, line in enumerate(lines, 1) if not is_blank(line)]
    if not numbered:
        raise _error("E110", "archive page is empty", name, 1,
                     "remove the file or save the page again with its posts")
    header_line, header_text = numbered[0]
    header = parse_header(header_text)
    if header is None:
        raise _error("E111", f"no archive header: '{shown(header_text.strip())}' is not one",
                     name, header_line,
                     "the first line must be e.g. 'Posts tagged X' or 'Archive for February 6, 2012'")
    copies: list[PostCopy] = []
    title: tuple[int, str] | None = None
    body: list[str] = []
    for number, line in enumerate(lines[header_line:], header_line + 1):
        if title is None:
            if is_blank(line):
                continue
            if parse_footer(line) is not None:
                raise _error("E112", f"footer '{shown(line.strip())}' without a post", name, number,
                             "a post needs a title line and text before its footer")
            if parse_header(line) is not None and not copies:
                raise _error("E113", "second archive header", name, number,
                             "save each archive page in its own file")
            title = (number, line.strip())
            if len(title[1]) > MAX_TITLE:
                raise _error("E117", f"post title '{shown(title[1], 50)}' is {len(title[1]):,} characters long, "
                             f"over {MAX_TITLE}", name, number,
                             "a post starts with its title on a line of its own, then a blank line")
            body = []
            continue
        comments = parse_footer(line)
        if comments is None:
            body.append(line)
            continue
        paras = paragraphs(body)
        if not paras:
            raise _error("E114", f"post '{shown(title[1], 50)}' has no text before its footer", name,
                         title[0], "check that the title and footer belong together")
        copies.append(_copy(title, paras, header, comments, name, len(copies) + 1))
        title = None
    if title is not None:
        raise _error("E115", f"post '{shown(title[1], 50)}' has no footer", name, title[0],
                     "each post ends with a line such as 'Leave a comment »' or 'Comments (3) »'")
    if not copies:
        raise _error("E116", "archive page has a header but no posts", name, header_line,
                     "remove the file or save the page again with its posts")
    return copies


def _copy(title: tuple[int, str], paras: list[str], header: Header, comments: int,
          name: str, position: int) -> PostCopy:
    return PostCopy(
        title=title[1],
        content=from_blocks(structure(paras)),
        tags=(header.tag,) if header.tag else (),
        date=header.date,
        comments=comments,
        seen=Seen(file=name, line=title[0], position=position, header=header.text),
    )


_XML = (b"<?xml", b"<rss", b"<feed", b"<!DOCTYPE", b"<html", b"<HTML")


def _sniff(head: bytes) -> bool:
    """Archive pages are the fallback: any file no other reader recognised."""
    return True


def _read(data: bytes, name: str, options: ReadOptions) -> Source:
    start = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith(_XML):
        raise CompilerError(Diagnostic("E129", "markup that no reader reads: not a WordPress export "
                                       "(no wordpress.org/export/ namespace at its start), not an RSS 2.0 or "
                                       "Atom 1.0 feed, and not an archive page", name, 1,
                                       hint="give a WXR file from Tools → Export, a feed, or archive pages saved "
                                       "as text"))
    return Source(name, "archive", tuple(parse_page(files.decode(data, name), name)))


#: Archive pages: blog pages saved as text (see the module docstring).
READER = Reader("archive", "archive pages saved as text", _sniff, _read)
