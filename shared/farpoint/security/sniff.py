"""Media type sniffing from an upload's first bytes: never the filename, never Content-Type.

:func:`sniff` reads magic numbers of the containers farpoint ingests — video (MP4/MOV/3GP ``ftyp``,
Matroska/WebM EBML, AVI ``RIFF``, MPEG-TS/M2TS sync bytes, MPEG-PS, FLV, ASF/WMV, Ogg), images
(JPEG, PNG, GIF, BMP, TIFF, WebP, PNM; not HEIF/AVIF, which ingest cannot decode) and archives
(zip, tar, and tar inside gzip/bzip2/xz, checked by decompressing the first block). The answer's
``ext`` is the suffix to store the object under, so ingest picks its decoder from what the bytes
are, not what the client said. Anything else is ``None``.
"""

from __future__ import annotations

import bz2
import lzma
import re
import zlib
from dataclasses import dataclass

SNIFF_BYTES = 8192
_BZ2_HEADER = re.compile(rb"^BZh[1-9]1AY&SY", re.DOTALL)

VIDEO = "video"
IMAGE = "image"
ARCHIVE = "archive"
KINDS = (VIDEO, IMAGE, ARCHIVE)


@dataclass(frozen=True)
class MediaType:
    """What the bytes are: a kind (video/image/archive), a format name and a storage suffix."""

    kind: str
    format: str
    ext: str
    mime: str


_IMAGE_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif"}
_MOV_BRANDS = {b"qt  "}
_3GP_PREFIX = (b"3gp", b"3g2")


def _ftyp(head: bytes) -> MediaType | None:
    if len(head) < 12 or head[4:8] != b"ftyp":
        return None
    brand = head[8:12]
    if brand in _IMAGE_BRANDS:  # HEIF/AVIF stills: ingest (Pillow) cannot decode them
        return None
    if brand in _MOV_BRANDS:
        return MediaType(VIDEO, "mov", ".mov", "video/quicktime")
    if brand.startswith(_3GP_PREFIX):
        return MediaType(VIDEO, "3gp", ".3gp", "video/3gpp")
    if brand.isascii() and all(32 <= c < 127 for c in brand):
        return MediaType(VIDEO, "mp4", ".mp4", "video/mp4")
    return None


def _mpeg_ts(head: bytes) -> MediaType | None:
    for stride, offset in ((188, 0), (192, 4), (204, 0)):
        positions = range(offset, min(len(head), offset + 5 * stride), stride)
        if len(positions) >= 3 and all(head[i] == 0x47 for i in positions):
            return MediaType(VIDEO, "mpegts", ".ts", "video/mp2t")
    return None


def _is_tar(block: bytes) -> bool:
    return len(block) >= 263 and block[257:262] == b"ustar"


def _decompressed_head(head: bytes, fmt: str) -> bytes:
    try:
        if fmt == "gz":
            return zlib.decompressobj(wbits=31).decompress(head, 1024)
        if fmt == "bz2":
            return bz2.BZ2Decompressor().decompress(head, 1024)
        return lzma.LZMADecompressor().decompress(head, 1024)
    except (zlib.error, OSError, EOFError, lzma.LZMAError, ValueError):
        return b""


def _compressed_tar(head: bytes) -> MediaType | None:
    for magic, fmt in ((b"\x1f\x8b", "gz"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "xz")):
        if not head.startswith(magic):
            continue
        inner = _decompressed_head(head, fmt)
        # bzip2 emits nothing before a whole block (up to 900 kB) is in: trust a valid block
        # header there and let ingest find out whether a tar is inside.
        block_only = fmt == "bz2" and not inner and _BZ2_HEADER.match(head) is not None
        if block_only or _is_tar(inner):
            return MediaType(ARCHIVE, f"tar.{fmt}", f".tar.{fmt}", f"application/x-{fmt}")
    return None


_SIMPLE: tuple[tuple[int, bytes, MediaType], ...] = (
    (0, b"\x1a\x45\xdf\xa3", MediaType(VIDEO, "matroska", ".mkv", "video/x-matroska")),
    (0, b"FLV\x01", MediaType(VIDEO, "flv", ".flv", "video/x-flv")),
    (0, b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", MediaType(VIDEO, "asf", ".wmv", "video/x-ms-asf")),
    (0, b"\x00\x00\x01\xba", MediaType(VIDEO, "mpeg", ".mpg", "video/mpeg")),
    (0, b"\x00\x00\x01\xb3", MediaType(VIDEO, "mpeg", ".mpg", "video/mpeg")),
    (0, b"OggS", MediaType(VIDEO, "ogg", ".ogv", "video/ogg")),
    (0, b"\xff\xd8\xff", MediaType(IMAGE, "jpeg", ".jpg", "image/jpeg")),
    (0, b"\x89PNG\r\n\x1a\n", MediaType(IMAGE, "png", ".png", "image/png")),
    (0, b"GIF87a", MediaType(IMAGE, "gif", ".gif", "image/gif")),
    (0, b"GIF89a", MediaType(IMAGE, "gif", ".gif", "image/gif")),
    (0, b"II*\x00", MediaType(IMAGE, "tiff", ".tiff", "image/tiff")),
    (0, b"MM\x00*", MediaType(IMAGE, "tiff", ".tiff", "image/tiff")),
    (0, b"PK\x03\x04", MediaType(ARCHIVE, "zip", ".zip", "application/zip")),
    (0, b"PK\x05\x06", MediaType(ARCHIVE, "zip", ".zip", "application/zip")),
)


def sniff(head: bytes) -> MediaType | None:
    """The media type of a file starting with ``head`` (give it :data:`SNIFF_BYTES`), or None."""
    if not head:
        return None
    found = _ftyp(head)
    if found:
        return found
    if head[:4] == b"RIFF" and len(head) >= 12:
        form = head[8:12]
        if form == b"AVI ":
            return MediaType(VIDEO, "avi", ".avi", "video/x-msvideo")
        if form == b"WEBP":
            return MediaType(IMAGE, "webp", ".webp", "image/webp")
        return None
    for offset, magic, media in _SIMPLE:
        if head[offset : offset + len(magic)] == magic:
            return media
    if head[:2] == b"BM" and len(head) >= 26 and head[6:10] == b"\0\0\0\0":
        return MediaType(IMAGE, "bmp", ".bmp", "image/bmp")
    if len(head) >= 3 and head[0:1] == b"P" and head[1:2] in b"56" and head[2:3].isspace():
        ext = ".pgm" if head[1:2] == b"5" else ".ppm"
        return MediaType(IMAGE, "pnm", ext, "image/x-portable-anymap")
    if _is_tar(head):
        return MediaType(ARCHIVE, "tar", ".tar", "application/x-tar")
    found = _compressed_tar(head)
    if found:
        return found
    return _mpeg_ts(head)
