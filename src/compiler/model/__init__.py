"""Model: the frozen book tree where readers and writers meet.

:mod:`compiler.model.types` defines the types; :mod:`compiler.model.assemble`
builds a :class:`Book` from a validated manifest before anything is written.
"""

from compiler.model.types import (
    Book,
    Chapter,
    Cover,
    DateSpan,
    Merge,
    Metadata,
    Output,
    PageBreak,
    Post,
    PostCopy,
    PrintEdition,
    Redaction,
    Section,
    Seen,
    count_words,
)

__all__ = ["Book", "Chapter", "Cover", "DateSpan", "Merge", "Metadata", "Output", "PageBreak", "Post",
           "PostCopy", "PrintEdition", "Redaction", "Section", "Seen", "count_words"]
