"""Opening a PDF with PDFium, and saying in words what is wrong with one that will not open."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from assistant.errors import LoadError

__all__ = ["check_complete", "open_pdf"]


# PDFium's load errors as a reader would say them; it reports a page tree it cannot use as "success".
_PDFIUM_ERRORS = {
    pdfium_c.FPDF_ERR_SUCCESS: "its page tree is empty or unreadable",
    pdfium_c.FPDF_ERR_UNKNOWN: "its structure could not be read",
    pdfium_c.FPDF_ERR_FILE: "the file could not be read",
    pdfium_c.FPDF_ERR_FORMAT: "not in PDF format, or damaged",
    pdfium_c.FPDF_ERR_PAGE: "a page could not be found or read",
}


def check_complete(path: Path, data: bytes) -> None:
    """Refuse a cut-off file: PDFium repairs what it can and would load the first half silently."""
    tail = data[-2048:].rstrip(b"\x00\r\n\t \x0c")
    if b"%%EOF" not in tail[-1024:]:
        raise LoadError(path, "truncated or corrupt PDF (no %%EOF end marker)")


def open_pdf(path: Path, data: bytes) -> pdfium.PdfDocument:
    """Open with the empty password, which unlocks owner-only encryption; name what is wrong."""
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        # PDFium's error code can be left over from the document before: only a file with an
        # /Encrypt dictionary is called encrypted.
        encrypted = b"/Encrypt" in data
        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD and encrypted:
            raise LoadError(path, "encrypted PDF (password required)") from exc
        if exc.err_code == pdfium_c.FPDF_ERR_SECURITY and encrypted:
            raise LoadError(path, "encrypted PDF (unsupported encryption)") from exc
        code = exc.err_code if exc.err_code not in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY) \
            else pdfium_c.FPDF_ERR_UNKNOWN
        raise LoadError(path, f"corrupt PDF ({_PDFIUM_ERRORS.get(code, 'PDFium could not read it')})") from exc
    if len(pdf) == 0:
        pdf.close()
        raise LoadError(path, "corrupt PDF (no pages)")
    return pdf
