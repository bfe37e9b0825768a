"""Uploaded documents are parsed, not sniffed: a PDF must open as a PDF, an image decode as an image. No Django.

Checking the first bytes says what a file claims to be, not what it is. A
file can be a valid JPEG *and* an HTML page or a ZIP archive (a polyglot), a
PDF can carry JavaScript or other files, and a small PNG can declare a
billion pixels (a decompression bomb). So each upload is opened with the
library that will later read it, within limits:

- PDF (pypdf): the header at byte 0, not encrypted, 1 to `max_pages` pages;
  no JavaScript, launch/submit/import actions, embedded files, rich media or
  XFA forms anywhere in the file (every object in its cross-reference table
  is inspected, referenced or not); every stream decodes within pypdf's
  limits and all of them together within `max_decoded_bytes`.
- PNG / JPEG (Pillow): the format the name says, at most `max_pixels`
  (checked from the header, before decoding), then fully decoded.
- Any: nothing after the format's end marker (where ZIP and HTML polyglots
  put their payload), no ZIP directory at the end, no HTML or a PDF header
  where browsers and PDF readers look for them.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
import zlib
from dataclasses import dataclass
from typing import Any


class UploadRejected(ValueError):
    """The upload is refused; str() is a message for the person who uploaded it."""


@dataclass(frozen=True)
class DocumentLimits:
    max_bytes: int = 10 * 1024 * 1024
    max_pages: int = 50
    max_pixels: int = 60_000_000  # a 48-megapixel phone photo passes; 20000 × 20000 does not
    max_objects: int = 200_000
    max_stream_bytes: int = 60 * 1024 * 1024  # one decoded PDF stream
    max_decoded_bytes: int = 300 * 1024 * 1024  # all decoded PDF streams together


DEFAULT_LIMITS = DocumentLimits()


@dataclass(frozen=True)
class ParsedDocument:
    kind: str  # "pdf", "png" or "jpeg"
    pages: int = 1
    width: int = 0
    height: int = 0


KINDS = {".pdf": "pdf", ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg"}

# Where a browser sniffing content, or a PDF reader hunting for its header, looks.
_SNIFF_WINDOW = 1024
_HTML_MARKERS = re.compile(
    rb"<\s*(?:!doctype|html|head|body|script|svg|iframe|object|embed|\?xml)", re.IGNORECASE
)
_ZIP_END = b"PK\x05\x06"
_ZIP_LOCAL = b"PK\x03\x04"


def parse_document(data: bytes, suffix: str, limits: DocumentLimits = DEFAULT_LIMITS) -> ParsedDocument:
    """Open `data` as the format `suffix` names (".pdf", ".png", ".jpg", ".jpeg"); UploadRejected if it is not one."""
    kind = KINDS.get(suffix.lower())
    if kind is None:
        raise UploadRejected("Attach the document as a PDF, PNG or JPEG file.")
    if len(data) > limits.max_bytes:
        raise UploadRejected(f"The document is larger than {limits.max_bytes // (1024 * 1024)} MB.")
    if not data:
        raise UploadRejected("The file is empty.")
    _refuse_polyglot_markers(data, kind)
    if kind == "pdf":
        return _parse_pdf(data, limits)
    return _parse_image(data, kind, limits)


def _refuse_polyglot_markers(data: bytes, kind: str) -> None:
    head = data[:_SNIFF_WINDOW]
    if _HTML_MARKERS.search(head):
        raise UploadRejected("The file contains web-page markup; scan or export the letter again.")
    if kind != "pdf" and b"%PDF" in head:
        raise UploadRejected("The image also contains a PDF; save it again as a plain image.")
    if data.startswith(_ZIP_LOCAL) or _ZIP_END in data[-(65536 + 22) :]:
        raise UploadRejected("The file also contains an archive; save it again as a plain document.")


# --------------------------------------------------------------------------- images


def _parse_image(data: bytes, kind: str, limits: DocumentLimits) -> ParsedDocument:
    from PIL import Image, UnidentifiedImageError

    name = kind.upper()
    _check_image_end(data, kind)
    try:
        with warnings.catch_warnings():
            # Pillow warns past MAX_IMAGE_PIXELS and raises past twice that; our own
            # limit (below, from the header) decides, and any bomb warning refuses.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[name]) as image:
                width, height = image.size
                if width * height > limits.max_pixels:
                    raise UploadRejected(
                        f"The image is {width} × {height} pixels; scan it at a lower resolution "
                        f"(at most {limits.max_pixels // 1_000_000} megapixels)."
                    )
                image.load()
                frames = getattr(image, "n_frames", 1)
    except UploadRejected:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise UploadRejected("The image declares too many pixels to open safely.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error):
        raise UploadRejected(f"The file is not a readable {name} image.") from None
    if frames != 1:
        raise UploadRejected("Animated images are not accepted; attach a single page.")
    return ParsedDocument(kind=kind, width=width, height=height)


def _check_image_end(data: bytes, kind: str) -> None:
    """Nothing may follow the image's end marker: that is where appended archives and pages hide."""
    if kind == "png":
        end = _png_end(data)
    else:
        end = len(data.rstrip(b"\x00")) if data.rstrip(b"\x00").endswith(b"\xff\xd9") else -1
    if end != len(data):
        raise UploadRejected(f"The file has data after the end of the {kind.upper()} image.")


