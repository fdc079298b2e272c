"""Chinese PDFs as typesetting systems write them, for the text-extraction tests.

Each case is a PDF whose text sits in a CJK font that a reader must decode in its own way
(ISO 32000-1 §9.7.5, §9.10.2): predefined GB CMaps without ToUnicode, Identity-H over Adobe-GB1
CIDs, a ToUnicode that must win over the font's CMap, vertical CMaps, the UTF-16 CMap as
reportlab writes it, a UTF-8 byte-order mark before the header, and a font no method can read.

    python3 cjk_pdfs.py OUT_DIR
    python3 cjk_pdfs.py --corpus OUT_DIR COUNT CANDIDATES_JSONL   (the agreement benchmark's corpus)

writes OUT_DIR/<case>.pdf and OUT_DIR/<case>.txt (the text a reader must get; empty for the
unreadable case). CIDs for Identity-H come from poppler-data's UniGB-UCS2-H CMap (Adobe's), so
this script needs /usr/share/poppler/cMap; pdftotext is the independent reader in the test.
"""

import pathlib
import re
import sys

CMAP_DIR = pathlib.Path("/usr/share/poppler/cMap/Adobe-GB1")

GB2312_TEXT = "浙江省杭州市中级人民法院民事判决书：原告张某诉被告李某民间借贷纠纷一案。"
GBK_TEXT = "上诉人王镕（男）与被上诉人某公司买卖合同纠纷，本院依法组成合议庭。"
GB18030_TEXT = "当事人姓名含扩展字㐀与㑇，判决如下：驳回上诉，维持原判。"


def pdf(font: bytes, shown: list[bytes], bom: bool = False, extra: list[bytes] = (),
        form: bool = False, page_text: bytes = b"", inherit: bool = False) -> bytes:
    """A one-page PDF whose text is `shown` (PDF string tokens) in font object 4; with `form`,
    drawn through a Form XObject (object 6) as pdfpages does; `page_text` is shown after it in
    Helvetica (object 9), as a page number would be."""
    lines = b"\n".join(b"BT /F1 14 Tf 72 %d Td %s Tj ET" % (720 - 24 * i, s)
                       for i, s in enumerate(shown))
    fonts = b"/F1 4 0 R /F2 9 0 R"
    page = lines
    if form:
        # With `inherit`, the form has no resources and sets no font: it draws in the page's
        # resources with the font current when it is drawn (§7.8.3, §8.10.1).
        resources = b"" if inherit else b"/Resources << /Font << /F1 4 0 R >> >> "
        if inherit:
            lines = lines.replace(b"/F1 14 Tf ", b"")
        page = (b"/F1 14 Tf " if inherit else b"") + b"q 1 0 0 1 0 0 cm /Fm1 Do Q"
        extra = [b"<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] "
                 b"%s/Length %d >>\nstream\n%s\nendstream"
                 % (resources, len(lines), lines), *extra]
    if page_text:
        page += b"\nBT /F2 10 Tf 290 40 Td (%s) Tj ET" % page_text
    xobjects = b"/XObject << /Fm1 6 0 R >>" if form else b""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << %s >> %s >> /Contents 5 0 R >>" % (fonts, xobjects),
        font,
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(page), page),
        *extra,
    ]
    while len(objects) < 8:
        objects.append(b"null")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return (b"\xef\xbb\xbf" if bom else b"") + bytes(out)


def type0(cmap: str, ordering: str = "GB1", to_unicode: str = "", typed: bool = True) -> bytes:
    descendant = (b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
                  b"/CIDSystemInfo << /Registry (Adobe) /Ordering (%s) /Supplement 4 >> "
                  b"/DW 1000 >>" % ordering.encode())
    return (b"<< %s/Subtype /Type0 /BaseFont /STSong-Light /Encoding /%s "
            b"/DescendantFonts [%s] %s>>" % (b"/Type /Font " if typed else b"", cmap.encode(),
                                             descendant, to_unicode.encode()))


def hex_string(data: bytes) -> bytes:
    return b"<" + data.hex().upper().encode() + b">"


