"""The EPUB's raster cover, made from the PDF's own cover page (never fetched)."""

from __future__ import annotations

import io


def cover_png(pdf: bytes, height_px: int, page: int = 0) -> bytes:
    """Rasterise one page of the PDF (the cover, designed in HTML/CSS) to PNG bytes."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        pdf_page = document[page]
        image = pdf_page.render(scale=height_px / pdf_page.get_height()).to_pil()
    finally:
        document.close()
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
