"""Hostile documents, written byte by byte outside ecenter, for the parse-budget tests and benches.

    hostile.py KIND OUT [SIZE]

KIND is one of
    parent-self     a one-page PDF whose page has no /MediaBox and is its own /Parent
    parent-pair     the same with a /Parent chain 3 -> 4 -> 3
    kids-loop       a page tree whose /Kids lead back to the root /Pages node
    content-bomb    a PDF of SIZE pages (default 1) whose content stream (FlateDecode twice)
                    inflates to 200 MiB of text-showing operators
    normal-pdf      a PDF of SIZE pages (default 1) with a few lines of text: the same-size anchor
    plain-pdf       a PDF of 50 pages and about SIZE bytes of uncompressed text operators
    objstm-flood    a PDF whose object streams hold SIZE tiny objects (default 1,200,000),
                    reached through a cross-reference stream
    damaged-objects a one-page PDF whose cross-reference table also names SIZE (default 5,000)
                    objects that are not there (garbage at each offset)
    flat-array      a 16 KB PDF whose object stream holds one array of SIZE MiB (default 15) of zeros
    operand-flood   a PDF whose page content inflates to 15 MiB of bare `0` operands
    font-names      a PDF whose page names one font SIZE times (default 2,000); the font's ToUnicode
                    map and the page content each inflate to 15 MiB (mostly spaces)
    zip-directory   an OFD whose central directory lists SIZE entries (default 300,000), all of one part
    deep-array      a PDF whose catalog holds an array nested SIZE deep (default 100,000)
    ofd-bomb        an OFD of SIZE pages (default 16) whose Content.xml each inflate to 60 MiB of
                    text objects
    normal-ofd      an OFD of SIZE pages (default 16) with a line of text each
    docx-bomb       a DOCX whose word/document.xml inflates to 64 MiB of paragraphs
    normal-docx     a DOCX with a paragraph of text
    ofd-long-tag    an OFD whose page has an element with a 100,000-character name, not closed
    docx-rels-loop  a DOCX whose document part's relationships point at themselves

Each is what a lawyer could file; none is made with ecenter's own code.
"""

import io
import sys
import zipfile
import zlib

MIB = 1024 * 1024