def _png_end(data: bytes) -> int:
    """The offset just after the IEND chunk, walking the chunk structure; -1 if it is broken."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return -1
    offset = 8
    while offset + 8 <= len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        chunk_type = data[offset + 4 : offset + 8]
        offset += 12 + length
        if chunk_type == b"IEND":
            return offset
    return -1


# --------------------------------------------------------------------------- PDF

# Names whose presence anywhere in a PDF means active content or files inside it.
_FORBIDDEN_KEYS = {"/JS", "/JavaScript", "/EmbeddedFile", "/EmbeddedFiles", "/RichMedia", "/XFA"}
# Action types (/S) that run code, open other programs or files, or send data out.
_FORBIDDEN_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/GoToE", "/RichMediaExecute"}
_FORBIDDEN_SUBTYPES = {"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"}


def _parse_pdf(data: bytes, limits: DocumentLimits) -> ParsedDocument:
    import pypdf
    from pypdf.errors import LimitReachedError, PyPdfError

    if not data.startswith(b"%PDF-"):
        raise UploadRejected("The file is not a PDF document (no PDF header at its start).")
    tail = data[-1024:]
    eof = tail.rfind(b"%%EOF")
    if eof < 0 or tail[eof + 5 :].strip(b" \t\r\n\x00"):
        raise UploadRejected("The PDF has data after its end; save or print it to PDF again.")
    try:
        with (
            warnings.catch_warnings(),
            pypdf.apply_configuration(
                zlib_maximum_output_length=limits.max_stream_bytes,
                lzw_maximum_output_length=limits.max_stream_bytes,
                run_length_maximum_output_length=limits.max_stream_bytes,
                jbig2_maximum_output_length=limits.max_stream_bytes,
                brotli_maximum_output_length=limits.max_stream_bytes,
                image_maximum_buffer_size=limits.max_stream_bytes,
            ),
        ):
            warnings.simplefilter("ignore")  # pypdf warns about harmless oddities of real scanners
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise UploadRejected("The PDF is password-protected; attach an unprotected copy.")
            pages = len(reader.pages)
            if not 1 <= pages <= limits.max_pages:
                raise UploadRejected(f"The PDF has {pages} pages; attach at most {limits.max_pages}.")
            _inspect_objects(reader, limits)
    except UploadRejected:
        raise
    except LimitReachedError:
        raise UploadRejected("The PDF decompresses to too much data to open safely.") from None
    except (
        PyPdfError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        RecursionError,
        zlib.error,
    ):
        raise UploadRejected("The file is not a readable PDF document.") from None
    return ParsedDocument(kind="pdf", pages=pages)


def _inspect_objects(reader: Any, limits: DocumentLimits) -> None:
    """Every object the cross-reference tables list, referenced or not: no active content; bounded streams."""
    from pypdf.generic import IndirectObject

    ids: set[tuple[int, int]] = set()
    for generation, entries in reader.xref.items():
        ids.update((int(idnum), int(generation)) for idnum in entries)
    ids.update((int(idnum), 0) for idnum in reader.xref_objStm)
    if len(ids) > limits.max_objects:
        raise UploadRejected("The PDF has too many objects to check.")
    decoded = 0
    _inspect(reader.trailer, limits)
    for idnum, generation in sorted(ids):
        obj = reader.get_object(IndirectObject(idnum, generation, reader))
        if obj is None:
            continue
        _inspect(obj, limits)
        if hasattr(obj, "get_data"):
            decoded += len(obj.get_data())
            if decoded > limits.max_decoded_bytes:
                raise UploadRejected("The PDF decompresses to too much data to open safely.")


def _inspect(obj: Any, limits: DocumentLimits, depth: int = 0) -> None:
    """Refuse forbidden names in a dictionary, its nested direct dictionaries and arrays (not followed references)."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    if depth > 64:
        raise UploadRejected("The PDF is nested too deeply to check.")
    if isinstance(obj, IndirectObject):
        return  # every object is visited on its own
    if isinstance(obj, DictionaryObject):
        keys = {str(key) for key in obj}
        if keys & _FORBIDDEN_KEYS:
            raise UploadRejected(
                "The PDF contains scripts or attached files; print it to PDF again without them."
            )
        action, subtype = (_resolved(obj.get(key)) for key in ("/S", "/Subtype"))
        if action in _FORBIDDEN_ACTIONS or subtype in _FORBIDDEN_SUBTYPES:
            raise UploadRejected("The PDF contains actions or attachments that are not allowed.")
        for value in obj.values():
            _inspect(value, limits, depth + 1)
    elif isinstance(obj, ArrayObject):
        for value in obj:
            _inspect(value, limits, depth + 1)


def _resolved(value: Any) -> str:
    """A dictionary value as text, following one indirect reference (a name may be stored indirectly)."""
    from pypdf.generic import IndirectObject

    if isinstance(value, IndirectObject):
        value = value.get_object()
    return "" if value is None else str(value)