def unicode_to_cid() -> dict[int, int]:
    """Unicode → Adobe-GB1 CID from Adobe's UniGB-UCS2-H CMap."""
    table: dict[int, int] = {}
    text = (CMAP_DIR / "UniGB-UCS2-H").read_text(encoding="latin-1")
    for lo, hi, cid in re.findall(r"<([0-9a-fA-F]{4})>\s*<([0-9a-fA-F]{4})>\s*(\d+)", text):
        for offset, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
            table.setdefault(code, int(cid) + offset)
    for code, cid in re.findall(r"^<([0-9a-fA-F]{4})>\s+(\d+)\s*$", text, re.M):
        table.setdefault(int(code, 16), int(cid))
    return table


def to_unicode_cmap(pairs: dict[bytes, str]) -> bytes:
    """A ToUnicode CMap stream for two-byte codes."""
    chars = b"\n".join(b"%s <%s>" % (hex_string(code), text.encode("utf-16-be").hex().encode())
                       for code, text in pairs.items())
    body = (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
            b"/CMapName /Test-UCS def /CMapType 2 def\n"
            b"1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
            b"%d beginbfchar\n%s\nendbfchar\nendcmap CMapName currentdict /CMap "
            b"defineresource pop end end" % (len(pairs), chars))
    return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(body), body)


# Inputs that must be refused, each with a fragment of the error it must give.
REFUSED = {
    # Adobe-Japan1 CIDs without a ToUnicode: no table here reads them.
    "identity_h_japan1": "Japan1",
    # The body is unreadable; a readable page number must not hide that.
    "unreadable_body_readable_page_number": "cannot be decoded",
    # GB/T 12345 (traditional) codes: decoding them as GB 18030 would give wrong characters.
    "gbt_euc_h": "GBT-EUC-H",
    # A ToUnicode map of a few bytes that stands for 4.3 billion entries, in plain sight and
    # behind a comment that says `endbfrange`.
    "tounicode_range_bomb": "[parsing] values",
    "tounicode_range_bomb_behind_a_comment": "[parsing] values",
}


def range_bomb() -> bytes:
    body = (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
            b"1 begincodespacerange <00000000> <FFFFFFFF> endcodespacerange\n"
            b"1 beginbfrange <00000000> <FFFFFFFF> <0041> endbfrange\nendcmap end end")
    return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(body), body)


def range_bomb_behind_a_comment() -> bytes:
    body = (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
            b"1 begincodespacerange <00000000> <FFFFFFFF> endcodespacerange\n"
            b"2 beginbfrange <00> <01> <0041> %endbfrange\n"
            b"<00000000> <FFFFFFFF> <0041>\nendbfrange\nendcmap end end")
    return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(body), body)


def cases() -> dict[str, tuple[bytes, str]]:
    cids = unicode_to_cid()
    identity = b"".join(cids[ord(c)].to_bytes(2, "big") for c in GB2312_TEXT)
    # A font whose CMap says GBK but whose ToUnicode says otherwise: ToUnicode wins (§9.10.2).
    remapped = "以此为准"
    codes = [c.encode("gbk") for c in "甲乙丙丁"]
    to_unicode = to_unicode_cmap(dict(zip(codes, remapped)))
    return {
        "gb_euc_h": (pdf(type0("GB-EUC-H"), [hex_string(GB2312_TEXT.encode("gb2312"))]),
                     GB2312_TEXT),
        "gbk_euc_h": (pdf(type0("GBK-EUC-H"), [hex_string(GBK_TEXT.encode("gbk"))]), GBK_TEXT),
        "gbk_euc_v": (pdf(type0("GBK-EUC-V"), [hex_string(GBK_TEXT.encode("gbk"))]), GBK_TEXT),
        "gbk2k_h": (pdf(type0("GBK2K-H"), [hex_string(GB18030_TEXT.encode("gb18030"))]),
                    GB18030_TEXT),
        "unigb_utf16_h": (pdf(type0("UniGB-UTF16-H"),
                              [hex_string(GBK_TEXT.encode("utf-16-be"))]), GBK_TEXT),
        "identity_h_gb1": (pdf(type0("Identity-H"), [hex_string(identity)]), GB2312_TEXT),
        "tounicode_wins": (pdf(type0("GBK-EUC-H", to_unicode="/ToUnicode 6 0 R "),
                               [hex_string(b"".join(codes))], extra=[to_unicode]), remapped),
        "bom_before_header": (pdf(type0("GBK-EUC-H"), [hex_string(GBK_TEXT.encode("gbk"))],
                                  bom=True), GBK_TEXT),
        "identity_h_japan1": (pdf(type0("Identity-H", ordering="Japan1"),
                                  [hex_string(identity)]), ""),
        "form_xobject": (pdf(type0("GBK-EUC-H"), [hex_string(GBK_TEXT.encode("gbk"))],
                             form=True, page_text=b"- 1 -"), GBK_TEXT + "-1-"),
        "form_in_the_drawers_resources_and_font": (
            pdf(type0("GBK-EUC-H"), [hex_string(GBK_TEXT.encode("gbk"))], form=True,
                inherit=True), GBK_TEXT),
        "font_without_type": (pdf(type0("GBK-EUC-H", typed=False, to_unicode="/ToUnicode 6 0 R "),
                                  [hex_string(b"".join(codes))], extra=[to_unicode]), remapped),
        "unreadable_body_readable_page_number": (
            pdf(type0("Identity-H", ordering="Identity"), [hex_string(identity)],
                page_text=b"- 1 -"), ""),
        "gbt_euc_h": (pdf(type0("GBT-EUC-H"), [hex_string("判决".encode("gb2312"))]),
                      ""),
        "tounicode_range_bomb": (
            pdf(type0("Identity-H", to_unicode="/ToUnicode 6 0 R "), [hex_string(identity)],
                extra=[range_bomb()]), ""),
        "tounicode_range_bomb_behind_a_comment": (
            pdf(type0("Identity-H", to_unicode="/ToUnicode 6 0 R "), [hex_string(identity)],
                extra=[range_bomb_behind_a_comment()]), ""),
    }


