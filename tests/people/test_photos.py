import io

import pytest
from PIL import Image

from app.core.errors import DomainError
from app.people.photos import photo_path, process_photo, store_photo

LIMITS = dict(max_bytes=5 * 1024 * 1024, min_side=120, max_side=8000, store_side=600)


def _image(fmt="JPEG", size=(400, 500), exif=False):
    buf = io.BytesIO()
    img = Image.new("RGB", size, (10, 120, 200))
    kwargs = {}
    if exif:
        ex = Image.Exif()
        ex[0x010F] = "SecretCameraMaker"  # Make
        ex[0x8825] = {2: (39.0, 54.0, 0.0)}  # GPS info
        kwargs["exif"] = ex.tobytes()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


def test_jpeg_is_reencoded_without_metadata_and_scaled():
    raw = _image(size=(1200, 1600), exif=True)
    assert b"SecretCameraMaker" in raw
    out = process_photo(raw, **LIMITS)
    assert b"SecretCameraMaker" not in out
    with Image.open(io.BytesIO(out)) as img:
        assert img.format == "JPEG" and max(img.size) == 600
        assert not img.getexif()


def test_png_is_accepted_and_becomes_jpeg():
    out = process_photo(_image("PNG"), **LIMITS)
    assert out[:3] == b"\xff\xd8\xff"


@pytest.mark.parametrize("data, fragment", [
    (b"", "请选择"),
    (b"<script>alert(1)</script>", "不是可识别的图片"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "不是可识别的图片"),
])
def test_non_images_are_refused(data, fragment):
    with pytest.raises(DomainError, match=fragment):
        process_photo(data, **LIMITS)


def test_gif_renamed_to_jpg_is_refused_by_content():
    with pytest.raises(DomainError, match="只接受 JPG 或 PNG"):
        process_photo(_image("GIF"), **LIMITS)


def test_too_small_and_too_large():
    with pytest.raises(DomainError, match="太小"):
        process_photo(_image(size=(60, 80)), **LIMITS)
    with pytest.raises(DomainError, match="太大"):
        process_photo(_image(size=(9000, 200)), **LIMITS)
    with pytest.raises(DomainError, match="不能超过 5 MB"):
        process_photo(b"\xff" * (6 * 1024 * 1024), **LIMITS)


def test_truncated_jpeg_is_refused():
    import weasyprint  # noqa: F401  (it relaxes Pillow globally on import: the check must not depend on that)
    data = _image(size=(800, 800))
    with pytest.raises(DomainError):
        process_photo(data[: len(data) // 3], **LIMITS)


def test_stored_under_random_name_and_paths_cannot_escape(tmp_path):
    a = store_photo(str(tmp_path), b"1")
    b = store_photo(str(tmp_path), b"2")
    assert a != b and len(a) == 36
    for bad in ("../x.jpg", "a/b.jpg", ".hidden", ""):
        with pytest.raises(FileNotFoundError):
            photo_path(str(tmp_path), bad)
