"""Photos: decoded to prove they are images, re-encoded to drop metadata, stored privately."""
from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from app.core.errors import DomainError
from app.core.storage import private_path, store_private

ALLOWED_FORMATS = {"JPEG", "PNG"}


def process_photo(data: bytes, *, max_bytes: int, min_side: int, max_side: int, store_side: int) -> bytes:
    """Check an uploaded photo and return it as a fresh JPEG without any metadata.

    Raises DomainError when it is empty, too large, not a JPEG/PNG (decided by
    decoding, not by the name), too small or too large in pixels, or broken.
    """
    ImageFile.LOAD_TRUNCATED_IMAGES = False  # a library may have relaxed it; broken uploads are refused
    if not data:
        raise DomainError("请选择照片文件", field="photo")
    if len(data) > max_bytes:
        raise DomainError(f"照片不能超过 {max_bytes // (1024 * 1024)} MB", field="photo")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            width, height = probe.size
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise DomainError("文件不是可识别的图片，请上传 JPG 或 PNG 格式的照片", field="photo") from None
    if fmt not in ALLOWED_FORMATS:
        raise DomainError("只接受 JPG 或 PNG 格式的照片", field="photo")
    if min(width, height) < min_side:
        raise DomainError(f"照片太小：宽和高都至少需要 {min_side} 像素", field="photo")
    if max(width, height) > max_side:
        raise DomainError(f"照片太大：宽和高都不能超过 {max_side} 像素", field="photo")
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            img = ImageOps.exif_transpose(img)
            img = img.convert("RGB")
            img.thumbnail((store_side, store_side), Image.LANCZOS)
            out = io.BytesIO()
            img.save(out, "JPEG", quality=88, optimize=True)  # no exif/icc passed: metadata dropped
    except (OSError, ValueError, Image.DecompressionBombError):
        raise DomainError("照片文件已损坏，无法读取", field="photo") from None
    return out.getvalue()


def store_photo(root: str, jpeg: bytes) -> str:
    """Write the JPEG under a random name in ``root``/photos and return the name."""
    return store_private(root, "photos", jpeg, "jpg")


def photo_path(root: str, name: str) -> Path:
    return private_path(root, "photos", name)


def remove_photo(root: str, name: str | None) -> None:
    if name:
        try:
            photo_path(root, name).unlink(missing_ok=True)
        except FileNotFoundError:
            pass
