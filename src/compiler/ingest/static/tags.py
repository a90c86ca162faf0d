"""Hugo shortcodes and Liquid tags in a post's Markdown: removed, each with a warning (W160).

A static site's generator runs these when it builds the site; the book has
no generator, so it keeps what a reader would see of them and nothing else:

- ``{{< name args >}}`` and ``{{% name args %}}`` (Hugo shortcodes), ``{% tag %}``
  and ``{{ expression }}`` (Liquid: Jekyll, Eleventy) are removed; the text
  between an opening and a closing shortcode stays;
- ``{{< highlight go >}}`` / ``{% highlight ruby %}`` … their closing tag become a
  fenced code block (with the language);
- Hugo's own ``{{< figure src=… alt=… caption=… >}}`` becomes a figure, and
  ``{{< youtube ID >}}`` / ``{{< vimeo ID >}}`` the video's player (an embed in
  the book), as Hugo prints them; a shortcode written over several lines is one;
- ``{{</* name */>}}`` (Hugo's way of showing a shortcode) becomes the text
  ``{{< name >}}``; ``{% raw %}`` … ``{% endraw %}`` keeps what it holds as typed;
- ``{% comment %}`` … ``{% endcomment %}`` is removed with what it holds.

Fenced code blocks (```` ``` ```` and ``~~~``) and inline code are left as
they are: JSX's ``style={{…}}`` and template examples are code, not tags.
Each warning names the post, its line and the tag.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from compiler.ingest.text import shown

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_TAG = re.compile(r"\{\{<\s*/?\*.*?\*/\s*>\}\}|\{\{%\s*/?\*.*?\*/\s*%\}\}"  # Hugo's escaped shortcode
                  r"|\{\{[<%].*?[>%]\}\}"  # a shortcode
                  r"|\{%-?.*?-?%\}"  # a Liquid tag
                  r"|\{\{-?.*?-?\}\}", re.S)  # a Liquid output
_NAME = re.compile(r"^\{[{%][<%]?-?\s*(/?)\s*([\w.-]*)\s*(.*?)\s*-?[>%]?[}%]\}$", re.S)
_HIGHLIGHT = {"highlight", "endhighlight"}
_HIGHLIGHT_LINE = re.compile(r"^\s*(?:\{\{<\s*highlight\s+(.*?)\s*>\}\}|\{%-?\s*highlight\s+(.*?)\s*-?%\})\s*$")
_HIGHLIGHT_END = re.compile(r"^\s*(?:\{\{<\s*/\s*highlight\s*>\}\}|\{%-?\s*endhighlight\s*-?%\})\s*$")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")


_ARG = re.compile(r"""(?:(\w+)\s*=\s*)?("[^"]*"|'[^']*'|`[^`]*`|[^\s"'`]+)""")
_VIDEO_ID = re.compile(r"^[\w-]{1,64}$")


def _args(text: str) -> tuple[list[str], dict[str, str]]:
    """A shortcode's positional and named arguments (quotes removed)."""
    positional: list[str] = []
    named: dict[str, str] = {}
    for key, value in _ARG.findall(text):
        value = value[1:-1] if value[:1] in "\"'`" and len(value) >= 2 else value
        if key:
            named[key.lower()] = value
        else:
            positional.append(value)
    return positional, named


def hugo_builtin(name: str, args: str) -> str | None:
    """The HTML Hugo prints for its ``figure``, ``youtube`` and ``vimeo`` shortcodes, or None."""
    positional, named = _args(args)
    if name == "figure" and named.get("src"):
        attr = html.escape
        caption = named.get("caption") or named.get("title") or ""
        return (f'<figure><img src="{attr(named["src"])}" alt="{attr(named.get("alt") or caption)}"/>'
                + (f"<figcaption>{attr(caption)}</figcaption>" if caption else "") + "</figure>")
    video = named.get("id") or (positional[0] if positional else "")
    if name in ("youtube", "vimeo") and _VIDEO_ID.match(video):
        player = f"https://www.youtube.com/embed/{video}" if name == "youtube" else \
            f"https://player.vimeo.com/video/{video}"
        return f'<iframe src="{player}"></iframe>'
    return None


def _language(args: str) -> str:
    word = args.split(maxsplit=1)[0] if args.split() else ""
    return re.sub(r"[^\w+#.-]", "", word.strip("\"'"))


def _is_highlight(tag: str) -> bool:
    found = _NAME.match(tag)
    return found is not None and found[2].lower() in _HIGHLIGHT


