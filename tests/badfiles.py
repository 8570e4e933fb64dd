"""Builders for crafted input files: broken, encrypted, scanned, oddly encoded.

Each writes one file under the given path and returns it, so loader tests can
build exactly the damage they check for.
"""

from __future__ import annotations

import io
from pathlib import Path

import docx
from PIL import Image, ImageDraw
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas


def text_pdf(path: Path, pages: list[list[str]], *, header: str = "", footer_numbers: bool = True) -> Path:
    """A PDF whose pages hold the given lines (12 pt), with a running header and page numbers."""
    c = canvas.Canvas(str(path), pagesize=A4)
    width, height = A4
    for number, lines in enumerate(pages, 1):
        if header:
            c.setFont("Helvetica", 8)
            c.drawString(72, height - 30, header)
        if footer_numbers:
            c.setFont("Helvetica", 8)
            c.drawString(width / 2, 25, str(number))
        y = height - 80
        for line in lines:
            if line.startswith("# "):
                c.setFont("Helvetica-Bold", 16)
                y -= 10
                c.drawString(72, y, line[2:])
                y -= 26
            elif line == "":
                y -= 12  # paragraph gap
            else:
                c.setFont("Helvetica", 11)
                c.drawString(72, y, line)
                y -= 14
        c.showPage()
    c.save()
    return path


def word_by_word_pdf(path: Path) -> Path:
    """Text as Word writes a justified line: each word and each space its own text object.

    The space after "area" is squeezed to nothing, so the PDF holds no gap
    there, only a space glyph a renderer would drop; a footnote mark sits in
    superscript after "(AAP),".
    """
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont("Helvetica", 11)
    y = 760
    for _ in range(3):
        c.drawString(72, y, "The people of the area and the others were studied in this area and that one.")
        y -= 14
    x, words = 72.0, ["The", " ", "survey", " ", "area", " ", "and", " ", "its", " ", "people."]
    for before, word in zip([""] + words, words):
        c.drawString(x, y, word)
        x += 0.05 if before == "area" else stringWidth(word, "Helvetica", 11)
    y -= 14
    lead = "Affected populations (AAP),"
    c.drawString(72, y, lead)
    c.setFont("Helvetica", 7)
    c.drawString(72 + stringWidth(lead, "Helvetica", 11), y + 4, "1")
    c.setFont("Helvetica", 11)
    c.drawString(72 + stringWidth(lead, "Helvetica", 11) + 5, y, " following findings.")
    c.showPage()
    c.save()
    return path


def truncated_pdf(source: Path, path: Path) -> Path:
    """A real PDF cut in half, as an interrupted download leaves it."""
    data = source.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def encrypted_pdf(source: Path, path: Path, user_password: str, owner_password: str = "owner-secret") -> Path:
    """`source` re-saved with AES-256 encryption; an empty user password opens without asking."""
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-256")
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def blank_pdf(path: Path, pages: int = 2) -> Path:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def image_only_pdf(path: Path) -> Path:
    """A 'scanned' page: a picture of text, no text layer."""
    image = Image.new("RGB", (800, 400), "white")
    ImageDraw.Draw(image).text((40, 40), "Executive summary: this is only pixels", fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    c = canvas.Canvas(str(path), pagesize=A4)
    c.drawImage(ImageReader(io.BytesIO(buffer.getvalue())), 50, 400, width=500, height=250)
    c.showPage()
    c.save()
    return path


def encoded_text(path: Path, text: str, encoding: str) -> Path:
    """`text` written in `encoding` ('latin-1', 'utf-8-sig' for a BOM, ...)."""
    path.write_bytes(text.encode(encoding))
    return path


def docx_with_headings(path: Path) -> Path:
    document = docx.Document()
    document.add_heading("Final evaluation report", level=0)
    document.add_heading("Executive summary", level=1)
    document.add_paragraph("The programme reached most of its targets.")
    document.add_heading("Findings on effectiveness", level=2)
    document.add_paragraph("Effectiveness was rated satisfactory by most stakeholders.")
    bold = document.add_paragraph().add_run("LESSONS LEARNED")
    bold.bold = True
    document.add_paragraph("Start the baseline early.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Criterion", "Rating"
    table.cell(1, 0).text, table.cell(1, 1).text = "Relevance", "Highly satisfactory"
    document.save(str(path))
    return path


def html_page(path: Path) -> Path:
    path.write_text(
        """<!DOCTYPE html><html><head><title>Evaluation page</title>
<style>body { color: red; }</style><script>var tracking = 1;</script></head>
<body><nav><a href="/">Home</a> <a href="/menu">Menu</a></nav>
<h1>Mid-term evaluation</h1>
<p>The project <b>improved</b> access to water&nbsp;services.</p>
<h2>Recommendations</h2>
<ul><li>Extend the pilot to two more districts.</li><li>Fund maintenance.</li></ul>
<table><tr><th>Criterion</th><th>Score</th></tr><tr><td>Relevance</td><td>4</td></tr></table>
</body></html>""",
        encoding="utf-8",
    )
    return path
