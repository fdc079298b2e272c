"""ZIP containers laid out by other writers, and files that hold more than one archive, made
without ecenter (Python's zipfile, the JDK's jar tool, and byte surgery after PKWARE APPNOTE
6.3.10 §4.3).

    zip_layouts.py jar IN OUT
        IN repacked by the JDK's `jar` (java.util.zip.ZipOutputStream: data descriptors with
        their signature after every deflated entry, §4.3.9)
    zip_layouts.py stream IN OUT
        IN repacked by zipfile into a stream it cannot seek (data descriptors, §4.3.9)
    zip_layouts.py appended IN OUT
        IN followed by a second archive whose first page says it was altered
    zip_layouts.py hidden IN OUT
        the altered archive in front of IN, IN's offsets shifted so that its own end record
        still finds it: streaming readers read the altered entries first
    zip_layouts.py comment IN OUT
        IN whose archive comment is a copy of its own end record: two records end the file
    zip_layouts.py zip64 IN OUT
        IN repacked by zipfile with ZIP64 local headers (force_zip64: sizes in the extra field)
    zip_layouts.py unicode IN OUT
        IN whose first page carries an Info-ZIP Unicode Path extra field (0x7075) naming another
        file than its header does: readers that honour it and readers that do not disagree
    zip_layouts.py nul IN OUT
        IN with one more entry, the altered first page, named "…/Content.xml\\0/": a directory
        to readers that keep the NUL, the page to readers that cut the name there
    zip_layouts.py comment-archive IN OUT
        IN whose archive comment holds the altered archive and one byte more
    zip_layouts.py descriptor IN OUT
        IN as `stream` writes it, the first data descriptor's CRC changed (the directory's kept)
    zip_layouts.py read ZIP NAME
        what Python's zipfile (as Python viewers such as easyofd open a package) reads for NAME
"""

import io
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib

ALTERED = "（已篡改：驳回上诉）".encode("utf-8")


def entries(path):
    with zipfile.ZipFile(path) as z:
        return [(i.filename, z.read(i)) for i in z.infolist() if not i.is_dir()]


def altered(path):
    """The archive of IN with 已篡改 added to the first page's text, written afresh."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries(path):
            if name.endswith("Page_0/Content.xml"):
                data = data.replace("</ofd:TextCode>".encode(), ALTERED + b"</ofd:TextCode>", 1)
            z.writestr(name, data)
    return out.getvalue()


def jar(src, out):
    with tempfile.TemporaryDirectory() as d:
        for name, data in entries(src):
            target = os.path.join(d, name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(data)
        names = [n for n, _ in entries(src)]
        subprocess.run(["jar", "--create", "--no-manifest", "--file", os.path.abspath(out), *names], cwd=d, check=True)


class Unseekable(io.RawIOBase):
    def __init__(self):
        self.data = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.data += b
        return len(b)


def stream(src, out):
    sink = Unseekable()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries(src):
            with z.open(name, "w") as f:
                f.write(data)
    with open(out, "wb") as f:
        f.write(sink.data)


def zip64(src, out):
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries(src):
            with z.open(name, "w", force_zip64=True) as f:
                f.write(data)


def unicode_path(src, out):
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries(src):
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if name.endswith("Page_0/Content.xml"):
                other = name.replace("Content.xml", "Content2.xml").encode()
                field = b"\x01" + struct.pack("<I", zlib.crc32(name.encode())) + other
                info.extra = struct.pack("<HH", 0x7075, len(field)) + field
            z.writestr(info, data)


def nul_name(src, out):
    page = next(n for n, _ in entries(src) if n.endswith("Page_0/Content.xml"))
    placeholder = page + "X/"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries(src):
            z.writestr(name, data)
        with zipfile.ZipFile(io.BytesIO(altered(src))) as a:
            z.writestr(placeholder, a.read(page))
    made = buffer.getvalue().replace(placeholder.encode(), page.encode() + b"\x00/")
    with open(out, "wb") as f:
        f.write(made)


def end_record(b):
    at = b.rfind(b"PK\x05\x06")
    size, offset, comment = struct.unpack_from("<IIH", b, at + 12)
    return at, size, offset, comment


def shifted(b, by):
    """The archive `b` with every offset moved `by` bytes on (its central directory headers'
    local header offsets and the end record's directory offset)."""
    b = bytearray(b)
    at, size, offset, _ = end_record(bytes(b))
    p = offset
    while p < offset + size:
        name, extra, comment = struct.unpack_from("<HHH", b, p + 28)
        (local,) = struct.unpack_from("<I", b, p + 42)
        struct.pack_into("<I", b, p + 42, local + by)
        p += 46 + name + extra + comment
    struct.pack_into("<I", b, at + 16, offset + by)
    return bytes(b)


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "read":
        with zipfile.ZipFile(args[0]) as z:
            sys.stdout.write(z.read(args[1]).decode("utf-8"))
        return
    src, out = args
    original = open(src, "rb").read()
    if command == "jar":
        return jar(src, out)
    if command == "stream":
        return stream(src, out)
    if command == "zip64":
        return zip64(src, out)
    if command == "unicode":
        return unicode_path(src, out)
    if command == "nul":
        return nul_name(src, out)
    if command == "appended":
        made = original + altered(src)
    elif command == "hidden":
        front = altered(src)
        made = front + shifted(original, len(front))
    elif command == "comment":
        at, _, _, comment = end_record(original)
        assert comment == 0
        record = original[at:]
        made = original[: at + 20] + struct.pack("<H", len(record)) + record
    elif command == "descriptor":
        with tempfile.TemporaryDirectory() as d:
            streamed = os.path.join(d, "streamed.zip")
            stream(src, streamed)
            made = bytearray(open(streamed, "rb").read())
        at = made.index(b"PK\x07\x08")
        made[at + 4] ^= 0xFF
        made = bytes(made)
    elif command == "comment-archive":
        at, _, _, comment = end_record(original)
        assert comment == 0
        inner = altered(src) + b"\x00"
        made = original[: at + 20] + struct.pack("<H", len(inner)) + inner
    else:
        raise SystemExit(f"unknown command {command}")
    with open(out, "wb") as f:
        f.write(made)


if __name__ == "__main__":
    main()
