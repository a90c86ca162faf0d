"""Ingest: read archive pages into post copies (the first pipeline stage)."""

from compiler.ingest.pages import parse_page, read_pages

__all__ = ["parse_page", "read_pages"]
