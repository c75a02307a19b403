"""Pure rules of the public portal: hazard tags, content types, rich-text sanitising, reading time.

No Flask, no database: tested on their own.
"""
from __future__ import annotations

import math
import re
from enum import StrEnum

import nh3

# The hazard tags, in menu order, with the slug used in URLs.
HAZARDS: dict[str, str] = {
    "地震": "dizhen",
    "防汛": "fangxun",
    "森林防火": "senlin-fanghuo",
    "消防": "xiaofang",
    "危化品": "weihuapin",
    "用电": "yongdian",
    "交通": "jiaotong",
    "燃气": "ranqi",
    "地质灾害": "dizhi-zaihai",
    "急救": "jijiu",
}
HAZARD_BY_SLUG = {slug: name for name, slug in HAZARDS.items()}


class ContentType(StrEnum):
    ARTICLE = "article"
    VIDEO = "video"
    BROADCAST = "broadcast"
    POSTER = "poster"
    HANDBOOK = "handbook"
    STORY = "story"

    @property
    def label(self) -> str:
        return TYPE_LABELS[self]


TYPE_LABELS = {
    ContentType.ARTICLE: "文章",
    ContentType.VIDEO: "短视频",
    ContentType.BROADCAST: "广播稿",
    ContentType.POSTER: "海报 / 折页",
    ContentType.HANDBOOK: "应急手册",
    ContentType.STORY: "典型故事",
}
PRINTABLE_TYPES = {ContentType.POSTER, ContentType.HANDBOOK, ContentType.ARTICLE, ContentType.BROADCAST}

# Rich text: a small allow-list. Images may only point at the portal's own media (uploads re-encoded
# by the server), links only at http(s), mail and phone numbers.
ALLOWED_TAGS = {"p", "h2", "h3", "ul", "ol", "li", "strong", "em", "table", "thead", "tbody", "tr", "th", "td",
                "blockquote", "br", "a", "img"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"},
                      "th": {"scope", "colspan", "rowspan"}, "td": {"colspan", "rowspan"}}
MEDIA_PREFIX = "/culture/media/"
_IMG_WITHOUT_SRC = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")
_DANGEROUS_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math"}


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if tag == "img" and attr == "src" and not value.startswith(MEDIA_PREFIX):
        return None
    if attr in ("width", "height", "colspan", "rowspan") and not value.isdigit():
        return None
    return value


def sanitise_html(html: str) -> str:
    """The rich text with only the allow-listed tags and attributes; scripts, styles, event handlers,
    javascript: links and foreign images removed (their content too, for script/style)."""
    clean = nh3.clean(html or "", tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                      clean_content_tags=_DANGEROUS_CONTENT, attribute_filter=_attribute_filter,
                      url_schemes={"http", "https", "mailto", "tel"}, link_rel="noopener noreferrer")
    return _IMG_WITHOUT_SRC.sub("", clean).strip()  # a foreign image lost its src: drop the empty tag


_TAG = re.compile(r"<[^>]+>")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
_SPACE = re.compile(r"\s+")


def plain_text(html: str) -> str:
    """The text of a fragment: block ends become line breaks, tags are dropped, entities decoded."""
    import html as html_lib

    text = re.sub(r"</(p|h2|h3|li|tr|blockquote)>|<br\s*/?>", "\n", html or "", flags=re.I)
    text = html_lib.unescape(_TAG.sub("", text))
    lines = [_SPACE.sub(" ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def spoken_characters(html: str) -> int:
    """Characters a reader speaks: every character of the text except whitespace. Punctuation counts,
    as the pause it asks for takes about as long as a character."""
    return len(_SPACE.sub("", plain_text(html)))


def reading_seconds(html: str, chars_per_minute: int) -> int:
    """Seconds to read the script aloud at ``chars_per_minute`` (rounded up to a whole second)."""
    if chars_per_minute <= 0:
        raise ValueError("chars_per_minute must be positive")
    chars = spoken_characters(html)
    return math.ceil(chars * 60 / chars_per_minute) if chars else 0


def format_duration(seconds: int) -> str:
    """"2 分 05 秒" / "45 秒"."""
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} 分 {rest:02d} 秒" if minutes else f"{rest} 秒"


_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def is_slug(value: str) -> bool:
    """Lower-case letters, digits and single hyphens (the keys of items and events)."""
    return bool(value) and len(value) <= 80 and bool(_SLUG.match(value))
