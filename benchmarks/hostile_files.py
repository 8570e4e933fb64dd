"""Hostile input files for the ingest (issue 13), made by code at run time.

A corpus folder holds whatever people drop into it: a zip bomb named .docx, a
PDF whose one page inflates to half a gigabyte, a 60 MB text dump, a file
named "-x". Nothing large is committed: `build` makes the whole set for
`benchmarks/hostile.py` in a few seconds and a few megabytes of memory, the
same bytes on every run. Each generator also works alone, with small sizes,
so a test can build just the damage it checks for; each writes one file and
returns its path (`None` when the filesystem refuses the name).

Bombs cost almost nothing to make: after a full flush zlib starts afresh, so
every repeat of the same megabyte deflates to the same bytes. That megabyte is
compressed once and its output written as many times as needed; only the
checksums read every inflated byte.
"""

from __future__ import annotations

import io
import random
import shutil
import struct
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, Literal

MB = 2**20
CORPUS = Path(__file__).resolve().parent.parent / "corpus"
DEFAULT_GOOD_REPORT = CORPUS / "iom_aap_evaluation_brief_2024.pdf"
GOOD_REPORT_PROBE = "accountability to affected populations"

Outcome = Literal["indexed", "failed"]


@dataclass(frozen=True)
class HostileFile:
    """One generated file and what a sound ingest does with it."""

    name: str  # the file name in the folder
    path: Path
    what: str  # what it is, in a few words
    expected: Outcome
    reason: str = ""  # failures: a regex (a word, or words joined by |) the refusal must match, any case
    probe: str = ""  # indexed: a query whose results must include this file (its text came through)
    absent: str = ""  # text that must never appear in an indexed chunk (an entity that must not expand)


# -- plausible text ----------------------------------------------------------------

_SUBJECTS = ["The programme", "The evaluation team", "District officials", "Community health workers",
             "The steering committee", "Women's groups", "Implementing partners", "The country office",
             "Local authorities", "Youth volunteers", "The monitoring unit", "School management committees"]
_VERBS = ["reported", "documented", "questioned", "strengthened", "reviewed", "underestimated", "supported",
          "expanded", "delayed", "financed", "monitored", "evaluated"]
_OBJECTS = ["the referral system", "access to clean water", "the baseline survey", "teacher training",
            "the cash transfer scheme", "data collection in remote areas", "the exit strategy",
            "coordination with line ministries", "feedback mechanisms for beneficiaries", "the logframe targets",
            "procurement of medical supplies", "the gender action plan"]
_TAILS = ["during the first year", "in all three provinces", "despite budget cuts", "after the mid-term review",
          "with mixed results", "ahead of schedule", "at a lower cost than planned", "only in urban districts",
          "because staff turnover was high", "as the donor requested"]


def sentences(seed: int, count: int = 400) -> list[str]:
    """A deterministic pool of plausible evaluation-report sentences; files sample it to vary their text."""
    rng = random.Random(seed)
    return [f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_TAILS)}."
            for _ in range(count)]


def report_text(seed: int, paragraphs: int = 6, title: str = "") -> str:
    """A short report: an optional title line, then paragraphs of four to seven sentences."""
    rng, pool = random.Random(seed), sentences(seed)
    body = [" ".join(rng.choices(pool, k=rng.randint(4, 7))) for _ in range(paragraphs)]
    return "\n\n".join(([title] if title else []) + body) + "\n"


def _write_sentences(out: BinaryIO, seed: int, size: int, separator: bytes) -> None:
    """Exactly `size` bytes of paragraphs of sampled sentences, written about 150 KB at a time."""
    rng, pool = random.Random(seed), [s.encode() for s in sentences(seed, 2000)]
    left = size
    while left > 0:
        block = separator.join(b" ".join(rng.choices(pool, k=rng.randint(4, 7))) for _ in range(200)) + separator
        out.write(block[:left])
        left -= min(len(block), left)


# -- deflate, zip and PDF written by hand ---------------------------------------------


