"""compiler: turn a blog's archive pages into a book (PDF and EPUB 3).

The pipeline reads in one direction:
ingest -> dedup -> manifest -> model -> render (HTML) -> pdf / epub -> verify.
Stages meet only at the frozen types in :mod:`compiler.model`.
"""

__version__ = "0.1.0"
