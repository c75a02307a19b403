"""Courses (versioned, with lessons), classes with meetings and trainers, enrolments, attendance,
online-lesson progress, and practice (answers, the wrong-answer book, mock exams)."""
from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.errors import DomainError
from app.db import Base, created_at, intpk, str20, str50, str100, str200

COURSE_KINDS = ("初训", "复审培训", "年度再培训")
LESSON_MODES = ("理论", "实操")


class VersionStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"

    @property
    def label(self) -> str:
        return {"draft": "草稿", "submitted": "待审核", "approved": "已批准", "published": "已发布",
                "superseded": "已被新版本取代"}[self.value]


VERSION_MOVES = {
    VersionStatus.DRAFT: {VersionStatus.SUBMITTED},
    VersionStatus.SUBMITTED: {VersionStatus.APPROVED, VersionStatus.DRAFT},
    VersionStatus.APPROVED: {VersionStatus.PUBLISHED, VersionStatus.DRAFT},
    VersionStatus.PUBLISHED: {VersionStatus.SUPERSEDED},
    VersionStatus.SUPERSEDED: set(),
}


class Course(Base):
    """课程: one item (operation item or 三项岗位 role) and kind; its content lives in versions."""

    __tablename__ = "courses"

    id: Mapped[intpk]
    key: Mapped[str100] = mapped_column(unique=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("catalog_items.id"), index=True)
    kind: Mapped[str20]
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)  # None: the base
    published_version_id: Mapped[int | None]  # not a foreign key: the tables point at each other
    created_at: Mapped[created_at]

    item = relationship("CatalogItem", lazy="joined")
    owner = relationship("User", lazy="joined")
    versions: Mapped[list[CourseVersion]] = relationship(back_populates="course", order_by="CourseVersion.version_no",
                                                         lazy="select")

    @property
    def published(self) -> CourseVersion | None:
        return next((v for v in self.versions if v.id == self.published_version_id), None)

    @property
    def latest(self) -> CourseVersion | None:
        return self.versions[-1] if self.versions else None