@dataclass(frozen=True)
class Deflated:
    """A raw deflate stream kept as head + body x count + tail, with the inflated data's checksums."""

    head: bytes
    body: bytes
    count: int
    tail: bytes
    size: int  # inflated bytes
    crc: int  # CRC-32, for zip
    adler: int  # Adler-32, for a zlib (PDF FlateDecode) stream

    @property
    def compressed_size(self) -> int:
        return len(self.head) + len(self.body) * self.count + len(self.tail)

    def chunks(self) -> Iterator[bytes]:
        yield self.head
        for _ in range(self.count):
            yield self.body
        yield self.tail


def deflate(prefix: bytes, repeat: bytes = b"", total: int = 0, suffix: bytes = b"") -> Deflated:
    """Raw deflate of prefix + `repeat` repeated to about `total` bytes + suffix.

    The repeated part is compressed one megabyte at a time after a full flush,
    so its compressed form is one block written `count` times.
    """
    chunk = repeat * max(1, MB // len(repeat)) if repeat else b""
    count = total // len(chunk) if chunk else 0
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = z.compress(prefix) + z.flush(zlib.Z_FULL_FLUSH)
    body = z.compress(chunk) + z.flush(zlib.Z_FULL_FLUSH) if count else b""
    if count and z.compress(chunk) + z.flush(zlib.Z_FULL_FLUSH) != body:
        raise RuntimeError("zlib did not restart cleanly after a full flush: a compressed block cannot be repeated")
    tail = z.compress(suffix) + z.flush()
    crc, adler = zlib.crc32(prefix), zlib.adler32(prefix)
    for _ in range(count):
        crc, adler = zlib.crc32(chunk, crc), zlib.adler32(chunk, adler)
    crc, adler = zlib.crc32(suffix, crc), zlib.adler32(suffix, adler)
    return Deflated(head, body, count, tail, len(prefix) + len(chunk) * count + len(suffix), crc, adler)


def zlib_wrapped(deflated: Deflated) -> Iterator[bytes]:
    """The zlib header and Adler-32 trailer a PDF FlateDecode stream needs around raw deflate."""
    yield b"\x78\xda"
    yield from deflated.chunks()
    yield struct.pack(">I", deflated.adler)


_DOS_DATE = ((2024 - 1980) << 9) | (1 << 5) | 1  # 2024-01-01 00:00 in every header: the bytes never change


@dataclass(frozen=True)
class ZipMember:
    name: str
    data: Deflated
    declared_size: int | None = None  # what its headers claim it inflates to; None: the truth

    @property
    def header_size(self) -> int:
        return self.data.size if self.declared_size is None else self.declared_size


def write_zip(out: BinaryIO, members: Iterable[ZipMember]) -> None:
    """A zip written field by field (deflate, no zip64), so that a member's headers can lie about its size."""
    placed: list[tuple[ZipMember, int]] = []
    for m in members:
        placed.append((m, out.tell()))
        name = m.name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, _DOS_DATE, m.data.crc,
                              m.data.compressed_size, m.header_size, len(name), 0) + name)
        for chunk in m.data.chunks():
            out.write(chunk)
    directory = out.tell()
    for m, offset in placed:
        name = m.name.encode()
        out.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, _DOS_DATE, m.data.crc,
                              m.data.compressed_size, m.header_size, len(name), 0, 0, 0, 0, 0, offset) + name)
    size = out.tell() - directory
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(placed), len(placed), size, directory, 0))


def write_pdf(path: Path, objects: list[Iterable[bytes]]) -> Path:
    """A PDF from raw objects (numbered from 1, the catalog first) with a correct xref table and %%EOF.

    Objects are iterables of bytes so that a large stream is written piece by piece.
    """
    offsets = []
    with path.open("wb") as out:
        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        for number, body in enumerate(objects, 1):
            offsets.append(out.tell())
            out.write(b"%d 0 obj\n" % number)
            for piece in body:
                out.write(piece)
            out.write(b"\nendobj\n")
        xref = out.tell()
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
        out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
        out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return path