class _Stripper:
    def __init__(self, where: str, start_line: int, warn: Callable[[str], None]) -> None:
        self.where, self.start, self.warn = where, start_line, warn
        self.mode = ""  # "raw", "comment" while inside {% raw %} or {% comment %}

    def tag(self, text: str, line: int) -> str:
        """What a tag leaves in the post."""
        if text.startswith(("{{</*", "{{%/*")):
            return text.replace("/*", "", 1).replace("*/", "", 1).replace("  ", " ")
        found = _NAME.match(text)
        closing, name, args = (found[1], found[2].lower(), found[3]) if found else ("", "", "")
        liquid = text.startswith("{%")
        if liquid and name in ("raw", "endraw"):
            self.mode = "raw" if name == "raw" else ""
            return ""
        if liquid and name in ("comment", "endcomment"):
            self.mode = "comment" if name == "comment" else ""
            return ""
        if name in _HIGHLIGHT or (name == "highlight" and closing):
            return "```" if closing or name.startswith("end") else f"```{_language(args)}"
        if text.startswith("{{<") and not closing and (made := hugo_builtin(name, args)) is not None:
            return f"\n\n{made}\n\n"
        shown_tag = shown(" ".join(text.split()), 80)
        self.warn(f"{self.where}:{line}: W160 template tag {shown_tag} removed: the book has no site "
                  "generator to run it")
        return ""

    def line(self, text: str, number: int) -> str:
        if self.mode == "raw" and "{%" not in text:
            return text
        out, at = [], 0
        code = [(m.start(), m.end()) for m in _INLINE_CODE.finditer(text)]
        for match in _TAG.finditer(text):
            if any(a <= match.start() < b for a, b in code):
                continue
            kept = text[at:match.start()]
            if _is_highlight(match[0]) and (kept.strip() or text[match.end():].strip()):
                out.append(kept)  # a fence must stand on its own line
                out.append("\n" + self.tag(match[0], number) + "\n")
                at = match.end()
                continue
            if self.mode != "comment":
                out.append(kept)
            if self.mode == "raw" and not re.match(r"\{%-?\s*endraw", match[0]):
                out.append(match[0])
            else:
                out.append(self.tag(match[0], number))
            at = match.end()
        if self.mode != "comment":
            out.append(text[at:])
        return "".join(out)


_OPEN = re.compile(r"\{\{[<%](?:(?![>%]\}\}).)*$")


def _join_shortcodes(lines: list[str]) -> list[str]:
    """A shortcode written over several lines on its first line (the lines it took left empty,
    so that the lines after it keep their numbers); at most 20 lines are joined."""
    out: list[str] = []
    i = 0
    fence = ""
    while i < len(lines):
        line = lines[i]
        if (opened := _FENCE.match(line)) is not None:
            fence = "" if fence and opened[1][0] == fence[0] else fence or opened[1]
        elif not fence and _OPEN.search(line):
            end = next((j for j in range(i + 1, min(i + 20, len(lines))) if re.search(r"[>%]\}\}", lines[j])), None)
            if end is not None:
                out.append(" ".join(x.strip() if k else x for k, x in enumerate(lines[i:end + 1])))
                out.extend("" for _ in range(end - i))
                i = end + 1
                continue
        out.append(line)
        i += 1
    return out


def strip_tags(body: str, where: str, start_line: int, warn: Callable[[str], None]) -> str:
    """``body`` (Markdown) without its shortcodes and Liquid tags; ``start_line`` is its first line's
    number in the file, for the warnings."""
    if "{{" not in body and "{%" not in body:
        return body
    stripper = _Stripper(where, start_line, warn)
    out: list[str] = []
    fence = ""
    for number, text in enumerate(_join_shortcodes(body.split("\n")), start_line):
        opened = _FENCE.match(text)
        if fence == "highlight":
            if _HIGHLIGHT_END.match(text):
                fence = ""
                out.append("```")
            else:
                out.append(text)
            continue
        if (start := _HIGHLIGHT_LINE.match(text)) is not None:
            fence = "highlight"
            out.append(f"```{_language(start[1] or start[2] or '')}")
            continue
        if fence:
            if opened and opened[1][0] == fence[0] and len(opened[1]) >= len(fence) and not text.strip(" `~"):
                fence = ""
            out.append(text)
            continue
        if opened:
            fence = opened[1]
            out.append(text)
            continue
        out.append(stripper.line(text, number))
    return "\n".join(out)
