"""WordPress's ``wpautop``: paragraphs and line breaks for classic-editor post text.

A port of ``wpautop()`` (wp-includes/formatting.php): a blank line is a
paragraph break and a single newline a line break, except inside ``<pre>``
(kept as it is), inside tags, and next to block-level elements. The block
editor's content is never passed through it (WordPress does not either).
Every pass is linear in the text's length (a 10 MB post, or one made of
unclosed ``<pre`` or ``<!--``, takes seconds): spans are found with
:mod:`compiler.ingest.spans`, and a tag's attributes stop at the next ``<``.
"""

from __future__ import annotations

import re

from compiler.ingest.spans import fixed, replace_spans

_ALLBLOCKS = (r"(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre|form|map"
              r"|area|blockquote|address|style|p|h[1-6]|hr|fieldset|legend|section|article|aside|hgroup|header"
              r"|footer|nav|figure|figcaption|details|menu|summary)")
_PRE_OPEN = re.compile(r"<pre[\s>]", re.I)
_BR_BR = re.compile(r"<br\s*/?>\s*<br\s*/?>", re.I)
_BLOCK_OPEN = re.compile(r"(<" + _ALLBLOCKS + r"[\s/>])", re.I)
_BLOCK_CLOSE = re.compile(r"(</" + _ALLBLOCKS + r">)", re.I)
_HR = re.compile(r"(<hr\s*?/?>)", re.I)
_TAG = re.compile(r"<[^<>]*>")
_OPTION_SPACE = re.compile(r"\s*<option", re.I)
_OPTION_END = re.compile(r"</option>\s*", re.I)
_SOURCE_SPACE = re.compile(r"([<\[](?:source|track)[^<>\[\]]*[>\]])\s*", re.I)
_FIGCAPTION_OPEN = re.compile(r"\s*(<figcaption[^<>]*>)", re.I)
_FIGCAPTION_CLOSE = re.compile(r"</figcaption>\s*", re.I)
_MANY_BREAKS = re.compile(r"\n\n+")
_PARAGRAPHS = re.compile(r"\n\s*\n")
_EMPTY_P = re.compile(r"<p>\s*</p>")
_P_CLOSE_BLOCK = re.compile(r"<p>([^<]+)</(div|address|form)>", re.I)
_P_AROUND_BLOCK = re.compile(r"<p>\s*(</?" + _ALLBLOCKS + r"[^<>]*>)\s*</p>", re.I)
_P_LI = re.compile(r"<p>(<li.+?)</p>", re.I)
_P_BLOCKQUOTE = re.compile(r"<p><blockquote([^<>]*)>", re.I)
_P_BEFORE_BLOCK = re.compile(r"<p>\s*(</?" + _ALLBLOCKS + r"[^<>]*>)", re.I)
_P_AFTER_BLOCK = re.compile(r"(</?" + _ALLBLOCKS + r"[^<>]*>)\s*</p>", re.I)
_PRESERVE_OPEN = re.compile(r"<(script|style|svg|math)\b", re.I)
_NEWLINE_BR = re.compile(r"(?<!<br />)\s*\n")
_BLOCK_BR = re.compile(r"(</?" + _ALLBLOCKS + r"[^<>]*>)\s*<br />", re.I)
_BR_BEFORE = re.compile(r"<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^<>]*>)", re.I)
_LAST_P = re.compile(r"\n</p>$")
_NL = " <!-- wpnl --> "
_SPACES = re.compile(r"[ \t\f\v]{2,}")


_GUARDS = {needle: re.compile(re.escape(needle), re.I)
           for needle in ("<br", "<hr", "</div", "</address", "</form", "<li", "<blockquote")}


def _has(text: str, needle: str, lower: list[str]) -> bool:
    """``needle in text.lower()``, without lower-casing a text that cannot hold it (``str.lower`` of a
    long non-ASCII text costs more than all of wpautop's patterns). ``lower`` caches the lower-cased
    text. A case-blind search finds every place the lower-cased text holds ``needle`` (and a few
    more, such as a dotless i for "i": those are confirmed on the lower-cased text)."""
    if _GUARDS[needle].search(text) is None:
        return False
    if not lower:
        lower.append(text.lower())
    return needle in lower[0]


def _first_group(m: re.Match[str]) -> str:
    """``\\1`` of a pattern whose first group always takes part."""
    return m[1]