class CourseVersion(Base):
    """One version of a course outline. Only a draft is edited; a change to a published course is a new
    version, and the published one stays as it was for the classes that use it."""

    __tablename__ = "course_versions"
    __table_args__ = (sa.UniqueConstraint("course_id", "version_no"),)

    id: Mapped[intpk]
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"), index=True)
    version_no: Mapped[int]
    status: Mapped[str20] = mapped_column(default=VersionStatus.DRAFT, index=True)
    title: Mapped[str200]
    goals: Mapped[list] = mapped_column(sa.JSON, default=list)
    audience: Mapped[str] = mapped_column(sa.Text, default="")
    assessment: Mapped[str] = mapped_column(sa.Text, default="")
    source: Mapped[str200] = mapped_column(default="")  # the outline file it was loaded from, if any
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[created_at]
    submitted_at: Mapped[dt.datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reviewed_at: Mapped[dt.datetime | None]
    review_note: Mapped[str200] = mapped_column(default="")
    published_at: Mapped[dt.datetime | None]

    course: Mapped[Course] = relationship(back_populates="versions")
    lessons: Mapped[list[Lesson]] = relationship(order_by="Lesson.position", lazy="selectin",
                                                 cascade="all, delete-orphan")

    @property
    def hours(self) -> float:
        return sum(float(lesson.hours) for lesson in self.lessons)

    @property
    def theory_hours(self) -> float:
        return sum(float(lesson.hours) for lesson in self.lessons if lesson.mode == "理论")

    @property
    def practical_hours(self) -> float:
        return sum(float(lesson.hours) for lesson in self.lessons if lesson.mode == "实操")

    @property
    def is_editable(self) -> bool:
        return self.status == VersionStatus.DRAFT

    def move_to(self, status: VersionStatus) -> None:
        """Lifecycle: draft → submitted → approved → published → superseded (review may return it to draft)."""
        current = VersionStatus(self.status)
        if status not in VERSION_MOVES[current]:
            raise DomainError(f"课程版本状态不能从“{current.label}”改为“{status.label}”")
        self.status = status


class Lesson(Base):
    """A lesson of a course version: hours, mode, whether it may be taken online, rich text, a PDF and a video."""

    __tablename__ = "lessons"

    id: Mapped[intpk]
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("course_versions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    title: Mapped[str200]
    hours: Mapped[float]
    mode: Mapped[str20] = mapped_column(default="理论")
    is_online: Mapped[bool] = mapped_column(default=False)
    goals: Mapped[list] = mapped_column(sa.JSON, default=list)
    outline: Mapped[list] = mapped_column(sa.JSON, default=list)
    knowledge_points: Mapped[list] = mapped_column(sa.JSON, default=list)
    body_html: Mapped[str] = mapped_column(sa.Text, default="")  # sanitised on the way in
    attachment_file: Mapped[str | None] = mapped_column(sa.String(64))
    attachment_name: Mapped[str200] = mapped_column(default="")
    video_file: Mapped[str | None] = mapped_column(sa.String(64))
    video_url: Mapped[str] = mapped_column(sa.String(500), default="")
    video_seconds: Mapped[int | None]

    @property
    def has_video(self) -> bool:
        return bool(self.video_file or self.video_url)


class_trainers = sa.Table(
    "class_trainers", Base.metadata,
    sa.Column("class_id", sa.ForeignKey("training_classes.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id"), primary_key=True),
)


class ClassState(StrEnum):
    PLANNED = "planned"
    OPEN = "open"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return {"planned": "筹备中", "open": "开班中", "closed": "已结班"}[self.value]


CLASS_MOVES = {ClassState.PLANNED: {ClassState.OPEN}, ClassState.OPEN: {ClassState.CLOSED}, ClassState.CLOSED: set()}


class TrainingClass(Base):
    """培训班: a published course version run on dates, in a room, by trainers, for a capacity."""

    __tablename__ = "training_classes"

    id: Mapped[intpk]
    name: Mapped[str200]
    course_version_id: Mapped[int] = mapped_column(sa.ForeignKey("course_versions.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("catalog_items.id"), index=True)
    room_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rooms.id"), index=True)
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    capacity: Mapped[int]
    required_hours: Mapped[float]
    has_test: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str20] = mapped_column(default=ClassState.PLANNED, index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[created_at]

    version: Mapped[CourseVersion] = relationship(lazy="joined")
    item = relationship("CatalogItem", lazy="joined")
    room = relationship("Room", lazy="joined")
    trainers = relationship("User", secondary=class_trainers, lazy="selectin", order_by="User.id")
    meetings: Mapped[list[Meeting]] = relationship(order_by="Meeting.starts_at", lazy="selectin",
                                                   cascade="all, delete-orphan", back_populates="training_class")

    def move_to(self, state: ClassState) -> None:
        current = ClassState(self.state)
        if state not in CLASS_MOVES[current]:
            raise DomainError(f"培训班状态不能从“{current.label}”改为“{state.label}”")
        self.state = state


class Meeting(Base):
    """One meeting (课次) of a class: a time window in the class's room, crediting ``hours`` to who attends."""

    __tablename__ = "class_meetings"

    id: Mapped[intpk]
    class_id: Mapped[int] = mapped_column(sa.ForeignKey("training_classes.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[dt.datetime] = mapped_column(index=True)
    ends_at: Mapped[dt.datetime]
    hours: Mapped[float]
    topic: Mapped[str200] = mapped_column(default="")

    training_class: Mapped[TrainingClass] = relationship(back_populates="meetings")


class EnrolmentState(StrEnum):
    ENROLLED = "enrolled"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {"enrolled": "在训", "completed": "已结业", "withdrawn": "已退出"}[self.value]


class Enrolment(Base):
    """A person in a class, with the class test result and, once complete, the training record written."""

    __tablename__ = "enrolments"
    __table_args__ = (sa.UniqueConstraint("class_id", "person_id"),)

    id: Mapped[intpk]
    class_id: Mapped[int] = mapped_column(sa.ForeignKey("training_classes.id"), index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    employer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("employers.id"), index=True)
    state: Mapped[str20] = mapped_column(default=EnrolmentState.ENROLLED, index=True)
    test_score: Mapped[float | None]
    test_passed: Mapped[bool | None]
    completed_at: Mapped[dt.datetime | None]
    training_record_id: Mapped[int | None] = mapped_column(sa.ForeignKey("training_records.id"))
    enrolled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[created_at]

    training_class: Mapped[TrainingClass] = relationship(lazy="joined")
    person = relationship("Person", lazy="joined")


class Attendance(Base):
    """签到: an enrolment present at a meeting, by QR or by the trainer's roster, with the hours credited."""

    __tablename__ = "attendances"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "enrolment_id"),)

    id: Mapped[intpk]
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("class_meetings.id", ondelete="CASCADE"), index=True)
    enrolment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrolments.id"), index=True)
    method: Mapped[str20]  # qr / roster
    hours: Mapped[float]
    signed_at: Mapped[dt.datetime]
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class LessonProgress(Base):
    """What the server has seen of one online lesson: watched segments (seconds of the video), the last
    heartbeat, and the hours credited."""

    __tablename__ = "lesson_progress"
    __table_args__ = (sa.UniqueConstraint("enrolment_id", "lesson_id"),)

    id: Mapped[intpk]
    enrolment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrolments.id"), index=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id"), index=True)
    segments: Mapped[list] = mapped_column(sa.JSON, default=list)  # [[start, end], …] merged, in seconds
    watched_seconds: Mapped[float] = mapped_column(default=0.0)
    last_position: Mapped[float | None]
    last_beat_at: Mapped[dt.datetime | None]
    hours_credited: Mapped[float] = mapped_column(default=0.0)


class PracticeAnswer(Base):
    """One practice answer (by knowledge point, from the wrong-answer book or in a mock exam)."""

    __tablename__ = "practice_answers"

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("catalog_items.id"), index=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id"), index=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("question_versions.id"))
    kp_path: Mapped[str200]
    mode: Mapped[str20]  # kp / wrong / mock
    response: Mapped[str] = mapped_column(sa.String(10), default="")
    is_correct: Mapped[bool]
    answered_at: Mapped[created_at]


class WrongBookEntry(Base):
    """错题本: a missed practice question, asked again until answered right twice in a row."""

    __tablename__ = "wrong_book_entries"
    __table_args__ = (sa.UniqueConstraint("person_id", "question_id"),)

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("catalog_items.id"), index=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id"))
    right_streak: Mapped[int] = mapped_column(default=0)
    times_wrong: Mapped[int] = mapped_column(default=1)
    is_cleared: Mapped[bool] = mapped_column(default=False, index=True)
    last_wrong_at: Mapped[dt.datetime]


class MockExam(Base):
    """模拟考试: a practice-pool paper drawn by the item's blueprint composition (scaled to the pool), timed."""

    __tablename__ = "mock_exams"

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("catalog_items.id"), index=True)
    blueprint_id: Mapped[int | None] = mapped_column(sa.ForeignKey("blueprints.id"))
    note: Mapped[str] = mapped_column(sa.Text, default="")  # how the blueprint was scaled, if it was
    questions: Mapped[list] = mapped_column(sa.JSON)  # [{"version_id", "points", "order": [...]}]
    answers: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # version id (str) → response
    pass_mark: Mapped[int] = mapped_column(default=80)
    started_at: Mapped[dt.datetime]
    deadline_at: Mapped[dt.datetime]
    submitted_at: Mapped[dt.datetime | None]
    score: Mapped[float | None]

    item = relationship("CatalogItem", lazy="joined")

    @property
    def is_open(self) -> bool:
        return self.submitted_at is None


__all__ = ["Course", "CourseVersion", "Lesson", "TrainingClass", "Meeting", "Enrolment", "Attendance",
           "LessonProgress", "PracticeAnswer", "WrongBookEntry", "MockExam", "VersionStatus", "ClassState",
           "EnrolmentState", "COURSE_KINDS", "LESSON_MODES", "class_trainers", "str50"]
