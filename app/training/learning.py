"""Lesson files (PDF courseware, MP4 videos) stored privately, and online-lesson credit from heartbeats."""
from __future__ import annotations

import secrets
import struct
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa

from app.core import audit
from app.core.errors import DomainError
from app.core.storage import private_path, store_private
from app.db import utcnow
from app.extensions import db
from app.training import progress
from app.training.classes import update_completion
from app.training.models import Enrolment, EnrolmentState, Lesson, LessonProgress

VIDEO_MAX_BYTES = 500 * 1024 * 1024
PDF_MAX_BYTES = 30 * 1024 * 1024
MP4_BRANDS = {b"isom", b"iso2", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash", b"iso5", b"iso6"}


def storage_dir(upload_root: str) -> Path:
    path = Path(upload_root) / "training"
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_path(upload_root: str, name: str) -> Path:
    """The stored file's path; names are our own random tokens, never user input."""
    try:
        return private_path(upload_root, "training", name)
    except FileNotFoundError:
        raise DomainError("文件不存在") from None


def sniff_mp4(head: bytes) -> bool:
    """An ISO base media file (MP4) starts with an ``ftyp`` box naming a known brand."""
    return len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in MP4_BRANDS


def mp4_duration(fh: BinaryIO) -> int | None:
    """Seconds from the movie header (moov/mvhd) of an open MP4 file, or None when it cannot be read.
    Walks the top-level boxes with seeks, so a large file is never read whole."""
    fh.seek(0, 2)
    size_of_file = fh.tell()
    pos = 0
    while pos + 8 <= size_of_file:
        fh.seek(pos)
        size, kind = struct.unpack(">I4s", fh.read(8))
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", fh.read(8))[0], 16
        elif size == 0:
            size = size_of_file - pos
        if size < header:
            return None
        if kind == b"moov":
            body = fh.read(min(size - header, 16 * 1024 * 1024))
            return _mvhd_seconds(body)
        pos += size
    return None


def _mvhd_seconds(moov: bytes) -> int | None:
    pos = 0
    while pos + 8 <= len(moov):
        size, kind = struct.unpack(">I4s", moov[pos:pos + 8])
        if size < 8:
            return None
        if kind == b"mvhd":
            body = moov[pos + 8:pos + size]
            if body[:1] == b"\x01":
                scale, duration = struct.unpack(">IQ", body[20:32])
            else:
                scale, duration = struct.unpack(">II", body[12:20])
            return int(duration / scale) if scale else None
        pos += size
    return None


def store_video(upload_root: str, stream: BinaryIO, *, max_bytes: int = VIDEO_MAX_BYTES) -> tuple[str, int | None]:
    """Copy an uploaded MP4 to private storage under a random name. Returns (stored name, duration in
    seconds or None). Raises DomainError (and keeps nothing) for another type or too large a file."""
    head = stream.read(64)
    if not sniff_mp4(head):
        raise DomainError("只能上传 MP4 视频文件（H.264 编码）")
    storage_dir(upload_root)  # created on first upload
    name = secrets.token_hex(16) + ".mp4"
    path = file_path(upload_root, name)
    written = len(head)
    with open(path, "wb") as out:
        out.write(head)
        while chunk := stream.read(1024 * 1024):
            written += len(chunk)
            if written > max_bytes:
                out.close()
                path.unlink(missing_ok=True)
                raise DomainError(f"视频文件不能超过 {max_bytes // (1024 * 1024)} MB")
            out.write(chunk)
    with open(path, "rb") as fh:
        seconds = mp4_duration(fh)
    return name, seconds


def store_pdf(upload_root: str, data: bytes) -> str:
    """Keep an uploaded PDF under a random name. Raises DomainError for another type or too large a file."""
    if len(data) > PDF_MAX_BYTES:
        raise DomainError(f"PDF 文件不能超过 {PDF_MAX_BYTES // (1024 * 1024)} MB")
    if not data.startswith(b"%PDF-"):
        raise DomainError("只能上传 PDF 文件")
    return store_private(upload_root, "training", data, "pdf")


def attach_video(lesson: Lesson, name: str, seconds: int | None, *, actor) -> None:
    from app.training.courses import _require_draft
    from app.training.models import CourseVersion
    _require_draft(db.session.get(CourseVersion, lesson.version_id))
    if not seconds:
        raise DomainError("无法读取视频时长，请确认视频文件完整（MP4 的 moov 信息）")
    lesson.video_file, lesson.video_seconds, lesson.video_url = name, seconds, ""
    db.session.flush()
    audit.record("course.lesson_video", "lesson", lesson.id, actor=actor, after={"seconds": seconds})


def attach_pdf(lesson: Lesson, name: str, original: str, *, actor) -> None:
    from app.training.courses import _require_draft
    from app.training.models import CourseVersion
    _require_draft(db.session.get(CourseVersion, lesson.version_id))
    lesson.attachment_file, lesson.attachment_name = name, (original or "课件.pdf")[:200]
    db.session.flush()


# ---- online progress ------------------------------------------------------------------------

def lesson_of_enrolment(enrolment: Enrolment, lesson_id: int) -> Lesson | None:
    """The lesson, when it belongs to the course version of the enrolment's class."""
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None or lesson.version_id != enrolment.training_class.course_version_id:
        return None
    return lesson


def progress_for(enrolment: Enrolment, lesson: Lesson) -> LessonProgress | None:
    return db.session.scalar(sa.select(LessonProgress).where(LessonProgress.enrolment_id == enrolment.id,
                                                             LessonProgress.lesson_id == lesson.id))


def record_heartbeat(enrolment: Enrolment, lesson: Lesson, position: float, *, now=None) -> LessonProgress:
    """Credit what the server saw play since the last heartbeat (see ``progress``), update the lesson's
    hours and the enrolment's completion. Raises DomainError for a lesson that cannot be taken online."""
    if not lesson.is_online or not lesson.has_video or not lesson.video_seconds:
        raise DomainError("本课不能在线学习")
    if enrolment.state == EnrolmentState.WITHDRAWN:
        raise DomainError("已退出本班")
    now = now or utcnow()
    row = progress_for(enrolment, lesson)
    if row is None:
        row = LessonProgress(enrolment_id=enrolment.id, lesson_id=lesson.id, segments=[], watched_seconds=0.0,
                             hours_credited=0.0)
        db.session.add(row)
    since = (now - row.last_beat_at).total_seconds() if row.last_beat_at else None
    beat = progress.heartbeat(row.segments or [], row.last_position, since, position, lesson.video_seconds)
    row.segments, row.watched_seconds = beat.segments, beat.watched_seconds
    row.last_position, row.last_beat_at = min(max(float(position), 0.0), float(lesson.video_seconds)), now
    before = row.hours_credited or 0.0
    row.hours_credited = progress.credited_hours(beat.watched_seconds, lesson.video_seconds, float(lesson.hours))
    db.session.flush()
    if row.hours_credited != before:
        update_completion(enrolment)
    return row
