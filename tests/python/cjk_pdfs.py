"""Chinese PDFs as typesetting systems write them, for the text-extraction tests.

Each case is a PDF whose text sits in a CJK font that a reader must decode in its own way
(ISO 32000-1 §9.7.5, §9.10.2): predefined GB CMaps without ToUnicode, Identity-H over Adobe-GB1
CIDs, a ToUnicode that must win over the font's CMap, vertical CMaps, the UTF-16 CMap as
reportlab writes it, a UTF-8 byte-order mark before the header, and a font no method can read.

    python3 cjk_pdfs.py OUT_DIR

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


def pdf(font: bytes, shown: list[bytes], bom: bool = False, extra: list[bytes] = ()) -> bytes:
    """A one-page PDF whose text is `shown` (PDF string tokens) in font object 4."""
    lines = b"\n".join(b"BT /F1 14 Tf 72 %d Td %s Tj ET" % (720 - 24 * i, s)
                       for i, s in enumerate(shown))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        font,
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(lines), lines),
        *extra,
    ]
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


def type0(cmap: str, ordering: str = "GB1", to_unicode: str = "") -> bytes:
    descendant = (b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
                  b"/CIDSystemInfo << /Registry (Adobe) /Ordering (%s) /Supplement 4 >> "
                  b"/DW 1000 >>" % ordering.encode())
    return (b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /%s "
            b"/DescendantFonts [%s] %s>>" % (cmap.encode(), descendant, to_unicode.encode()))


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


def main() -> None:
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name, (data, text) in cases().items():
        (out / f"{name}.pdf").write_bytes(data)
        (out / f"{name}.txt").write_text(text, encoding="utf-8")
    text = reportlab_case(out / "reportlab_unigb_ucs2.pdf")
    (out / "reportlab_unigb_ucs2.txt").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
