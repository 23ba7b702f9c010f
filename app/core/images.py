"""Which uploaded bytes are an image RedWaves keeps: PNG, JPEG, WebP or GIF, sniffed from the
file's own first bytes (never from its name or a header), at most ``MAX_IMAGE_BYTES``. The window
also decodes the picture before it offers to save it; the server keeps to the magic bytes."""

from __future__ import annotations

from app.core.errors import UserFacingError, ValidationError

MAX_IMAGE_BYTES = 2 * 1024 * 1024
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp", "gif": "image/gif"}


class ImageTooLarge(UserFacingError):
    code = "image_too_large"
    http_status = 413


def sniff_image(data: bytes) -> str | None:
    """'png', 'jpg', 'webp', 'gif' or None, from the file's first bytes."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


def check_image(data: bytes) -> str:
    """The image's kind (a ``MEDIA_TYPES`` key); UserFacingError (field ``image``) for anything else."""
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageTooLarge(f"Images are limited to {MAX_IMAGE_BYTES // (1024 * 1024)} MiB.", field="image")
    kind = sniff_image(data)
    if kind is None:
        raise ValidationError("This file is not a PNG, JPEG, WebP or GIF image.", code="unsupported_image_type",
                              field="image")
    return kind
