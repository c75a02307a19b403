"""Loading the base's rooms and the weekly templates from question_bank/ (data, not code)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa
import yaml

from app.catalog.services import item_by_name
from app.core.errors import DomainError
from app.extensions import db
from app.scheduling.models import Room, RoomKind, Seat, Site
from app.scheduling.sessions import WeeklySlot

DATA = Path(__file__).resolve().parents[2] / "question_bank"


def load_site(path: Path = DATA / "site.yaml") -> int:
    """Create the site, rooms and numbered seats that do not exist yet. Returns rooms created."""
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    site = db.session.scalar(sa.select(Site).where(Site.name == doc["site"]["name"]))
    if site is None:
        site = Site(name=doc["site"]["name"], address=doc["site"].get("address", ""))
        db.session.add(site)
        db.session.flush()
    created = 0
    for raw in doc["rooms"]:
        if db.session.scalar(sa.select(Room.id).where(Room.site_id == site.id, Room.name == raw["name"])):
            continue
        room = Room(site_id=site.id, name=raw["name"], kind=RoomKind(raw["kind"]), capacity=int(raw["capacity"]))
        room.items = [_item(n) for n in raw.get("items", [])]
        if room.kind == RoomKind.THEORY:
            room.seats = [Seat(number=n, terminal=f"{raw['name']}-{n:02d}") for n in range(1, room.capacity + 1)]
        db.session.add(room)
        created += 1
    db.session.flush()
    return created


def _item(name: str):
    item = item_by_name(name)
    if item is None:
        raise DomainError(f"考核项目“{name}”不在目录中")
    return item


def load_templates(path: Path = DATA / "schedule_templates.yaml") -> list[WeeklySlot]:
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    out = []
    for raw in doc["slots"]:
        if not 1 <= int(raw["weekday"]) <= 7:
            raise DomainError(f"模板中的星期应为 1–7：{raw}")
        out.append(WeeklySlot(weekday=int(raw["weekday"]), room=raw["room"], kind=raw["kind"],
                              start=dt.time.fromisoformat(raw["start"]), end=dt.time.fromisoformat(raw["end"]),
                              items=tuple(raw["items"])))
    return out
