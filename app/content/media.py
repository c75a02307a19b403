"""Uploaded media of the portal: images re-encoded (metadata and anything hidden dropped), audio,
video and PDF checked by their bytes, all stored privately under UPLOAD_ROOT/content with random names."""
from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from app.core.errors import DomainError
from app.core.storage import private_path, store_private

IMAGE_MAX_BYTES = 8 * 1024 * 1024
IMAGE_MAX_SIDE = 8000
IMAGE_STORE_SIDE = 1600
MEDIA_MAX_BYTES = 15 * 1024 * 1024  # below MAX_CONTENT_LENGTH (16 MB)
MEDIA_TYPES = {"mp3": "audio/mpeg", "m4a": "audio/mp4", "mp4": "video/mp4", "pdf": "application/pdf"}


def reencode_image(data: bytes) -> bytes:
    """A JPEG or PNG upload decoded and written again as a JPEG (at most IMAGE_STORE_SIDE pixels a side).
    Raises DomainError for an empty, oversized, unknown or broken file."""
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    if not data:
        raise DomainError("请选择图片文件", field="image")
    if len(data) > IMAGE_MAX_BYTES:
        raise DomainError(f"图片不能超过 {IMAGE_MAX_BYTES // (1024 * 1024)} MB", field="image")
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format not in ("JPEG", "PNG"):
                raise DomainError("只接受 JPG 或 PNG 格式的图片", field="image")
            if max(img.size) > IMAGE_MAX_SIDE:
                raise DomainError(f"图片太大：宽和高都不能超过 {IMAGE_MAX_SIDE} 像素", field="image")
            img.load()
            img = ImageOps.exif_transpose(img).convert("RGB")
            img.thumbnail((IMAGE_STORE_SIDE, IMAGE_STORE_SIDE), Image.LANCZOS)
            out = io.BytesIO()
            img.save(out, "JPEG", quality=85, optimize=True)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise DomainError("文件不是可识别的图片，或已损坏；请上传 JPG 或 PNG 图片", field="image") from None
    return out.getvalue()


def sniff_media(data: bytes) -> str | None:
    """"mp3", "m4a", "mp4" or "pdf" decided from the file's first bytes, else None."""
    head = data[:16]
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return "m4a" if brand in (b"M4A ", b"M4B ") else "mp4"
    return None


ALLOWED_MEDIA = {"broadcast": {"mp3", "m4a"}, "video": {"mp4"}, "poster": {"pdf"}, "handbook": {"pdf"},
                 "article": {"pdf"}, "story": {"pdf", "mp4"}}
MEDIA_HINT = {"broadcast": "MP3 或 M4A 音频", "video": "MP4 视频", "poster": "PDF 文件", "handbook": "PDF 文件",
              "article": "PDF 文件", "story": "PDF 或 MP4 文件"}


def check_media(data: bytes, item_type: str) -> str:
    """The media kind of an upload for an item of ``item_type``. Raises DomainError when the file is
    empty, too large or not of a kind this type accepts (decided by the bytes, not the name)."""
    if not data:
        raise DomainError("请选择文件", field="media")
    if len(data) > MEDIA_MAX_BYTES:
        raise DomainError(f"文件不能超过 {MEDIA_MAX_BYTES // (1024 * 1024)} MB", field="media")
    kind = sniff_media(data)
    if kind not in ALLOWED_MEDIA.get(item_type, set()):
        raise DomainError(f"此类内容只接受{MEDIA_HINT.get(item_type, '指定格式的文件')}", field="media")
    return kind


def store(root: str, data: bytes, suffix: str) -> str:
    """Write ``data`` under a random name in ``root``/content and return the name."""
    return store_private(root, "content", data, suffix)


def path_of(root: str, name: str) -> Path:
    """The stored file's path; refuses names that could leave the folder."""
    return private_path(root, "content", name)