def _inside_tags(text: str) -> str:
    """Newlines inside tags (not comments) become placeholders, as ``wp_replace_in_html_tags``."""
    out: list[str] = []
    pos = 0
    comments_close = True  # False once a "<!--" is never closed: none after it is either
    while (start := text.find("<", pos)) >= 0:
        out.append(text[pos:start])
        if comments_close and text.startswith("<!--", start):
            end = text.find("-->", start + 4)
            if end >= 0:
                out.append(text[start:end + 3])
                pos = end + 3
                continue
            comments_close = False
        m = _TAG.match(text, start)
        if m is None:
            out.append("<")
            pos = start + 1
        else:
            out.append(m[0].replace("\n", _NL))
            pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def newline_br(text: str) -> str:
    """``_NEWLINE_BR.sub("<br />\\n", text)``, the same, at a step per newline instead of per character.

    The pattern's leftmost matches are: in each run of white space that holds
    a newline, from the run's start (one further when ``<br />`` ends just
    before it) to its last newline. ``\\s`` and :meth:`str.isspace` are the
    same class of characters.
    """
    out: list[str] = []
    pos = 0
    size = len(text)
    while (newline := text.find("\n", pos)) >= 0:
        start = newline
        while start > pos and text[start - 1].isspace():
            start -= 1
        end = newline + 1
        while end < size and text[end].isspace():
            end += 1
        last = text.rfind("\n", newline, end)
        if text.endswith("<br />", 0, start):
            start += 1
        if start > last:  # the run is the newline alone, right after <br />: no match
            out.append(text[pos:end])
            pos = end
            continue
        out.append(text[pos:start])
        out.append("<br />\n")
        pos = last + 1
    out.append(text[pos:])
    return "".join(out)


def wpautop(text: str, br: bool = True) -> str:
    """Classic-editor text with ``<p>`` and ``<br />`` added the way WordPress adds them."""
    if not text.strip():
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n") + "\n"
    pre_tags: dict[str, str] = {}

    def keep_pre(span: str) -> str:
        key = f"<pre wp-pre-tag-{len(pre_tags)}></pre>"
        pre_tags[key] = span
        return key

    text = replace_spans(text, _PRE_OPEN, fixed("</pre>"), keep_pre)
    if "  " in text or "\t" in text or "\f" in text or "\v" in text:  # (each sub below is skipped when
        text = _SPACES.sub(" ", text)  # outside <pre> a run of spaces is one space; keeps the patterns below linear
    # Text without tags (most classic-editor posts) skips every pass that looks for a tag the text
    # held: they find none, and the only tags below are the paragraphs made here, none of them empty.
    tags = "<" in text
    if tags:
        text = _tag_passes(text)
    if "\n\n\n" in text:  # (two newlines are left as they are)
        text = _MANY_BREAKS.sub("\n\n", text)
    paragraphs = [p for p in _PARAGRAPHS.split(text) if p]
    text = "".join(f"<p>{p.strip(chr(10))}</p>\n" for p in paragraphs)
    text = _EMPTY_P.sub("", text)
    if tags:
        text = _paragraph_passes(text)
    if br:
        if tags:
            text = replace_spans(text, _PRESERVE_OPEN, lambda m: f"</{m[1].lower()}>",
                                 lambda span: span.replace("\n", "<WPPreserveNewline />"))
            text = text.replace("<br>", "<br />").replace("<br/>", "<br />")
        text = newline_br(text)
        if tags:
            text = text.replace("<WPPreserveNewline />", "\n")
    text = _BLOCK_BR.sub(_first_group, text)  # (a function: a template is expanded in Python, match by match)
    text = _BR_BEFORE.sub(_first_group, text)
    text = _LAST_P.sub("</p>", text)
    if not tags:
        return text
    for key, value in pre_tags.items():
        text = text.replace(key, value)
    return text.replace(_NL, "\n").replace("<!-- wpnl -->", "\n")


def _tag_passes(text: str) -> str:
    """Paragraph breaks around block tags, newlines inside tags kept (a text with tags only)."""
    seen, lower = text, list[str]()  # its pattern needs a text the page does not hold: a third of the time, bench_ingest)
    if _has(seen, "<br", lower):
        text = _BR_BR.sub("\n\n", text)
    text = _BLOCK_OPEN.sub(r"\n\n\1", text)
    text = _BLOCK_CLOSE.sub(r"\1\n\n", text)
    if _has(seen, "<hr", lower):
        text = _HR.sub(r"\1\n\n", text)
    text = _inside_tags(text)
    if "<option" in text:
        text = _OPTION_END.sub("</option>", _OPTION_SPACE.sub("<option", text))
    if "<source" in text or "<track" in text:
        text = _SOURCE_SPACE.sub(r"\1", text)
    if "<figcaption" in text:
        text = _FIGCAPTION_CLOSE.sub("</figcaption>", _FIGCAPTION_OPEN.sub(r"\1", text))
    return text


def _paragraph_passes(text: str) -> str:
    """No paragraph around or inside block tags (a text with tags only)."""
    seen, lower = text, list[str]()
    if _has(seen, "</div", lower) or _has(seen, "</address", lower) or _has(seen, "</form", lower):
        text = _P_CLOSE_BLOCK.sub(r"<p>\1</p></\2>", text)
    text = _P_AROUND_BLOCK.sub(r"\1", text)
    if _has(seen, "<li", lower):
        text = _P_LI.sub(r"\1", text)
    if _has(seen, "<blockquote", lower):
        text = _P_BLOCKQUOTE.sub(r"<blockquote\1><p>", text)
    text = text.replace("</blockquote></p>", "</p></blockquote>")
    text = _P_BEFORE_BLOCK.sub(r"\1", text)
    return _P_AFTER_BLOCK.sub(r"\1", text)