def reportlab_case(path: pathlib.Path) -> str:
    """reportlab's own CJK output: STSong-Light with UniGB-UCS2-H and no ToUnicode."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path))
    c.setFont("STSong-Light", 14)
    c.drawString(72, 720, GB2312_TEXT)
    c.save()
    return GB2312_TEXT


def corpus(out: pathlib.Path, count: int, source: pathlib.Path) -> None:
    """`count` judgments' texts (LeCaRD candidates, read by path) as PDFs, each in one of the
    font kinds above in turn, 28 characters a line, with the text each must give."""
    import json

    cids = unicode_to_cid()
    kinds = ["gb18030", "gbk2k", "utf16", "identity", "reportlab"]
    rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line]
    for i, row in enumerate(rows[:count]):
        text = "".join(row["text"].split())[:600]
        kind = kinds[i % len(kinds)]
        if kind == "identity":
            text = "".join(c for c in text if ord(c) in cids)
        lines = [text[k:k + 28] for k in range(0, len(text), 28)]
        name = out / f"doc{i:04d}_{kind}"
        if kind == "reportlab":
            reportlab_lines(name.with_suffix(".pdf"), lines)
        else:
            cmap, encode = {
                "gb18030": ("GBK-EUC-H", lambda t: t.encode("gb18030")),
                "gbk2k": ("GBK2K-H", lambda t: t.encode("gb18030")),
                "utf16": ("UniGB-UTF16-H", lambda t: t.encode("utf-16-be")),
                "identity": ("Identity-H",
                             lambda t: b"".join(cids[ord(c)].to_bytes(2, "big") for c in t)),
            }[kind]
            name.with_suffix(".pdf").write_bytes(
                pdf(type0(cmap), [hex_string(encode(line)) for line in lines]))
        name.with_suffix(".txt").write_text("\n".join(lines), encoding="utf-8")


def reportlab_lines(path: pathlib.Path, lines: list[str]) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path))
    c.setFont("STSong-Light", 14)
    for n, line in enumerate(lines):
        c.drawString(40, 800 - 20 * n, line)
    c.save()


def main() -> None:
    if sys.argv[1] == "--corpus":
        out = pathlib.Path(sys.argv[2])
        out.mkdir(parents=True, exist_ok=True)
        corpus(out, int(sys.argv[3]), pathlib.Path(sys.argv[4]))
        return
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name, (data, text) in cases().items():
        (out / f"{name}.pdf").write_bytes(data)
        (out / f"{name}.txt").write_text(text, encoding="utf-8")
        if name in REFUSED:
            (out / f"{name}.err").write_text(REFUSED[name], encoding="utf-8")
    text = reportlab_case(out / "reportlab_unigb_ucs2.pdf")
    (out / "reportlab_unigb_ucs2.txt").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