def pdf(objects, trailer_extra=""):
    """A PDF with a classic cross-reference table; `objects` are bodies of objects 1, 2, ..."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for o in offsets:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer_extra.encode(),
        xref,
    )
    return bytes(out)


def stream(data, extra=b""):
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def parent_self():
    return pdf([CATALOG, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 3 0 R >>"])


def parent_pair():
    return pdf([CATALOG, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 4 0 R >>",
                b"<< /Type /Pages /Parent 3 0 R /Kids [3 0 R] /Count 1 >>"])


def kids_loop():
    return pdf([CATALOG, b"<< /Type /Pages /Kids [3 0 R] /Count 2 >>",
                b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 4 0 R] /Count 2 >>",
                b"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 595 842] >>"])


def pages_pdf(contents):
    """One page per content stream body (already encoded, with its dictionary extras)."""
    n = len(contents)
    objects = [CATALOG, None, FONT]
    kids = []
    for data, extra in contents:
        page = len(objects) + 1
        kids.append(b"%d 0 R" % page)
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                       b"/Resources << /Font << /F1 3 0 R >> >> >>" % (page + 1))
        objects.append(stream(data, extra))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), n)
    return pdf(objects)


def content_bomb(pages):
    line = b"BT /F1 6 Tf 72 700 Td (filler line of the judgment text) Tj ET\n"
    plain = line * (200 * MIB // len(line))
    once = zlib.compress(plain, 9)
    twice = zlib.compress(once, 9)
    return pages_pdf([(twice, b"/Filter [/FlateDecode /FlateDecode] ")] * pages)


def normal_pdf(pages):
    text = b"".join(b"BT /F1 10 Tf 72 %d Td (Line %d of the judgment text.) Tj ET\n" % (760 - 14 * i, i)
                    for i in range(50))
    return pages_pdf([(zlib.compress(text), b"/Filter /FlateDecode ")] * pages)


def plain_pdf(size):
    per_page = max(size // 50, 100)
    line = b"BT /F1 6 Tf 72 700 Td (a line of the judgment text) Tj ET\n"
    text = line * (per_page // len(line))
    return pages_pdf([(text, b"")] * 50)


def objstm_flood(count):
    """Object streams of 10,000 members each (`1` as every object), a cross-reference stream."""
    per = 10_000
    objects = {1: CATALOG, 2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"}
    first_member = 4
    streams = (count + per - 1) // per
    first_stream = first_member + count
    entries = {}  # object number -> (type, field2, field3)
    for s in range(streams):
        members = range(first_member + s * per, min(first_member + (s + 1) * per, first_member + count))
        index = b" ".join(b"%d %d" % (m, 2 * k) for k, m in enumerate(members)) + b" "
        body = b"1 " * len(members)
        data = zlib.compress(index + body, 9)
        number = first_stream + s
        objects[number] = stream(data, b"/Type /ObjStm /N %d /First %d /Filter /FlateDecode "
                                 % (len(members), len(index)))
        for k, m in enumerate(members):
            entries[m] = (2, number, k)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    for number in sorted(objects):
        entries[number] = (1, len(out), 0)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref_number = first_stream + streams
    entries[xref_number] = (1, len(out), 0)
    size = xref_number + 1
    rows = bytearray(b"\x00\x00\x00\x00\x00\xff\xff")
    for n in range(1, size):
        t, a, b = entries[n]
        rows += bytes([t]) + a.to_bytes(4, "big") + b.to_bytes(2, "big")
    data = zlib.compress(bytes(rows), 9)
    xref_at = len(out)
    out += b"%d 0 obj\n" % xref_number + stream(
        data, b"/Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Filter /FlateDecode " % size)
    out += b"\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def damaged_objects(count):
    good = pdf([CATALOG, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"])
    # Rewrite it with COUNT more entries, each pointing into a run of garbage.
    body_end = good.index(b"xref\n")
    out = bytearray(good[:body_end])
    garbage_at = []
    for _ in range(count):
        garbage_at.append(len(out))
        out += b"%%garbage ]]>> endobj ((\n"
    xref = len(out)
    offsets = [good.index(b"%d 0 obj" % n) for n in (1, 2, 3)]
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (4 + count)
    for o in offsets + garbage_at:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (4 + count, xref)
    return bytes(out)


def xref_stream_pdf(objects, streams):
    """Top-level `objects` {number: body} and object streams {number: {member: body}}, reached
    through a cross-reference stream."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    entries = {}
    for number, members in streams.items():
        index = b" ".join(b"%d %d" % (m, 0) for m in members)  # offsets fixed below
        bodies, offsets, at = [], [], 0
        for m, body in members.items():
            offsets.append(b"%d %d" % (m, at))
            bodies.append(body)
            at += len(body) + 1
        index = b" ".join(offsets) + b" "
        data = zlib.compress(index + b" ".join(bodies), 9)
        objects[number] = stream(data, b"/Type /ObjStm /N %d /First %d /Filter /FlateDecode "
                                 % (len(members), len(index)))
        for k, m in enumerate(members):
            entries[m] = (2, number, k)
    for number in sorted(objects):
        entries[number] = (1, len(out), 0)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref_number = max(entries) + 1
    entries[xref_number] = (1, len(out), 0)
    rows = bytearray()
    for n in range(0, xref_number + 1):
        t, a, b = entries.get(n, (0, 0, 0xFFFF))
        rows += bytes([t]) + a.to_bytes(4, "big") + b.to_bytes(2, "big")
    xref_at = len(out)
    out += b"%d 0 obj\n" % xref_number + stream(
        zlib.compress(bytes(rows), 9),
        b"/Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Filter /FlateDecode " % (xref_number + 1))
    out += b"\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def flat_array(mib):
    array = b"[" + b"0 " * (mib * MIB // 2) + b"]"
    top = {1: CATALOG, 2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
           3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"}
    return xref_stream_pdf(top, {10: {11: array}})


def operand_flood():
    content = b"0 " * (15 * MIB // 2)
    return pages_pdf([(zlib.compress(content, 9), b"/Filter /FlateDecode ")])


def font_names(count):
    cmap = (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /X def "
            b"1 begincodespacerange <00> <FF> endcodespacerange 1 beginbfchar <41> <5224> endbfchar "
            b"endcmap CMapName currentdict /CMap defineresource pop end end")
    cmap += b" " * (15 * MIB - len(cmap))
    content = b"BT /F0 12 Tf 72 700 Td (A) Tj ET"
    content += b" " * (15 * MIB - len(content))
    names = b" ".join(b"/F%d 4 0 R" % i for i in range(count))
    return pdf([CATALOG, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 6 0 R "
                b"/Resources << /Font << " + names + b" >> >> >>",
                b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 5 0 R >>",
                stream(zlib.compress(cmap, 9), b"/Filter /FlateDecode "),
                stream(zlib.compress(content, 9), b"/Filter /FlateDecode ")])


def zip_directory(count):
    """One stored part, listed `count` times in the central directory (zip64 records)."""
    import struct
    name = b"Doc_0/Pages/Page_0/Content.xml"
    data = ofd_page("判决".encode())
    crc = zlib.crc32(data)
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, crc, len(data), len(data),
                        len(name), 0) + name + data
    entry = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0, crc, len(data),
                        len(data), len(name), 0, 0, 0, 0, 0, 0) + name
    directory = entry * count
    cd_at = len(local)
    z64_at = cd_at + len(directory)
    z64 = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, len(directory), cd_at)
    locator = struct.pack("<IIQI", 0x07064B50, 0, z64_at, 1)
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return local + directory + z64 + locator + eocd


