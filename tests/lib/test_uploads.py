"""Uploaded letters are parsed, not sniffed: crafted polyglots, active PDFs and bombs are refused."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from kneadwell.lib.uploads import DocumentLimits, UploadRejected, parse_document


def pdf(pages: int = 1, *, build=None) -> bytes:  # type: ignore[no-untyped-def]
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    if build is not None:
        build(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image(fmt: str, size: tuple[int, int] = (40, 30), mode: str = "RGB", **save: object) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "white" if mode != "1" else 1).save(out, format=fmt, **save)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A real, complete 1-bit PNG of width × height black pixels: a few hundred KB that decode to 400 megapixels."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def zip_archive() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.html", "<script>alert(1)</script>")
    return out.getvalue()


def refused(data: bytes, suffix: str, limits: DocumentLimits | None = None) -> str:
    with pytest.raises(UploadRejected) as exc:
        parse_document(data, suffix, *(() if limits is None else (limits,)))
    return str(exc.value)


# ---------------------------------------------------------------------------------- accepted


def test_a_real_pdf_letter_is_accepted():
    parsed = parse_document(pdf(pages=2), ".pdf")
    assert (parsed.kind, parsed.pages) == ("pdf", 2)


@pytest.mark.parametrize(("fmt", "suffix"), [("PNG", ".png"), ("JPEG", ".jpg"), ("JPEG", ".jpeg")])
def test_real_images_are_accepted(fmt, suffix):
    parsed = parse_document(image(fmt), suffix)
    assert (parsed.width, parsed.height) == (40, 30)


def test_a_pdf_with_an_ordinary_link_is_accepted():
    def link(writer: PdfWriter) -> None:
        from pypdf.annotations import Link

        writer.add_annotation(0, Link(rect=(50, 50, 200, 70), url="https://example.org/"))

    assert parse_document(pdf(build=link), ".pdf").pages == 1


# ---------------------------------------------------------------------------------- PDFs


def _open_action_script(writer: PdfWriter) -> None:
    action = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('hi');")}
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)


def test_a_pdf_with_javascript_is_refused():
    assert "scripts" in refused(pdf(build=_open_action_script), ".pdf")


def test_a_pdf_with_an_embedded_file_is_refused():
    assert "attached files" in refused(
        pdf(build=lambda w: w.add_attachment("payload.exe", b"MZ\x90\x00")), ".pdf"
    )


def test_javascript_in_an_object_nothing_references_is_still_found():
    def orphan(writer: PdfWriter) -> None:
        writer._add_object(
            DictionaryObject(
                {
                    NameObject("/S"): NameObject("/JavaScript"),
                    NameObject("/JS"): TextStringObject("app.alert(1)"),
                }
            )
        )

    refused(pdf(build=orphan), ".pdf")


def test_an_open_action_that_launches_a_program_is_refused():
    def launch(writer: PdfWriter) -> None:
        action = DictionaryObject(
            {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")}
        )
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)

    assert "not allowed" in refused(pdf(build=launch), ".pdf")


def test_too_many_pages_are_refused():
    assert "3 pages" in refused(pdf(pages=3), ".pdf", DocumentLimits(max_pages=2))


def test_a_password_protected_pdf_is_refused():
    assert "password" in refused(pdf(build=lambda w: w.encrypt("secret", algorithm="AES-128")), ".pdf")


def test_a_pdf_with_an_archive_appended_is_refused():
    # PDF readers stop at %%EOF; unzip tools read from the end: one file, two formats.
    assert refused(pdf() + zip_archive(), ".pdf")


def test_a_pdf_whose_header_is_not_at_the_start_is_refused():
    # PDF readers accept a header anywhere in the first kilobyte; browsers see the HTML first.
    assert refused(b"<!-- -->" + pdf(), ".pdf")


def test_a_pdf_stream_that_inflates_past_the_limit_is_refused():
    # 64 MB of zeros compress to about 64 KB: a bomb for anything that renders the page.
    compressor = zlib.compressobj(9)
    chunk = b"\x00" * (1 << 20)
    bomb = b"".join(compressor.compress(chunk) for _ in range(64)) + compressor.flush()

    def add_bomb(writer: PdfWriter) -> None:
        from pypdf.generic import StreamObject

        stream = StreamObject()
        stream.set_data(b"")
        stream._data = bomb
        stream[NameObject("/Filter")] = NameObject("/FlateDecode")
        writer.pages[0][NameObject("/Contents")] = writer._add_object(stream)

    data = pdf(build=add_bomb)
    assert len(data) < 200_000
    assert "too much data" in refused(data, ".pdf", DocumentLimits(max_stream_bytes=16 * 1024 * 1024))


def test_a_script_named_like_a_pdf_is_refused():
    assert refused(b"<script>alert(1)</script>", ".pdf")


def test_a_truncated_pdf_is_refused():
    data = pdf()
    assert refused(data[: len(data) // 2] + b"\n%%EOF\n", ".pdf")


# ---------------------------------------------------------------------------------- images


def test_a_decompression_bomb_is_refused_before_decoding():
    bomb = png_bomb()
    assert len(bomb) < 1_000_000
    assert "too many pixels" in refused(bomb, ".png")


def test_an_image_over_the_pixel_limit_is_refused_from_its_header():
    assert "40 × 30" in refused(image("PNG"), ".png", DocumentLimits(max_pixels=1000))


def noisy_jpeg() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((200, 200), 64).convert("RGB").save(out, format="JPEG")
    assert len(out.getvalue()) > 4096
    return out.getvalue()


def test_a_jpeg_with_an_html_page_appended_is_refused():
    assert "after the end" in refused(noisy_jpeg() + b"<html><script>alert(1)</script></html>", ".jpg")


def test_a_png_with_an_archive_appended_is_refused():
    assert refused(image("PNG") + zip_archive(), ".png")


def test_a_png_with_bytes_after_its_end_is_refused():
    assert "after the end" in refused(image("PNG") + b"trailing", ".png")


def test_a_jpeg_that_is_also_a_pdf_is_refused():
    # A comment segment carrying a PDF header: PDF readers find it in the first kilobyte.
    jpeg = image("JPEG")
    comment = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n"
    polyglot = jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + jpeg[2:]
    Image.open(io.BytesIO(polyglot)).load()  # still a valid JPEG
    assert "PDF" in refused(polyglot, ".jpg")


def test_an_image_with_markup_in_its_first_kilobyte_is_refused():
    png = image("PNG", pnginfo=None)
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    out = io.BytesIO()
    Image.open(io.BytesIO(png)).save(out, format="PNG", pnginfo=info)
    assert "markup" in refused(out.getvalue(), ".png")


def test_an_image_of_another_format_under_a_png_name_is_refused():
    assert "PNG" in refused(image("GIF"), ".png")


def test_a_truncated_image_is_refused():
    data = image("PNG", size=(400, 400))
    assert refused(data[:200] + data[-12:], ".png")


def test_a_file_over_the_size_limit_is_refused():
    assert "larger than" in refused(b"%PDF-" + b"0" * 2048, ".pdf", DocumentLimits(max_bytes=1024))


@pytest.mark.parametrize("suffix", [".exe", ".html", ".svg", ""])
def test_other_kinds_are_refused(suffix):
    assert "PDF, PNG or JPEG" in refused(b"anything", suffix)
