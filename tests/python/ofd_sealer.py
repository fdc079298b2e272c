"""An OFD sealed without ecenter (GB/T 33190 §18): Signatures.xml, Signature.xml with a
Reference and CheckValue for every file, a StampAnnot on the first page, and a SignedValue.dat
made by ses_tools.py (GB/T 38540-2020 layout, ECDSA P-256) over Signature.xml.

    ofd_sealer.py IN OUT PKI [OPTION...]
        PKI holds seal-maker.key/.pem and seal.key/.pem (ECDSA). Options, as other writers do:
          --sha256            References CheckMethod SHA-256 (2.16.840.1.101.3.4.2.1), not SM3
          --wrap              CheckValue base64 wrapped over two lines (xs:base64Binary allows it)
          --boundary "X Y W H"  the stamp's Boundary in mm (default 150 247 40 40)
          --clip "X Y W H"    a Clip on the stamp
"""

import base64
import hashlib
import io
import os
import re
import sys
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(__file__))

import ses_tools  # noqa: E402

NS = "http://www.ofdspec.org/2016"
SIGNS = "Doc_0/Signs"


def sm3(data):
    from gmssl import func, sm3 as gm

    return bytes.fromhex(gm.sm3_hash(func.bytes_to_list(data)))


def signature_xml(files, page_id, flags):
    opt = lambda name, default: flags[flags.index(name) + 1] if name in flags else default
    method = "2.16.840.1.101.3.4.2.1" if "--sha256" in flags else "1.2.156.10197.1.401"
    digest = (lambda d: hashlib.sha256(d).digest()) if "--sha256" in flags else sm3
    refs = []
    for name, data in sorted(files.items()):
        value = base64.b64encode(digest(data)).decode()
        if "--wrap" in flags:
            value = value[:20] + "\r\n      " + value[20:]
        refs.append(f'<ofd:Reference FileRef="/{name}"><ofd:CheckValue>{value}</ofd:CheckValue></ofd:Reference>')
    clip = f' Clip="{opt("--clip", "")}"' if "--clip" in flags else ""
    stamp = f'<ofd:StampAnnot ID="1" PageRef="{page_id}" Boundary="{opt("--boundary", "150 247 40 40")}"{clip}/>'
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Signature xmlns:ofd="{NS}"><ofd:SignedInfo>'
        '<ofd:Provider ProviderName="ofd_sealer.py" Version="1.0"/>'
        "<ofd:SignatureMethod>1.2.840.10045.4.3.2</ofd:SignatureMethod>"
        "<ofd:SignatureDateTime>20261205120000Z</ofd:SignatureDateTime>"
        f'<ofd:References CheckMethod="{method}">{"".join(refs)}</ofd:References>{stamp}'
        f"</ofd:SignedInfo><ofd:SignedValue>/{SIGNS}/Sign_0/SignedValue.dat</ofd:SignedValue></ofd:Signature>"
    ).encode()


def main():
    src, out, pki, *flags = sys.argv[1:]
    with zipfile.ZipFile(src) as z:
        files = {i.filename: z.read(i) for i in z.infolist() if not i.is_dir()}
    files["OFD.xml"] = files["OFD.xml"].replace(
        b"</ofd:DocBody>", f"<ofd:Signatures>/{SIGNS}/Signatures.xml</ofd:Signatures></ofd:DocBody>".encode(), 1
    )
    page_id = re.search(rb'<ofd:Page ID="(\d+)"', files["Doc_0/Document.xml"]).group(1).decode()
    signature = signature_xml(files, page_id, flags)
    with tempfile.TemporaryDirectory() as d:
        doc, value = os.path.join(d, "Signature.xml"), os.path.join(d, "SignedValue.dat")
        open(doc, "wb").write(signature)
        keys = [os.path.join(pki, f) for f in ("seal-maker.key", "seal-maker.pem", "seal.key", "seal.pem")]
        ses_tools.make(["v4", *keys, doc, value])
        signed_value = open(value, "rb").read()
    files[f"{SIGNS}/Signatures.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Signatures xmlns:ofd="{NS}"><ofd:MaxSignId>1</ofd:MaxSignId>'
        f'<ofd:Signature ID="1" Type="Seal" BaseLoc="/{SIGNS}/Sign_0/Signature.xml"/></ofd:Signatures>'
    ).encode()
    files[f"{SIGNS}/Sign_0/Signature.xml"] = signature
    files[f"{SIGNS}/Sign_0/SignedValue.dat"] = signed_value
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    open(out, "wb").write(buffer.getvalue())


if __name__ == "__main__":
    main()