def _stream(data: bytes | Iterable[bytes], length: int, filters: bytes = b"") -> Iterator[bytes]:
    yield b"<< /Length %d%s >>\nstream\n" % (length, filters)
    yield from ([data] if isinstance(data, bytes) else data)
    yield b"\nendstream"


def _text_content(lines: list[str]) -> bytes:
    """A content stream writing the lines in Helvetica 11 (ASCII only), top down."""
    ops = [b"BT /F1 11 Tf 72 740 Td 14 TL"]
    ops += [b"(%s) '" % line.encode("ascii").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
            for line in lines]
    return b"\n".join(ops + [b"ET"])


_CATALOG = [b"<< /Type /Catalog /Pages 2 0 R >>"]
_ONE_PAGE = [b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"]
_FONT = [b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]


def _page(extra: bytes = b"") -> list[bytes]:
    """Page 3 0 R: US Letter, contents 5 0 R, Helvetica as /F1 (4 0 R)."""
    return [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R "
            b"/Resources << /Font << /F1 4 0 R >>%s >> >>" % extra]


# -- DOCX ----------------------------------------------------------------------------

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_DOCX_HEAD = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{{doctype}}<w:document xmlns:w="{_W}"><w:body>'
_DOCX_TAIL = "<w:sectPr/></w:body></w:document>"


def _w_paragraph(text: str, style: str = "") -> str:
    props = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f'<w:p>{props}<w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


@lru_cache(maxsize=1)
def _docx_package() -> tuple[ZipMember, ...]:
    """Every part of python-docx's own blank document except word/document.xml, recompressed by hand."""
    import zipfile

    import docx

    buffer = io.BytesIO()
    docx.Document().save(buffer)
    with zipfile.ZipFile(buffer) as z:
        return tuple(ZipMember(info.filename, deflate(z.read(info)))
                     for info in z.infolist() if info.filename != "word/document.xml")


def _write_docx(path: Path, document: ZipMember) -> Path:
    """A real DOCX (python-docx's parts, in their order) whose word/document.xml is `document`."""
    with path.open("wb") as out:
        write_zip(out, [*_docx_package(), document])
    return path


def _docx_xml(paragraphs: list[str], doctype: str = "") -> bytes:
    return (_DOCX_HEAD.format(doctype=doctype) + "".join(paragraphs) + _DOCX_TAIL).encode()


@lru_cache(maxsize=2)
def _bomb_document(inflated_mb: int) -> Deflated:
    """word/document.xml: a heading, then one short paragraph repeated to `inflated_mb` (millions of elements)."""
    head = _DOCX_HEAD.format(doctype="") + _w_paragraph("Final evaluation report", "Heading1")
    unit = _w_paragraph("The programme reached most of its targets in the period under review.")
    return deflate(head.encode(), unit.encode(), inflated_mb * MB, _DOCX_TAIL.encode())


def docx_bomb(path: Path, inflated_mb: int = 500) -> Path:
    """A valid DOCX whose word/document.xml inflates to `inflated_mb` MB of short paragraphs (~4 KB per MB on disk)."""
    return _write_docx(path, ZipMember("word/document.xml", _bomb_document(inflated_mb)))


def docx_bomb_lying(path: Path, inflated_mb: int = 500, declared_kb: int = 64) -> Path:
    """The same bomb, but its local header and central directory claim document.xml inflates to `declared_kb` KB.

    The CRC-32 is the true one, of all `inflated_mb` MB: a reader that trusts
    the declared size and stops there sees a bad CRC; one that inflates until
    the stream ends gets the whole bomb. Python's zipfile does both: read()
    inflates every compressed byte in one call, then cuts to the declared size
    and fails the CRC (a bounded read(n) stays bounded).
    """
    return _write_docx(path, ZipMember("word/document.xml", _bomb_document(inflated_mb), declared_kb * 1024))


def docx_entities(path: Path, doctype: str, body: list[str]) -> Path:
    """A DOCX whose word/document.xml carries a DOCTYPE with entity declarations, and these paragraphs."""
    return _write_docx(path, ZipMember("word/document.xml", deflate(_docx_xml(body, doctype))))


def billion_laughs_docx(path: Path, levels: int = 9) -> Path:
    """Entity expansion: &lol9; stands for 10^9 "lol"s (3 GB) if a parser expands it."""
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{n} "{("&lol%s;" % (n - 1 if n > 1 else "")) * 10}">' for n in range(1, levels + 1)
    ]
    doctype = "<!DOCTYPE w:document [\n " + "\n ".join(entities) + "\n]>\n"
    body = [_w_paragraph("Entity expansion test", "Heading1"),
            _w_paragraph("The cooperative of basket weavers in Kasese sold its whole stock at the regional fair."),
            _w_paragraph(f"&lol{levels};")]
    return docx_entities(path, doctype, body)


