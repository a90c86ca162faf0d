"""A Markdown post of 50 MB, made in the test's copy (a sparse file: nothing that size is committed)."""

import os
from pathlib import Path


def generate(folder: Path) -> None:
    post = folder / "source.md"
    post.write_bytes(b"---\ntitle: A very long post\ndate: 2023-05-14\n---\n\n")
    os.truncate(post, 50 * 1024 * 1024)
