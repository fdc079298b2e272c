"""OFD documents made, rendered and verified without ecenter's code.

    ofd_tools.py easyofd OUT PAGES
        an OFD of PAGES pages converted by easyofd (PyPI) from a reportlab PDF
    ofd_tools.py plain OUT PAGES
        a minimal OFD (GB/T 33190, namespace http://www.ofdspec.org/2016, A4 pages with a text
        object each) written by hand here
    ofd_tools.py duplicate IN OUT NAME TEXT
        rewrites IN with a second entry NAME holding TEXT placed before the original one (two
        entries of one name: Java's ZipInputStream reads the first, most others the last)
    ofd_tools.py render OFD
        renders with easyofd; prints JSON: per page the box of red pixels in mm (x0, y0, x1, y1)
        from the page's top-left, or null
    ofd_tools.py verify OFD
        verifies every signature (GB/T 33190 §18, SES_Signature v4) with asn1crypto, gmalg and
        gmssl (SM2) or cryptography (ECDSA P-256); References in SM3 or SHA-256;
        prints JSON, one object per signature:
        {"id", "references", "added", "data_hash", "signature", "seal", "stamp", "valid"}
"""

import base64
import contextlib
import hashlib
import io
import json
import os
import sys
import zipfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))


@contextlib.contextmanager
def scratch_dir():
    """easyofd writes its work files into ./test of the current directory: give each run its own."""
    import tempfile

    here = os.getcwd()
    with tempfile.TemporaryDirectory() as d:
        os.chdir(d)
        try:
            yield
        finally:
            os.chdir(here)


def local(tag):
    return tag.rsplit("}", 1)[-1]


def find_all(root, name):
    return [e for e in root.iter() if local(e.tag) == name]


def find(root, name):
    found = find_all(root, name)
    return found[0] if found else None


def resolve(base_dir, loc):
    path = loc if loc.startswith("/") else base_dir.rstrip("/") + "/" + loc
    parts = []
    for p in path.split("/"):
        if p in ("", "."):
            continue
        if p == "..":
            parts.pop()
        else:
            parts.append(p)
    return "/" + "/".join(parts)


def dir_of(path):
    return path.rsplit("/", 1)[0] or "/"


def read_package(path):
    with zipfile.ZipFile(path) as z:
        return {"/" + n.lstrip("/"): z.read(n) for n in z.namelist() if not n.endswith("/")}


def easyofd(out, pages):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = io.BytesIO()
    c = canvas.Canvas(pdf, pagesize=A4)
    for i in range(int(pages)):
        c.drawString(72, 720, f"(2026) E06 Min Zhong 88 - page {i + 1}")
        c.showPage()
    c.save()
    out = os.path.abspath(out)
    with contextlib.redirect_stdout(sys.stderr), scratch_dir():
        from easyofd.ofd import OFD

        data = OFD().pdf2ofd(pdf.getvalue())
    open(out, "wb").write(data)


def fonted(out, pages):
    """plain, carrying an embedded font (300 KB that do not compress) and a blank picture (1 MB
    of zeros): entries that inflate to far more than one 64 KiB buffer, as real documents do."""
    import random

    plain(out, pages)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("Doc_0/Res/font_2.ttf", random.Random(7).randbytes(300_000))
        z.writestr("Doc_0/Res/image_3.bmp", bytes(1 << 20))


def plain(out, pages):
    ns = "http://www.ofdspec.org/2016"
    n = int(pages)
    files = {
        "OFD.xml": f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{ns}" Version="1.0" DocType="OFD">'
        "<ofd:DocBody><ofd:DocInfo><ofd:DocID>a1b2c3</ofd:DocID><ofd:Title>民事判决书</ofd:Title></ofd:DocInfo>"
        "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        "Doc_0/PublicRes.xml": f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{ns}" BaseLoc="Res">'
        '<ofd:Fonts><ofd:Font ID="2" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>',
    }
    page_refs = "".join(f'<ofd:Page ID="{10 + i}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(n))
    files["Doc_0/Document.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{ns}"><ofd:CommonData>'
        f"<ofd:MaxUnitID>{10 + 2 * n + 10}</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>"
        f"<ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData><ofd:Pages>{page_refs}</ofd:Pages></ofd:Document>"
    )
    for i in range(n):
        files[f"Doc_0/Pages/Page_{i}/Content.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{ns}"><ofd:Content><ofd:Layer ID="{100 + i}">'
            f'<ofd:TextObject ID="{200 + i}" Boundary="20 20 170 10" Font="2" Size="5"><ofd:TextCode X="0" Y="5">第{i + 1}页</ofd:TextCode></ofd:TextObject>'
            "</ofd:Layer></ofd:Content></ofd:Page>"
        )
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text.encode("utf-8"))


def render(path):
    import numpy as np

    files = read_package(path)
    data = open(path, "rb").read()
    with contextlib.redirect_stdout(sys.stderr), scratch_dir():
        from easyofd.ofd import OFD

        ofd = OFD()
        ofd.read(base64.b64encode(data).decode(), save_xml=False)
        images = ofd.to_jpg()
    root = ET.fromstring(files["/OFD.xml"])
    doc_path = resolve("/", find(root, "DocRoot").text.strip())
    doc = ET.fromstring(files[doc_path])
    width_mm, height_mm = [float(v) for v in find(doc, "PhysicalBox").text.split()][2:4]
    out = []
    for image in images:
        a = np.asarray(image.convert("RGB")).astype(int)
        red = (a[:, :, 0] > 150) & (a[:, :, 1] < 100) & (a[:, :, 2] < 100)
        if not red.any():
            out.append(None)
            continue
        ys, xs = red.nonzero()
        sx, sy = width_mm / image.size[0], height_mm / image.size[1]
        out.append([round(xs.min() * sx, 2), round(ys.min() * sy, 2), round((xs.max() + 1) * sx, 2), round((ys.max() + 1) * sy, 2)])
    return out


