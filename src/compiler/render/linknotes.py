"""Links on paper: in a print edition every external link gets a note number, and the chapter ends
with its notes (the URL, a QR code and the page the link is on).

A :class:`LinkNotes` is made for one rendering of a print edition (the render
context's ``link_notes``); the templates number each ``http``/``https`` link
as they write it (:meth:`LinkNotes.add`) and list a chapter's notes where the
chapter ends (:meth:`LinkNotes.flush`), so the numbers always follow the
order the reader meets the links. Ids are the book's (``linkref-N`` in the
text, ``linknote-N`` in the notes), numbers restart with each chapter. The
screen edition and the EPUB keep their live links and never call this.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from compiler.qr import QRError, qr_svg

EXTERNAL = ("http://", "https://")


@dataclass(frozen=True)
class LinkNote:
    """One link's note: its number in the chapter, the ids of reference and note, the URL."""

    number: int
    ref: str
    id: str
    url: str

    @property
    def qr(self) -> Markup:
        """The QR code of the URL (inline SVG), or nothing for a URL too long for one."""
        try:
            return Markup(qr_svg(self.url))
        except QRError:
            return Markup("")


class LinkNotes:
    """The note numbers of one print rendering."""

    def __init__(self) -> None:
        self._open: list[LinkNote] = []
        self._count = 0

    def external(self, href: str) -> bool:
        """Whether ``href`` is a link that gets a note (a web address, not an in-book ``#id``)."""
        return href.lower().startswith(EXTERNAL)

    def add(self, href: str) -> LinkNote:
        """Number the next link of the current chapter."""
        self._count += 1
        note = LinkNote(len(self._open) + 1, f"linkref-{self._count}", f"linknote-{self._count}", href)
        self._open.append(note)
        return note

    def flush(self) -> list[LinkNote]:
        """The notes of the chapter that ends here; the next chapter numbers from 1."""
        notes, self._open = self._open, []
        return notes
