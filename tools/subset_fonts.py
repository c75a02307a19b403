#!/usr/bin/env python3
"""Build the bundled Chinese web/PDF fonts in app/static/fonts/ from Debian's Noto Sans CJK.

Source
    Debian package ``fonts-noto-cjk`` (``apt-get install fonts-noto-cjk``):
    /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc and NotoSansCJK-Bold.ttc
    (Noto Sans CJK 2.004 by Adobe and Google).  The face whose name table says
    family "Noto Sans CJK SC" (Simplified Chinese glyph forms) is taken out of each
    collection; its index is looked up by name, not hard-coded.

Licence
    SIL Open Font License 1.1.  Copyright 2014-2021 Adobe (http://www.adobe.com/),
    with Reserved Font Name 'Source'.  The subsets are Modified Versions under the
    OFL; they are renamed "Noto Sans SC" / "Noto Sans SC Fallback" (no Reserved
    Font Name is used), keep the original copyright/licence name-table strings
    (name IDs 0, 7-14) and are shipped with app/static/fonts/OFL.txt.

What is kept
    Primary subset -> NotoSansSC-Regular.otf / NotoSansSC-Bold.otf (+ .woff2):
      * every character of GB2312 (all 6,763 hanzi and its 682 symbols), found by
        decoding every valid GB2312 byte pair;
      * the non-ideographic symbols of GBK (vertical forms, box drawing, ㎡ ㎏ ...);
      * ASCII, Latin-1, General Punctuation, CJK Symbols and Punctuation,
        Halfwidth and Fullwidth Forms, Number Forms (Ⅰ ⅰ), ①-⑳ ⑴-⒇ ⒈-⒛,
        super/subscripts, ×÷±≤≥℃‰№Ω·—… and a few check marks;
      * superscript ⁰ ⁵-⁹ ⁺⁻⁼⁽⁾ and subscript ₀-₉ ₊₋₌₍₎, which the source face
        lacks, synthesised from its own digits (see add_scripts), for CO₂ / m³;
      * NAME_CHARS: 313 hanzi common in personal names, 149 of them outside
        GB2312 (堃 喆 玥 赟 彧 昇 ... see below).
    Fallback subset -> NotoSansSC-Fallback.otf (Regular only):
      * every CJK Unified Ideograph (URO, Extension A and the twelve unified
        ideographs of the compatibility block) reachable by decoding a two-byte
        GBK or GB18030 sequence, that is not already in the primary subset;
      * the characters of the 2013 《通用规范汉字表》 (the list that names are
        registered with) that lie outside GBK (Ext A-F, U+9FCD-9FCF), so that a
        rare name still renders.  Listed in TONGYONG_OUTSIDE_GBK below;
      * white space (U+0020, U+00A0, U+3000, U+2000-200A ...), see FALLBACK_SPACES.
    Characters the source face has no glyph for are silently left out.

    Dropped: hinting (CFF hints), vertical-writing data (vhea/vmtx/VORG and the
    vert/vrt2/vkrn/vpal/vhal/valt features), locl and other language-specific or
    rarely used features (the SC face already maps to SC forms).  Kept: kerning
    and the CJK spacing features (kern, palt, halt), ccmp/liga/calt/mark, the
    BASE table and the full name table.  Outlines stay CFF (.otf): WeasyPrint
    embeds CFF directly and CFF is smaller than a TrueType conversion (the
    Regular primary converted to quadratic TrueType is 2.1 MB instead of 1.6 MB).
    The .woff2 files hold the same CFF outlines with subroutines inlined, which
    brotli compresses about 5% better.

Reproducibility
    The output depends only on the installed .ttc files and the fontTools/brotli
    versions; head.modified is copied from the source, so re-running on the same
    inputs gives byte-identical files.

Usage (needs ``pip install fonttools brotli``)
    python tools/subset_fonts.py               # rebuild the five fonts and OFL.txt
    python tools/subset_fonts.py check [PATH ...]
        report characters of the given files/dirs (default: question_bank/)
        and of the name list that neither the primary nor the fallback covers.
    From Python: ``missing_glyphs(text) -> set[str]`` does the same for a string.
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "app" / "static" / "fonts"
SRC_DIR = Path("/usr/share/fonts/opentype/noto")
SRC = {"Regular": SRC_DIR / "NotoSansCJK-Regular.ttc", "Bold": SRC_DIR / "NotoSansCJK-Bold.ttc"}
SRC_FAMILY = "Noto Sans CJK SC"
DEBIAN_COPYRIGHT = Path("/usr/share/doc/fonts-noto-cjk/copyright")

PRIMARY = {w: OUT_DIR / f"NotoSansSC-{w}.otf" for w in ("Regular", "Bold")}
FALLBACK = OUT_DIR / "NotoSansSC-Fallback.otf"
FALLBACK_MAX_BYTES = 8 * 1024 * 1024

# Hanzi used in personal names outside GB2312 (some are inside; duplicates are harmless).
# First the list from the project brief, then common given-name characters chosen
# from level 2 of the 通用规范汉字表 (jade/sun/fire/metal/female/water/grass radicals ...).
NAME_CHARS = (
    "堃喆玥赟彧昇珺琇玮瑄璟旸昱晟暐炜烨煜珩琰瑾璠祎禛筠芃蔚铖钰镕阳颢"
    "婕婳娴嫣妤姮嬿燚淼焱鑫垚犇骉羴昶昀晞曦玹琬珏瑛璐蕊馨"
    # 王/玉
    "玙玚玠玭玡玢玦珈珉珂珑珣珞珥珙琤珲琏琦琨琪琮琛琚琫瑗瑜瑭瑶璀璇璋璎璁"
    "璘璞璨璩璪瓒瓘珵琎琀琲琡琭瑀瑃瑅瑆瑧瑨瑱瑷瑢璆璥璲璒璱璬珅玶珹珽珦珫"
    "珒珖珛琊珸珷琟琔瑳璈"
    # 日
    "昉旻昕昊昙杲昴晔晖晗晁晏晢晙晫暄暕曌曈曜昺昽昳昤昫昡昪晅晊暅暲暶暵曛旰旴昄"
    # 火
    "炅炘烜焜煊熠燊炆炟烺焌焞煦熹燏煐烔烶烻焘"
    # 钅
    "铉铄锃锴钊钧铮锟锦镛钜铭锐"
    # 女
    "婧媛婷嫚婠媖媞娈姝姣娅姞婍嫄媱嫕娉娟婵嫱"
    # 氵
    "淏淯湉渼溦滢漪澍濛灏湜沄沨浛涴泓溱濂溍滉漹潆澂潾"
    # 艹
    "芊芮苒茜荪莘菁萱蓁蘅蕤蕙葳蓓芸芷苡茗荟莛菡萩蒨"
    # 其他
    "彤劼勍奭懿睿熙歆靓觐甯翀翊翯翙祯祺禧筱箐颀颉颙颋骞骅骐骏垲埕堉鋆"
    "仝晋泷骧彪昊喻粲璿"
)

# 《通用规范汉字表》(2013) characters that no GBK/GB18030 two-byte sequence reaches,
# as code points (8105-character table, levels 2 and 3).  Goes into the fallback.
TONGYONG_OUTSIDE_GBK = [
    0x39D0, 0x39DF, 0x43DD, 0x2C27C, 0x3918, 0x20CD0, 0x497D, 0x4056, 0x25ED7,
    0x4983, 0x3E06, 0x20676, 0x2C8D9, 0x28678, 0x2C1D5, 0x4723, 0x2C8DE, 0x2C613,
    0x2BB5F, 0x2BB62, 0x39D1, 0x2B1ED, 0x2B404, 0x356E, 0x2BD77, 0x3447, 0x23C98,
    0x23C97, 0x2C1D9, 0x3CC7, 0x2C8E1, 0x2BE29, 0x48BA, 0x28695, 0x2B61C, 0x2C618,
    0x2B61D, 0x48BC, 0x26B5C, 0x3B4E, 0x2CA02, 0x2C029, 0x2C02A, 0x37C3, 0x2CB29,
    0x344A, 0x2B363, 0x2C8F3, 0x2CA7D, 0x2CBBF, 0x2CBC0, 0x2BC1B, 0x2CCF5, 0x2CCF6,
    0x4339, 0x2B80A, 0x36C3, 0x2C35B, 0x9FCD, 0x2C72C, 0x26C21, 0x3B55, 0x4D13,
    0x4DAE, 0x2AFA2, 0x2AA30, 0x2B4E7, 0x2CB2E, 0x2CB31, 0x2CB2D, 0x43E1, 0x26676,
    0x3DB2, 0x3CDA, 0x3CD8, 0x2C621, 0x2CCFD, 0x2C629, 0x2B127, 0x2A7DD, 0x2C364,
    0x2BB7C, 0x2C72F, 0x44D6, 0x2C0A9, 0x2B806, 0x28408, 0x2C317, 0x2B461, 0x2AA36,
    0x2CB38, 0x2CB3B, 0x2CB39, 0x2CB3F, 0x2CB41, 0x2B8B8, 0x2B5E7, 0x2C288, 0x2C488,
    0x28E99, 0x36DA, 0x2CCFF, 0x2B128, 0x2C62B, 0x40AE, 0x2BB83, 0x364D, 0x44EB,
    0x44EC, 0x44E8, 0x44DB, 0x9FCE, 0x4D15, 0x3AF0, 0x2CC56, 0x2C7FD, 0x4383,
    0x2B4EF, 0x2B7F9, 0x2B7FC, 0x3FE0, 0x4759, 0x43F2, 0x20164, 0x4D14, 0x2C1F9,
    0x2C361, 0x3944, 0x2C907, 0x2B36F, 0x2C90A, 0x2B372, 0x2CBCE, 0x2C62C, 0x2C62D,
    0x2CD02, 0x2B626, 0x2B7C5, 0x2C62F, 0x2B627, 0x3658, 0x2A8FB, 0x2139A, 0x2C0CA,
    0x2CDD5, 0x2B410, 0x2CE7C, 0x27FF9, 0x2BD87, 0x2B5AE, 0x9FCF, 0x2CB4A, 0x28C47,
    0x2B4F6, 0x2CB4E, 0x2B5AF, 0x4403, 0x2CC5F, 0x2B6ED, 0x3E84, 0x2BDF7, 0x2CBB1,
    0x2C2A4, 0x23E23, 0x3D14, 0x36F9, 0x2CD03, 0x2B628, 0x4D16, 0x249DB, 0x2CAA9,
    0x2C494, 0x40C5, 0x2CA0E, 0x2B413, 0x48D8, 0x2BAC7, 0x3B0A, 0x2B4F9, 0x2CB5A,
    0x2CB5B, 0x415F, 0x2C542, 0x4C9F, 0x2CD8B, 0x2CD8D, 0x2677C, 0x2B536, 0x2B300,
    0x2B5B3, 0x2B62A, 0x2B62C, 0x2B7A9, 0x21413, 0x2A917, 0x235CB, 0x2CE18, 0x40CE,
    0x2C497, 0x25532, 0x2B696, 0x4D17, 0x3B0E, 0x28C4F, 0x2CB64, 0x3666, 0x2B695,
    0x2CD90, 0x2CD8F, 0x29F7E, 0x2CE1A, 0x3F4F, 0x3BBE, 0x2C91D, 0x2C642, 0x3EEC,
    0x45D6, 0x3807, 0x2CB69, 0x4D18, 0x29F83, 0x3D50, 0x2CE23, 0x2B37D, 0x2CD0A,
    0x2C79F, 0x25562, 0x2B7E6, 0x2CE88, 0x2B81C, 0x3B1A, 0x45DB, 0x3813, 0x2AA58,
    0x2CB6C, 0x28C51, 0x2CB6F, 0x2B5F4, 0x2CE26, 0x2B137, 0x24A7D, 0x360E, 0x2CB73,
    0x2CB76, 0x2B50D, 0x2CB78, 0x28C54, 0x2CB7C, 0x2B50E, 0x2CE2A, 0x4CA0, 0x2CD9F,
    0x2CDA0, 0x45EA, 0x2CDA8, 0x26221, 0x2B138, 0x2C7C1, 0x255A8, 0x45F4, 0x4CA2,
    0x2648D, 0x4396, 0x4D19, 0x2C64A, 0x3C00, 0x2CDAD, 0x29F8C, 0x287E0, 0x2CDAE,
    0x28B49, 0x3E0C, 0x2C64B, 0x24AC9, 0x2CE93, 0x2B6AD,
]

# The twelve characters of the CJK Compatibility Ideographs block that are unified
# ideographs (Unified_Ideograph=Yes), several of which GBK encodes (﨎 﨏 﨑 ...).
COMPAT_BLOCK_UNIFIED = {0xFA0E, 0xFA0F, 0xFA11, 0xFA13, 0xFA14, 0xFA1F,
                        0xFA21, 0xFA23, 0xFA24, 0xFA27, 0xFA28, 0xFA29}

EXTRA_SYMBOLS = "×÷±≤≥℃‰№Ω\u2126·—…✓✔✗✘☐☑☒"

# OpenType features kept (everything else, including vertical and locl, is dropped).
LAYOUT_FEATURES = ["kern", "palt", "halt", "ccmp", "liga", "calt", "clig",
                   "rlig", "rvrn", "mark", "mkmk"]
DROP_TABLES = ["vhea", "vmtx", "VORG"]


# ----------------------------------------------------------------------------
# Character sets
# ----------------------------------------------------------------------------

def decode_pairs(encoding: str, lead: range, trail) -> set[str]:
    """Every single character obtained by decoding a valid two-byte sequence."""
    out = set()
    for a in lead:
        for b in trail:
            try:
                s = bytes((a, b)).decode(encoding)
            except UnicodeDecodeError:
                continue
            if len(s) == 1:
                out.add(s)
    return out


def gb2312_chars() -> set[str]:
    return decode_pairs("gb2312", range(0xA1, 0xFF), range(0xA1, 0xFF))


def gbk_two_byte_chars() -> set[str]:
    trail = [b for b in range(0x40, 0xFF) if b != 0x7F]
    return (decode_pairs("gbk", range(0x81, 0xFF), trail)
            | decode_pairs("gb18030", range(0x81, 0xFF), trail))


def is_unified_ideograph(ch: str) -> bool:
    cp = ord(ch)
    return (unicodedata.name(ch, "").startswith("CJK UNIFIED IDEOGRAPH")
            or cp in COMPAT_BLOCK_UNIFIED)


def _ranges(*spans: tuple[int, int]) -> set[str]:
    return {chr(c) for lo, hi in spans for c in range(lo, hi + 1)}


def primary_chars() -> set[str]:
    chars = gb2312_chars()
    # GBK's extra symbols (not ideographs, not private use)
    chars |= {c for c in gbk_two_byte_chars()
              if not is_unified_ideograph(c)
              and unicodedata.category(c) != "Co"
              and not unicodedata.name(c, "").startswith("CJK COMPATIBILITY IDEOGRAPH")
              and not 0x2E80 <= ord(c) <= 0x2FFF}          # radicals / IDCs
    chars |= _ranges(
        (0x20, 0x7E),        # ASCII
        (0xA0, 0xFF),        # Latin-1
        (0x2000, 0x206F),    # General Punctuation
        (0x2070, 0x209F),    # Superscripts and Subscripts
        (0x2150, 0x218F),    # Number Forms (Ⅰ Ⅻ ⅰ ...)
        (0x2460, 0x249B),    # ①-⑳ ⑴-⒇ ⒈-⒛
        (0x3000, 0x303F),    # CJK Symbols and Punctuation
        (0xFF00, 0xFFEF),    # Halfwidth and Fullwidth Forms
    )
    chars |= set(EXTRA_SYMBOLS)
    chars |= set(NAME_CHARS)
    return chars


# White space is also put in the fallback face: Pango (WeasyPrint) shapes a space
# with the font of the character before it, so without these a space after a
# fallback-only hanzi would print as a .notdef box.
FALLBACK_SPACES = {chr(c) for c in (0x20, 0xA0, 0x3000, *range(0x2000, 0x200B), 0x202F, 0x205F)}


def fallback_chars(primary: set[str]) -> set[str]:
    chars = {c for c in gbk_two_byte_chars() if is_unified_ideograph(c)}
    chars |= {chr(c) for c in TONGYONG_OUTSIDE_GBK}
    return (chars - primary) | FALLBACK_SPACES


# ----------------------------------------------------------------------------
# Font building
# ----------------------------------------------------------------------------

def load_sc_face(path: Path):
    from fontTools.ttLib import TTCollection, TTFont

    coll = TTCollection(str(path), lazy=True)
    for i, face in enumerate(coll.fonts):  # noqa: B007 - i is used after the loop
        if face["name"].getDebugName(1) == SRC_FAMILY:
            break
    else:
        raise SystemExit(f"{path}: no face named {SRC_FAMILY!r}")
    return TTFont(str(path), fontNumber=i, recalcTimestamp=False, lazy=False)


def rename(font, family: str, style: str, ps_name: str) -> None:
    """Give the subset its own name; keep copyright/licence/vendor strings."""
    name = font["name"]
    src_unique = name.getDebugName(3) or ""
    version = name.getDebugName(5) or ""
    full = family if style == "Regular" else f"{family} {style}"
    for rec in list(name.names):
        if rec.nameID in (1, 4, 3, 6, 5, 16, 17):
            name.removeNames(nameID=rec.nameID)
    name.setName(family, 1, 3, 1, 0x409)
    name.setName(style, 2, 3, 1, 0x409)
    name.setName(f"{src_unique};subset {ps_name}", 3, 3, 1, 0x409)
    name.setName(full, 4, 3, 1, 0x409)
    name.setName(f"{version}; subset by tools/subset_fonts.py", 5, 3, 1, 0x409)
    name.setName(ps_name, 6, 3, 1, 0x409)
    # Chinese (PRC) family/style/full-name records, as the source has them
    for nid, val in ((1, family), (2, style), (4, full)):
        name.removeNames(nameID=nid, platformID=3, langID=0x804)
        name.setName(val, nid, 3, 1, 0x804)
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [ps_name]
        top = cff.topDictIndex[0]
        top.FullName = full
        top.FamilyName = family
        if hasattr(top, "CIDFontName"):
            top.CIDFontName = ps_name


def subset_font(font, chars: set[str]):
    from fontTools import subset

    opts = subset.Options()
    opts.hinting = False
    opts.desubroutinize = False
    opts.layout_features = LAYOUT_FEATURES
    opts.drop_tables = list(opts.drop_tables) + DROP_TABLES
    opts.name_IDs = ["*"]
    opts.name_languages = ["*"]
    opts.name_legacy = True
    opts.notdef_outline = True
    opts.glyph_names = False
    opts.prune_unicode_ranges = True
    opts.prune_codepage_ranges = True
    cmap = font.getBestCmap()
    unicodes = sorted(ord(c) for c in chars if ord(c) in cmap)
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=unicodes)
    sub.subset(font)
    return len(unicodes), len(chars) - len(unicodes)


# Superscript/subscript characters the source face lacks (it has only ¹ ² ³ ⁴).
# Synthesised from the face's own digits/signs, scaled like its ² glyph, so that
# CO₂, H₂O, m³, 10⁵ Pa in the question bank print in one font.
SYNTH_SUPER = dict(zip("⁰⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾", "056789+-=()"))
SYNTH_SUB = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎", "0123456789+-=()"))
SUB_BASELINE = -0.12      # em; where the baseline of a subscript sits


def add_scripts(font) -> int:
    """Add SYNTH_SUPER / SYNTH_SUB glyphs to a CID-keyed CFF subset. Returns count."""
    from fontTools.pens.boundsPen import BoundsPen
    from fontTools.pens.t2CharStringPen import T2CharStringPen
    from fontTools.pens.transformPen import TransformPen

    cmap = font.getBestCmap()
    gs = font.getGlyphSet()
    hmtx = font["hmtx"]
    upem = font["head"].unitsPerEm
    cff = font["CFF "].cff
    top = cff.topDictIndex[0]
    cs = top.CharStrings

    def bounds(name):
        bp = BoundsPen(gs)
        gs[name].draw(bp)
        return bp.bounds

    # scale and raise of the designed superscript two relative to the digit two
    b2, bsup = bounds(cmap[ord("2")]), bounds(cmap[ord("²")])
    scale = (bsup[3] - bsup[1]) / (b2[3] - b2[1])
    sup_dy = bsup[1] - scale * b2[1]
    sub_dy = SUB_BASELINE * upem
    adv_digit = hmtx[cmap[ord("²")]][0]

    used = {int(n[3:]) for n in font.getGlyphOrder() if n.startswith("cid")}
    free_cids = (c for c in range(65534, 0, -1) if c not in used)
    order = list(font.getGlyphOrder())
    added = 0
    for table, dy in ((SYNTH_SUPER, sup_dy), (SYNTH_SUB, sub_dy)):
        for target, base in table.items():
            if ord(target) in cmap or ord(base) not in cmap:
                continue
            src = cmap[ord(base)]
            sb = bounds(src)
            adv = adv_digit if base.isdigit() else round(hmtx[src][0] * scale)
            dx = (adv - scale * (sb[2] - sb[0])) / 2 - scale * sb[0]   # centre it
            _, fd = cs.getItemAndSelector(src)
            private = top.FDArray[fd].Private
            nominal = getattr(private, "nominalWidthX", 0)
            pen = T2CharStringPen(adv - nominal, None)
            gs[src].draw(TransformPen(pen, (scale, 0, 0, scale, dx, dy)))
            charstring = pen.getCharString(private=private, globalSubrs=cff.GlobalSubrs)
            name = f"cid{next(free_cids):05d}"
            cs.charStringsIndex.append(charstring)
            cs.charStrings[name] = len(cs.charStringsIndex) - 1
            top.charset.append(name)
            top.FDSelect.append(fd)
            order.append(name)
            bp = BoundsPen(None)
            gs[src].draw(TransformPen(bp, (scale, 0, 0, scale, dx, dy)))
            hmtx[name] = (adv, round(bp.bounds[0]))
            for sub in font["cmap"].tables:
                if sub.isUnicode():
                    sub.cmap[ord(target)] = name
            added += 1
    font.setGlyphOrder(order)
    font["maxp"].numGlyphs = len(order)
    return added


def save(font, path: Path, flavor: str | None = None) -> None:
    font.flavor = flavor
    path.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(path), reorderTables=True)
    print(f"  wrote {path.relative_to(ROOT)}  {path.stat().st_size / 1024:,.0f} KiB")


OFL_HEADER = """\
Copyright 2014-2021 Adobe (http://www.adobe.com/), with Reserved Font Name 'Source'.
Noto is a trademark of Google Inc.

This Font Software is licensed under the SIL Open Font License, Version 1.1.
This license is copied below, and is also available with a FAQ at:
https://openfontlicense.org


"""


def write_ofl() -> None:
    """OFL.txt: upstream copyright line + the OFL 1.1 text from Debian's copyright file."""
    lines = DEBIAN_COPYRIGHT.read_text(encoding="utf-8").splitlines()
    start = next(i for i, l in enumerate(lines)
                 if l.strip().startswith("SIL OPEN FONT LICENSE Version 1.1")) - 1
    body = []
    for line in lines[start:]:
        if line and not line.startswith(" "):      # next DEP-5 paragraph
            break
        line = line[1:] if line.startswith(" ") else line
        body.append("" if line == "." else line)
    while body and not body[-1].strip():
        body.pop()
    path = OUT_DIR / "OFL.txt"
    path.write_text(OFL_HEADER + "\n".join(body) + "\n", encoding="utf-8")
    print(f"  wrote {path.relative_to(ROOT)}")


def build() -> None:
    write_ofl()
    primary = primary_chars()
    print(f"primary character set: {len(primary)} characters")
    for weight in ("Regular", "Bold"):
        font = load_sc_face(SRC[weight])
        kept, absent = subset_font(font, primary)
        synth = add_scripts(font)
        rename(font, "Noto Sans SC", weight, f"NotoSansSC-{weight}")
        print(f"{weight}: {kept} characters kept ({absent} not in the source face), "
              f"{synth} super/subscripts synthesised")
        save(font, PRIMARY[weight])
        # WOFF2: same glyphs, CFF subroutines inlined (brotli then packs ~5% better)
        font["CFF "].cff.desubroutinize()
        save(font, PRIMARY[weight].with_suffix(".woff2"), flavor="woff2")

    fb = fallback_chars(primary)
    font = load_sc_face(SRC["Regular"])
    kept, absent = subset_font(font, fb)
    rename(font, "Noto Sans SC Fallback", "Regular", "NotoSansSCFallback-Regular")
    print(f"Fallback: {kept} characters kept ({absent} not in the source face)")
    save(font, FALLBACK)
    if FALLBACK.stat().st_size > FALLBACK_MAX_BYTES:
        print("  fallback over 8 MiB: restricting to U+4E00-U+9FFF ∩ GBK")
        fb = {c for c in fb if 0x4E00 <= ord(c) <= 0x9FFF} | FALLBACK_SPACES
        font = load_sc_face(SRC["Regular"])
        subset_font(font, fb)
        rename(font, "Noto Sans SC Fallback", "Regular", "NotoSansSCFallback-Regular")
        save(font, FALLBACK)


# ----------------------------------------------------------------------------
# Coverage check
# ----------------------------------------------------------------------------

_COVERED: set[int] | None = None


def covered_codepoints() -> set[int]:
    """Code points mapped by the bundled primary (Regular) and fallback fonts."""
    global _COVERED
    if _COVERED is None:
        from fontTools.ttLib import TTFont

        cps: set[int] = set()
        for path in (PRIMARY["Regular"], FALLBACK):
            cps |= set(TTFont(str(path), lazy=True).getBestCmap())
        _COVERED = cps
    return _COVERED


def missing_glyphs(text: str) -> set[str]:
    """Characters of *text* that neither the primary nor the fallback font covers.

    Control and format characters (newlines, tabs, BOM, zero-width joiners ...)
    are never drawn and are ignored.
    """
    cps = covered_codepoints()
    return {ch for ch in set(text)
            if ord(ch) not in cps
            and unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp")}


def _iter_text_files(paths):
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file():
                    yield f
        elif p.is_file():
            yield p


def check(paths) -> int:
    names = NAME_CHARS
    miss = missing_glyphs(names)
    print(f"name list ({len(set(names))} characters): "
          f"{'all covered' if not miss else 'MISSING ' + ''.join(sorted(miss))}")
    total_missing: dict[str, list[str]] = {}
    nfiles = nchars = 0
    for f in _iter_text_files(paths):
        try:
            text = f.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        nfiles += 1
        nchars += len(text)
        for ch in missing_glyphs(text):
            total_missing.setdefault(ch, []).append(str(f.relative_to(ROOT) if f.is_relative_to(ROOT) else f))
    print(f"scanned {nfiles} text files, {nchars:,} characters")
    if not total_missing:
        print("no missing characters")
    for ch, files in sorted(total_missing.items()):
        print(f"  MISSING U+{ord(ch):04X} {ch!r} {unicodedata.name(ch, '?')} in {len(files)} file(s), "
              f"e.g. {files[0]}")
    return 1 if (miss or total_missing) else 0


def main(argv: list[str]) -> int:
    if argv and argv[0] == "check":
        return check(argv[1:] or [ROOT / "question_bank"])
    build()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