ECDSA_SHA256 = "1.2.840.10045.4.3.2"


def signature_ok(cert, algorithm, signature, message):
    """SM2 through guomi.py (gmalg and gmssl), ECDSA P-256 through cryptography."""
    from guomi import verify as sm2_verify

    if algorithm != ECDSA_SHA256:
        return sm2_verify(cert, signature, message)
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509 import load_der_x509_certificate

    key = load_der_x509_certificate(cert.dump()).public_key()
    try:
        key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False


def data_hash_of(algorithm, data):
    import hashlib

    from guomi import sm3_of

    return hashlib.sha256(data).digest() if algorithm == ECDSA_SHA256 else sm3_of(data)


def verify(path):
    from asn1crypto import x509
    from guomi import sm3_of
    from ses_tools import SignatureV4

    files = read_package(path)
    root = ET.fromstring(files["/OFD.xml"])
    doc_path = resolve("/", find(root, "DocRoot").text.strip())
    doc = ET.fromstring(files[doc_path])
    default_box = [float(v) for v in find(doc, "PhysicalBox").text.split()]
    pages = {p.get("ID"): default_box for p in find_all(doc, "Page")}
    list_path = resolve("/", find(root, "Signatures").text.strip())
    listed = ET.fromstring(files[list_path])
    entries = [(s.get("ID"), resolve(dir_of(list_path), s.get("BaseLoc"))) for s in find_all(listed, "Signature")]
    results = []
    for i, (sid, sig_path) in enumerate(entries):
        later = [dir_of(p) + "/" for _, p in entries[i + 1:]]
        xml = files.get(sig_path)
        sig = ET.fromstring(xml)
        base = dir_of(sig_path)
        refs = {}
        for ref in find_all(sig, "Reference"):
            refs[resolve(base, ref.get("FileRef"))] = base64.b64decode(find(ref, "CheckValue").text.strip())
        method = find(sig, "References").get("CheckMethod")
        check = (lambda d: hashlib.sha256(d).digest()) if method == "2.16.840.1.101.3.4.2.1" else sm3_of
        references = all(f in files and check(files[f]) == v for f, v in refs.items())
        value_path = resolve(base, find(sig, "SignedValue").text.strip())
        own = {sig_path, value_path, list_path}
        added = sorted(f for f in files if f not in refs and f not in own and not any(f.startswith(d) for d in later))
        ses = SignatureV4.load(files[value_path])
        tbs = ses["to_sign"]
        seal = tbs["eseal"]
        signer = x509.Certificate.load(ses["cert"].native)
        maker = x509.Certificate.load(seal["cert"].native)
        annot = find(sig, "StampAnnot")
        x, y, w, h = [float(v) for v in annot.get("Boundary").split()]
        box = pages.get(annot.get("PageRef"))
        stamp = box is not None and x >= box[0] and y >= box[1] and x + w <= box[0] + box[2] and y + h <= box[1] + box[3]
        alg, maker_alg = ses["signature_alg_id"].dotted, seal["sign_alg_id"].dotted
        r = {
            "id": sid,
            "references": references,
            "added": added,
            "data_hash": tbs["data_hash"].native == data_hash_of(alg, xml),
            "signature": signature_ok(signer, alg, ses["signature"].native, tbs.dump()),
            "seal": signature_ok(maker, maker_alg, seal["signed_value"].native, seal["e_seal_info"].dump()),
            "stamp": stamp,
        }
        r["valid"] = all([r["references"], not r["added"], r["data_hash"], r["signature"], r["seal"], r["stamp"]])
        results.append(r)
    return results


def duplicate(src, out, name, text):
    import warnings

    warnings.simplefilter("ignore")
    with zipfile.ZipFile(src) as z:
        entries = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, text.encode("utf-8"))
        for n, data in entries:
            z.writestr(n, data)


def unreadable(src, out, kind):
    """`src` made into an OFD that is not one document for every reader: `hidden` (the first
    page's content changed in a local entry no central directory lists, then the true entries:
    streaming readers read the change), `doctype` (a DTD in the first page), `deep` (the first
    page's content nested 300 levels deep)."""
    with zipfile.ZipFile(src) as z:
        files = {i.filename: z.read(i.filename) for i in z.infolist()}
    page = "Doc_0/Pages/Page_0/Content.xml"
    text = files[page].decode("utf-8")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        if kind == "hidden":
            z.writestr(page, text.replace("第1页", "第9页").encode("utf-8"))
            hidden = z.filelist.pop()
            z.NameToInfo.pop(hidden.filename)
        elif kind == "doctype":
            files[page] = text.replace("?>", "?><!DOCTYPE ofd:Page [<!ENTITY p \"第1页\">]>", 1).encode("utf-8")
        elif kind == "deep":
            files[page] = text.replace("</ofd:Content>", "<ofd:Layer>" * 300 + "</ofd:Layer>" * 300 + "</ofd:Content>").encode("utf-8")
        for name, data in files.items():
            z.writestr(name, data)


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "duplicate":
        duplicate(*args)
    elif command == "easyofd":
        easyofd(*args)
    elif command == "plain":
        plain(*args)
    elif command == "unreadable":
        unreadable(*args)
    elif command == "fonted":
        fonted(*args)
    elif command == "render":
        print(json.dumps(render(*args)))
    elif command == "verify":
        print(json.dumps(verify(*args)))
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