def xxe_docx(path: Path, target: str = "/etc/passwd") -> Path:
    """An external entity: &xxe; stands for the contents of `target` if a parser resolves it."""
    doctype = f'<!DOCTYPE w:document [\n <!ENTITY xxe SYSTEM "file://{target}">\n]>\n'
    body = [_w_paragraph("External entity test", "Heading1"),
            _w_paragraph("The ferry operators on Lake Kivu were trained to keep passenger manifests."),
            _w_paragraph("&xxe;")]
    return docx_entities(path, doctype, body)


def archive_bomb(path: Path, inflated_mb: int = 1000, parts: int = 10) -> Path:
    """A zip (named as the caller likes, e.g. .docx) of `parts` zips, each one member of zeros: `inflated_mb` in all."""
    inner = io.BytesIO()
    write_zip(inner, [ZipMember("data.bin", deflate(b"", b"\x00", inflated_mb * MB // parts))])
    part = deflate(inner.getvalue())
    with path.open("wb") as out:
        write_zip(out, [ZipMember(f"part{n:02d}.zip", part) for n in range(1, parts + 1)])
    return path


def spreadsheet_docx(path: Path) -> Path:
    """An XLSX-like zip (xl/workbook.xml, a sheet) under a .docx name."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    members = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                               'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>',
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook xmlns="{main}"><sheets><sheet name="Budget" '
                           'sheetId="1"/></sheets></workbook>',
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0"?><worksheet xmlns="{main}"><sheetData><row r="1">'
                                    '<c r="A1" t="inlineStr"><is><t>Budget line</t></is></c></row></sheetData>'
                                    '</worksheet>',
    }
    with path.open("wb") as out:
        write_zip(out, [ZipMember(name, deflate(text.encode())) for name, text in members.items()])
    return path


# -- PDF -----------------------------------------------------------------------------


def pdf_flate_bomb(path: Path, inflated_mb: int = 512) -> Path:
    """A one-page PDF whose content stream is ~0.5 MB of FlateDecode inflating to `inflated_mb` MB of spaces."""
    spaces = deflate(b"", b" ", inflated_mb * MB)
    content = _stream(zlib_wrapped(spaces), spaces.compressed_size + 6, b" /Filter /FlateDecode")
    return write_pdf(path, [_CATALOG, _ONE_PAGE, _page(), _FONT, content])


def pdf_deep_nesting(path: Path, depth: int = 50_000) -> Path:
    """A page with real text inside marked content whose property list (6 0 R) holds arrays nested `depth` deep.

    PDFium looks the property list up while reading the page, so its parser
    meets the nesting; a recursive parser walking the page's resources does too.
    """
    text = _text_content(["Deep nesting test.", "The mangrove restoration in Ca Mau replanted 400 hectares."])
    content = b"/Span /P1 BDC\n" + text + b"\nEMC"
    deep = [b"<< /Type /Nested /Deep ", b"[" * depth, b"]" * depth, b" >>"]
    return write_pdf(path, [_CATALOG, _ONE_PAGE, _page(b" /Properties << /P1 6 0 R >>"), _FONT,
                            _stream(content, len(content)), deep])


def pdf_zero_pages(path: Path) -> Path:
    """A well-formed PDF whose page tree is empty (/Count 0)."""
    return write_pdf(path, [_CATALOG, [b"<< /Type /Pages /Kids [] /Count 0 >>"]])


def pdf_pages_loop(path: Path) -> Path:
    """A page tree that loops: the root /Pages node's only kid is a /Pages node whose only kid is the root."""
    return write_pdf(path, [_CATALOG, [b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"],
                            [b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>"]])


def _reportlab_pages(path: Path, pages: list[list[str]], **options) -> Path:
    """A text PDF by reportlab (invariant: no dates or random ids, the same bytes every run)."""
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), invariant=1, **options)
    for lines in pages:
        c.setFont("Helvetica", 11)
        for n, line in enumerate(lines):
            c.drawString(72, 740 - 14 * n, line)
        c.showPage()
    c.save()
    return path


def pdf_many_pages(path: Path, pages: int = 2000, seed: int = 7) -> Path:
    """A long PDF with a little real text per page: a heading line and two sentences."""
    rng, pool = random.Random(seed), sentences(seed)
    return _reportlab_pages(path, [[f"Annex page {n}", *rng.sample(pool, 2)] for n in range(1, pages + 1)])


def pdf_truncated(path: Path, keep: float = 0.6) -> Path:
    """A five-page text PDF cut after `keep` of its bytes, as an interrupted download leaves it."""
    _reportlab_pages(path, [report_text(11 + n, 3).split("\n\n")[:3] for n in range(5)])
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def pdf_encrypted(path: Path, user_password: str = "secret") -> Path:
    """A text PDF that needs a user password to open (RC4 128-bit, reportlab)."""
    from reportlab.lib.pdfencrypt import StandardEncryption

    encryption = StandardEncryption(user_password, "owner-secret", strength=128)
    return _reportlab_pages(path, [["Confidential evaluation report", "Only readers with the password see this."]],
                            encrypt=encryption)


def pdf_image_only(path: Path) -> Path:
    """A 'scan': one page holding a picture of text, no text layer."""
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    image = Image.new("L", (1000, 600), 255)
    draw = ImageDraw.Draw(image)
    for n, line in enumerate(report_text(21, 1).split(". ")[:8]):
        draw.text((40, 40 + 60 * n), line, fill=0)
    png = io.BytesIO()
    image.save(png, format="PNG")
    c = canvas.Canvas(str(path), invariant=1)
    c.drawImage(ImageReader(io.BytesIO(png.getvalue())), 50, 300, width=500, height=300)
    c.showPage()
    c.save()
    return path


def garbage(path: Path, size: int = 64 * 1024, seed: int = 13) -> Path:
    """Random bytes (under whatever name the caller gives, e.g. .pdf)."""
    path.write_bytes(b"\x00GARBAGE" + random.Random(seed).randbytes(size - 8))
    return path


def html_as_pdf(path: Path) -> Path:
    """An HTML error page saved under a .pdf name: the common failed download."""
    path.write_text("<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>\n"
                    "<h1>Not Found</h1><p>The requested report was not found on this server.</p>\n"
                    "</body></html>\n", encoding="utf-8")
    return path


def copy_good_report(path: Path, source: Path | None = None) -> Path:
    """A real evaluation report from the sample corpus: `source`, else the AAP brief, else any corpus PDF."""
    if source is None:
        source = DEFAULT_GOOD_REPORT if DEFAULT_GOOD_REPORT.exists() else min(CORPUS.glob("*.pdf"))
    shutil.copyfile(source, path)
    return path


# -- HTML and text ---------------------------------------------------------------------


def html_deep_divs(path: Path, depth: int = 100_000) -> Path:
    """`depth` nested <div>s (~11 bytes each) with a paragraph of visible text at the bottom."""
    with path.open("w", encoding="utf-8") as out:
        out.write("<!DOCTYPE html>\n<html><head><title>Deeply nested page</title></head><body>\n")
        out.write("<div>" * depth)
        out.write("<p>The beekeeping cooperatives of Nampula tripled their honey exports in two seasons.</p>")
        out.write("</div>" * depth)
        out.write("\n</body></html>\n")
    return path


def text_utf16(path: Path) -> Path:
    """French text in UTF-16 little-endian with a byte-order mark."""
    text = ("Évaluation finale du programme de pêche artisanale\n\n"
            "Les coopératives de pêcheurs de Ziguinchor ont doublé leurs revenus grâce aux chambres froides.\n\n"
            "Les femmes transformatrices ont obtenu un accès élargi au crédit et aux marchés régionaux.\n")
    path.write_bytes(text.encode("utf-16"))  # Python's utf-16 writes the BOM
    return path


def text_latin1(path: Path) -> Path:
    """French text in Latin-1 (not valid UTF-8)."""
    text = ("Rapport d'évaluation à mi-parcours\n\n"
            "Les éleveurs transhumants de Tahoua ont reçu des vaccins vétérinaires avant la saison sèche.\n\n"
            "Le comité de pilotage a approuvé la révision du cadre logique en février.\n")
    path.write_bytes(text.encode("latin-1"))
    return path


def text_with_nuls(path: Path, seed: int = 31) -> Path:
    """A text report with NUL bytes sprinkled through it after its first 10 KB, as a crashed writer leaves."""
    lead = ("Solar irrigation pumps in Kisumu extended the growing season by three months.\n\n"
            + report_text(seed, 30)).encode()
    head, rest = lead[:10_000], lead[10_000:]
    path.write_bytes(head + b"\x00".join(rest[i:i + 97] for i in range(0, len(rest), 97)) + b"\x00" * 512)
    return path


def text_one_line(path: Path, size_mb: float = 10, seed: int = 41) -> Path:
    """`size_mb` MB of words separated by spaces: no newline anywhere."""
    with path.open("wb") as out:
        _write_sentences(out, seed, int(size_mb * MB), b" ")
    return path


def text_big(path: Path, size_mb: float = 60, seed: int = 43) -> Path:
    """A `size_mb` MB plain-text 'report': paragraphs of plausible sentences, streamed to disk."""
    with path.open("wb") as out:
        out.write(b"Consolidated monitoring report\n\n")
        _write_sentences(out, seed, int(size_mb * MB), b"\n\n")
    return path


def empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def whitespace_only(path: Path) -> Path:
    """Spaces, tabs, newlines, carriage returns and form feeds, nothing else."""
    path.write_bytes(b" \t \r\n\x0c\n  " * 400)
    return path


def text_named(path: Path, seed: int) -> Path | None:
    """A short, distinct text report at `path`; None when the filesystem refuses the name."""
    try:
        path.write_text(report_text(seed, 3, title=f"Report number {seed}"), encoding="utf-8")
    except (OSError, ValueError):  # ValueError: an embedded NUL; OSError: a name the filesystem refuses
        return None
    return path


# -- the set ---------------------------------------------------------------------------

_BOMB = "expands|expanded|inflat|limit|too large"
_LONG_NAME = "long_" + "x" * 191 + ".txt"  # 200 characters


def _catalogue(folder: Path, good_report: Path | None) -> list[tuple[HostileFile, Callable[[Path], Path | None]]]:
    """Every file: what a sound ingest does with it, and how to make it."""

    def entry(name: str, what: str, expected: Outcome, make: Callable[[Path], Path | None],
              **checks: str) -> tuple[HostileFile, Callable[[Path], Path | None]]:
        return HostileFile(name, folder / name, what, expected, **checks), make

    passwd = _first_line(Path("/etc/passwd")) or "root:x:0:0"
    return [
        entry(Path(good_report or DEFAULT_GOOD_REPORT).name, "a real evaluation brief (control)", "indexed",
              lambda p: copy_good_report(p, good_report), probe=GOOD_REPORT_PROBE),
        entry("docx_bomb.docx", "DOCX, document.xml inflates to 500 MB of paragraphs", "failed", docx_bomb,
              reason=_BOMB),
        entry("docx_bomb_lying_sizes.docx", "same bomb, zip headers claim 64 KB", "failed", docx_bomb_lying,
              reason=f"{_BOMB}|malformed|corrupt|crc"),
        entry("archive.docx", "zip of 10 zips of 100 MB of zeros, named .docx", "failed", archive_bomb,
              reason="zip|not a .docx|not a docx"),
        entry("spreadsheet.docx", "XLSX-like zip (xl/workbook.xml) named .docx", "failed", spreadsheet_docx,
              reason="spreadsheet|xlsx"),
        entry("billion_laughs.docx", "DOCX with nested entities (&lol9; = 3 GB)", "failed", billion_laughs_docx,
              reason="entit", absent="lollollollollol"),  # libxml2 2.14 refuses it even unexpanded
        entry("xxe.docx", "DOCX with an external entity to /etc/passwd", "indexed", xxe_docx, absent=passwd),
        entry("pdf_flate_bomb.pdf", "1 page, 0.5 MB FlateDecode -> 512 MB of spaces", "failed", pdf_flate_bomb,
              reason=f"{_BOMB}|no text"),
        entry("deep_nesting.pdf", "page text + arrays nested 50,000 deep", "indexed", pdf_deep_nesting,
              probe="mangrove restoration Ca Mau hectares"),
        entry("zero_pages.pdf", "valid PDF, /Count 0, no kids", "failed", pdf_zero_pages, reason="page"),
        entry("pages_loop.pdf", "page tree that loops on itself", "failed", pdf_pages_loop, reason="page|loop"),
        entry("truncated.pdf", "5-page PDF cut at 60%", "failed", pdf_truncated, reason="truncated"),
        entry("encrypted.pdf", "user password required (RC4-128)", "failed", pdf_encrypted,
              reason="encrypted|password"),
        entry("garbage.pdf", "64 KB of random bytes", "failed", garbage, reason="not a pdf"),
        entry("image_only.pdf", "one page, a picture of text", "failed", pdf_image_only,
              reason="text layer|scanned|ocr"),
        entry("many_pages_2000.pdf", "2,000 pages, two sentences each", "indexed", pdf_many_pages),
        entry("deep_divs.html", "100,000 nested <div>s, text at the bottom", "indexed", html_deep_divs,
              probe="beekeeping cooperatives Nampula honey exports"),
        entry("utf16_bom.txt", "French, UTF-16 with BOM", "indexed", text_utf16,
              probe="coopératives de pêcheurs Ziguinchor"),
        entry("latin1.txt", "French, Latin-1", "indexed", text_latin1,
              probe="éleveurs transhumants Tahoua vaccins"),
        entry("nul_bytes.txt", "text with NULs after its first 10 KB", "indexed", text_with_nuls,
              probe="solar irrigation pumps Kisumu"),
        entry("one_line_10mb.txt", "10 MB of words, no newline", "failed", text_one_line,
              reason="limit|too large|too long"),
        entry("big_60mb.txt", "60 MB plain-text report", "failed", text_big, reason="limit|too large|too long"),
        entry("empty.txt", "0 bytes", "failed", empty, reason="empty"),
        entry("whitespace_only.txt", "4 KB of whitespace", "failed", whitespace_only, reason="no text|empty"),
        entry("report with spaces é ü 中文.txt", "name: spaces and unicode", "indexed", lambda p: text_named(p, 1)),
        entry("-starts-with-dash.txt", "name: leading dash", "indexed", lambda p: text_named(p, 2)),
        entry(_LONG_NAME, "name: 200 characters", "indexed", lambda p: text_named(p, 3)),
        entry("new\nline.txt", "name: a newline inside", "indexed", lambda p: text_named(p, 4)),
        entry("really_html.pdf", "an HTML 404 page named .pdf", "failed", html_as_pdf, reason="not a pdf|html"),
    ]


def _first_line(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()[0].strip()
    except (OSError, IndexError):
        return ""


def build(folder: Path, good_report: Path | None = None, names: Collection[str] | None = None) -> list[HostileFile]:
    """Make the hostile files (only `names`, when given) in `folder`; a name the filesystem refuses is left out."""
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for spec, make in _catalogue(folder, good_report):
        if (names is None or spec.name in names) and make(spec.path) is not None:
            made.append(spec)
    return made


def catalogue_names() -> list[str]:
    """The names `build` can make, for --only."""
    return [spec.name for spec, _ in _catalogue(Path("."), None)]