def deep_array(depth):
    return pdf([b"<< /Type /Catalog /Pages 2 0 R /Deep " + b"[" * depth + b"]" * depth + b" >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"])


def zipped(parts):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in parts:
            z.writestr(name, data)
    return buf.getvalue()


OFD_XML = (b'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" '
           b'Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>'
           b'</ofd:DocBody></ofd:OFD>')


def ofd_page(text):
    return (b'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="http://www.ofdspec.org/2016">'
            b'<ofd:Content><ofd:Layer ID="2"><ofd:TextObject ID="3" Boundary="0 0 100 10" Font="4" Size="5">'
            b'<ofd:TextCode X="0" Y="5">' + text + b"</ofd:TextCode></ofd:TextObject></ofd:Layer>"
            b"</ofd:Content></ofd:Page>")


def ofd(pages, text):
    return zipped([("OFD.xml", OFD_XML)] +
                  [("Doc_0/Pages/Page_%d/Content.xml" % p, ofd_page(text)) for p in range(pages)])


def ofd_bomb(pages):
    one = ('<ofd:TextObject ID="3" Boundary="0 0 100 10" Font="4" Size="5"><ofd:TextCode X="0" Y="5">'
           "本院认为，被告人张某以非法占有为目的，秘密窃取他人财物，数额较大，其行为已构成盗窃罪。"
           "</ofd:TextCode></ofd:TextObject>").encode()
    layer = one * (60 * MIB // len(one))
    page = (b'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="http://www.ofdspec.org/2016">'
            b'<ofd:Content><ofd:Layer ID="2">' + layer + b"</ofd:Layer></ofd:Content></ofd:Page>")
    return zipped([("OFD.xml", OFD_XML)] +
                  [("Doc_0/Pages/Page_%d/Content.xml" % p, page) for p in range(pages)])


def ofd_long_tag():
    tag = b"x" * 100_000
    return zipped([("OFD.xml", OFD_XML),
                   ("Doc_0/Pages/Page_0/Content.xml", b"<ofd:Page><" + tag + b"></ofd:Page>")])


DOCX_TYPES = (b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
              b'<Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" '
              b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
              b'</Types>')
# The package relationship that names the main part (ECMA-376 Part 2 §9.3).
DOCX_RELS = (b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
             b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
             b'2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')


def docx(text, rels=None):
    body = (b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            b'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>' + text +
            b"</w:t></w:r></w:p></w:body></w:document>")
    parts = [("[Content_Types].xml", DOCX_TYPES), ("_rels/.rels", DOCX_RELS), ("word/document.xml", body)]
    if rels is not None:
        parts.append(("word/_rels/document.xml.rels", rels))
    return zipped(parts)


def docx_bomb():
    para = "<w:p><w:r><w:t>原告诉称，被告拖欠货款至今未付，请求判令被告支付货款及利息。</w:t></w:r></w:p>".encode()
    body = para * (64 * MIB // len(para))
    xml = (b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
           b'wordprocessingml/2006/main"><w:body>' + body + b"</w:body></w:document>")
    return zipped([("[Content_Types].xml", DOCX_TYPES), ("_rels/.rels", DOCX_RELS), ("word/document.xml", xml)])


def docx_rels_loop():
    rels = (b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            b'officeDocument/2006/relationships/subDocument" Target="document.xml"/></Relationships>')
    return docx("民事判决书".encode(), rels)


def main():
    kind, out = sys.argv[1], sys.argv[2]
    size = int(sys.argv[3]) if len(sys.argv) > 3 else None
    makers = {
        "parent-self": parent_self,
        "parent-pair": parent_pair,
        "kids-loop": kids_loop,
        "content-bomb": lambda: content_bomb(size or 1),
        "normal-pdf": lambda: normal_pdf(size or 1),
        "plain-pdf": lambda: plain_pdf(size or 1_000_000),
        "objstm-flood": lambda: objstm_flood(size or 1_200_000),
        "deep-array": lambda: deep_array(size or 100_000),
        "damaged-objects": lambda: damaged_objects(size or 5_000),
        "flat-array": lambda: flat_array(size or 15),
        "operand-flood": operand_flood,
        "font-names": lambda: font_names(size or 2_000),
        "zip-directory": lambda: zip_directory(size or 300_000),
        "ofd-bomb": lambda: ofd_bomb(size or 16),
        "normal-ofd": lambda: ofd(size or 16, "本院认为，被告人张某犯盗窃罪。".encode()),
        "docx-bomb": lambda: docx_bomb(),
        "normal-docx": lambda: docx("本院认为，被告人张某犯盗窃罪。".encode()),
        "ofd-long-tag": ofd_long_tag,
        "docx-rels-loop": docx_rels_loop,
    }
    data = makers[kind]()
    with open(out, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
