"""Signatures made by pyHanko, not by ecenter: what other courts' and lawyers' tools put in PDFs.

    pyhanko_tools.py sign IN OUT KEY CERT [CHAIN...] [--tsa TSA_CERT TSA_KEY] [--field NAME]
                     [--certify P] [--pss | --pss-max-salt] [--md sha256|sha384|sha512]
                     [--lock FIELD] [--adobe]
        a PAdES signature with pyHanko's defaults (ESSCertIDv2 with issuerSerial); with --tsa, a
        signature timestamp from a TSA (ECDSA or RSA, by its key) whose genTime carries fractions
        of a second; with --certify, a certification signature with DocMDP permission P (1, 2 or
        3); --pss signs an RSA key with RSASSA-PSS with a salt as long as the hash (ETSI TS 119 312),
        --pss-max-salt with pyHanko's default, the longest salt the key allows; --md chooses the
        digest; --lock makes the signature field first with a FieldMDP lock on FIELD
        (Action /Include), so the signature forbids filling that field afterwards; --adobe writes
        SubFilter adbe.pkcs7.detached instead of ETSI.CAdES.detached
    pyhanko_tools.py dup-cert IN OUT
        the first signature's CMS with its first certificate listed twice (RFC 5652 lets the
        certificate set hold it twice; the set is not signed), written into the same /Contents
    pyhanko_tools.py cms-attrs IN OUT KEY MODE
        the first signature's signed attributes changed and signed again with KEY, written into the
        same /Contents: MODE no-content-type, content-type-signed-data, or unsorted (the SET OF
        sent and signed in reverse order, not DER order)
    pyhanko_tools.py pkcs7-resign IN OUT KEY CERT MODE
        the first signature replaced, over the same bytes, by a PKCS #7 signature as Python's
        cryptography writes one (an S/MIME signer, not pyHanko): MODE no-ess has signed attributes
        (content-type, signing-time, message-digest) but no signing-certificate attribute, no-attrs
        none at all (the signature over the signed bytes themselves); for adbe.pkcs7.detached
        files (ISO 32000-1 §12.8.3.3 asks neither)
    pyhanko_tools.py tsa-p384 PKI_DIR
        a P-384 TSA certificate (tsa-p384.pem / .key) under the PKI's TSA CA: the timeStamping
        purpose alone and critical, valid 3000 days
    pyhanko_tools.py foreign-pki DIR
        a PKI made by Python's cryptography, not by ecenter: an RSA root with an RSA-2048 signer
        and an RSA-3072 TSA, and a P-384 root with a P-384 signer (PEM, keys in PKCS#8)
    pyhanko_tools.py doc-timestamp IN OUT TSA_CERT TSA_KEY
        a document timestamp (SubFilter ETSI.RFC3161, PAdES B-LTA)
    pyhanko_tools.py ltv IN OUT FIELD ROOT [OTHER_CERT...]
        a DSS revision with the validation data of signature FIELD (what `pyhanko sign ltvfix` does)
"""

import datetime
import sys

import hashlib

from asn1crypto import algos, cms, core, keys, pem, x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation import add_validation_info
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore


def load_cert(path):
    """The first certificate of a PEM or DER file."""
    data = open(path, "rb").read()
    if pem.detect(data):
        _, _, data = next(pem.unarmor(data, multiple=True))
    return x509.Certificate.load(data)


def load_key(path):
    data = open(path, "rb").read()
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return keys.PrivateKeyInfo.load(data)


class EcdsaTimeStamper(DummyTimeStamper):
    """pyHanko's in-process TSA (RSA only as shipped), signing its TSTInfo with an ECDSA P-256
    key: content type, message digest and signing time as signed attributes."""

    def _sign_tst_info(self, tst_info_data, md_algorithm, dt):
        attrs = cms.CMSAttributes(
            [
                cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
                cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": core.UTCTime(dt)})]}),
                cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(tst_info_data).digest()]}),
            ]
        )
        key = serialization.load_der_private_key(self.tsa_key.dump(), password=None)
        return key.sign(attrs.dump(), ec.ECDSA(hashes.SHA256())), attrs

    def _build_signed_data(self, *args, **kwargs):
        data = super()._build_signed_data(*args, **kwargs)
        data["signer_infos"][0]["signature_algorithm"] = algos.SignedDigestAlgorithm(
            {"algorithm": "sha256_ecdsa"}
        )
        return data


def stamper(cert_path, key_path):
    # genTime with microseconds: a TSA that keeps sub-second accuracy (RFC 3161 §2.4.2).
    when = datetime.datetime.now(tz=datetime.timezone.utc).replace(microsecond=123456)
    key = load_key(key_path)
    # pyHanko's own stamper signs with RSA; an EC key gets the ECDSA variant above.
    kind = EcdsaTimeStamper if key.algorithm == "ec" else DummyTimeStamper
    return kind(tsa_cert=load_cert(cert_path), tsa_key=key, fixed_dt=when)


def tsa_p384(args):
    from cryptography import x509 as cx
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    (pki,) = args
    ca_cert = cx.load_pem_x509_certificate(open(f"{pki}/tsa-ca.pem", "rb").read())
    ca_key = serialization.load_pem_private_key(open(f"{pki}/tsa-ca.key", "rb").read(), password=None)
    key = ec.generate_private_key(ec.SECP384R1())
    now = datetime.datetime.now(tz=datetime.timezone.utc) - datetime.timedelta(hours=1)
    cert = (
        cx.CertificateBuilder()
        .subject_name(cx.Name([cx.NameAttribute(NameOID.COMMON_NAME, "ecenter 时间戳服务 P-384（测试）")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(cx.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=3000))
        .add_extension(cx.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(
            cx.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    open(f"{pki}/tsa-p384.pem", "wb").write(cert.public_bytes(serialization.Encoding.PEM))
    open(f"{pki}/tsa-p384.key", "wb").write(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


def foreign_pki(args):
    """Certificates a court's other suppliers might use: RSA and P-384 hierarchies."""
    from cryptography import x509 as cx
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    (out,) = args
    now = datetime.datetime.now(tz=datetime.timezone.utc) - datetime.timedelta(days=1)

    def name(cn):
        return cx.Name([cx.NameAttribute(NameOID.COUNTRY_NAME, "CN"), cx.NameAttribute(NameOID.COMMON_NAME, cn)])

    def issue(subject, key, issuer, issuer_key, ca, eku=None, md=hashes.SHA256()):
        b = (
            cx.CertificateBuilder()
            .subject_name(name(subject))
            .issuer_name(name(issuer))
            .public_key(key.public_key())
            .serial_number(cx.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(cx.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(
                cx.KeyUsage(
                    digital_signature=not ca, content_commitment=not ca, key_encipherment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                    encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(cx.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        )
        if eku:
            b = b.add_extension(cx.ExtendedKeyUsage([eku]), critical=True)
        return b.sign(issuer_key, md)

    def write(stem, cert, key):
        open(f"{out}/{stem}.pem", "wb").write(cert.public_bytes(serialization.Encoding.PEM))
        if key is not None:
            open(f"{out}/{stem}.key", "wb").write(
                key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            )

    rsa_root_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    rsa_root = issue("Foreign RSA Root (test only)", rsa_root_key, "Foreign RSA Root (test only)", rsa_root_key, True)
    write("rsa-root", rsa_root, None)
    signer_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    write("rsa-signer", issue("律师 张三 (RSA, test only)", signer_key, "Foreign RSA Root (test only)", rsa_root_key, False), signer_key)
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    tsa = issue("Foreign RSA TSA (test only)", tsa_key, "Foreign RSA Root (test only)", rsa_root_key, False,
                eku=ExtendedKeyUsageOID.TIME_STAMPING)
    write("rsa-tsa", tsa, tsa_key)
    ec_root_key = ec.generate_private_key(ec.SECP384R1())
    ec_root = issue("Foreign P-384 Root (test only)", ec_root_key, "Foreign P-384 Root (test only)", ec_root_key, True,
                    md=hashes.SHA384())
    write("ec384-root", ec_root, None)
    ec_signer_key = ec.generate_private_key(ec.SECP384R1())
    write("ec384-signer", issue("Foreign P-384 signer (test only)", ec_signer_key, "Foreign P-384 Root (test only)",
                                ec_root_key, False, md=hashes.SHA384()), ec_signer_key)


def sign(args):
    src, dst, key, cert, *rest = args
    field, tsa, chain, certify, pss, md, lock = "Signature1", None, [], None, False, None, None
    subfilter = fields.SigSeedSubFilter.PADES
    while rest:
        a = rest.pop(0)
        if a == "--lock":
            lock = rest.pop(0)
            continue
        if a == "--adobe":
            subfilter = fields.SigSeedSubFilter.ADOBE_PKCS7_DETACHED
            continue
        if a in ("--pss", "--pss-max-salt"):
            pss = a
        elif a == "--md":
            md = rest.pop(0)
        elif a == "--certify":
            certify = int(rest.pop(0))
        elif a == "--tsa":
            tsa = stamper(rest.pop(0), rest.pop(0))
        elif a == "--field":
            field = rest.pop(0)
        else:
            chain.append(a)
    # ecenter-pki writes the leaf with its CA after it: pyHanko wants the leaf alone.
    leaf = load_cert(cert)
    mechanism = None
    if pss == "--pss":
        h = md or "sha256"
        n = {"sha256": 32, "sha384": 48, "sha512": 64}[h]
        mechanism = algos.SignedDigestAlgorithm(
            {
                "algorithm": "rsassa_pss",
                "parameters": algos.RSASSAPSSParams(
                    {
                        "hash_algorithm": {"algorithm": h},
                        "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": h}},
                        "salt_length": n,
                    }
                ),
            }
        )
    signer = signers.SimpleSigner(
        signing_cert=leaf,
        signing_key=load_key(key),
        cert_registry=SimpleCertificateStore.from_certs([load_cert(c) for c in chain]),
        signature_mechanism=mechanism,
        prefer_pss=pss == "--pss-max-salt",
    )
    meta = signers.PdfSignatureMetadata(
        field_name=field,
        subfilter=subfilter,
        certify=certify is not None,
        docmdp_permissions=fields.MDPPerm(certify or 2),
        md_algorithm=md,
    )
    with open(src, "rb") as inf:
        w = IncrementalPdfFileWriter(inf, strict=False)
        if lock:
            spec = fields.FieldMDPSpec(action=fields.FieldMDPAction.INCLUDE, fields=[lock])
            fields.append_signature_field(w, fields.SigFieldSpec(field, field_mdp_spec=spec))
        with open(dst, "wb") as out:
            signers.sign_pdf(w, meta, signer=signer, timestamper=tsa, output=out)


def doc_timestamp(args):
    src, dst, cert, key = args
    with open(src, "rb") as inf:
        w = IncrementalPdfFileWriter(inf, strict=False)
        with open(dst, "wb") as out:
            signers.PdfTimeStamper(stamper(cert, key)).timestamp_pdf(w, "sha256", output=out)


def cms_attrs(args):
    src, dst, key_path, mode = args
    data = bytearray(open(src, "rb").read())
    with open(src, "rb") as inf:
        sig = PdfFileReader(inf, strict=False).embedded_signatures[0]
        start, gap_end = sig.byte_range[1], sig.byte_range[2]
    content = cms.ContentInfo.load(bytes.fromhex(data[start + 1 : gap_end - 1].decode()), strict=False)
    content = cms.ContentInfo.load(content.dump())
    signer = content["content"]["signer_infos"][0]
    attrs = list(signer["signed_attrs"])
    kind = lambda a: a["type"].native
    if mode == "no-content-type":
        attrs = [a for a in attrs if kind(a) != "content_type"]
    elif mode == "content-type-signed-data":
        attrs = [
            cms.CMSAttribute({"type": "content_type", "values": ["signed_data"]}) if kind(a) == "content_type" else a
            for a in attrs
        ]
    elif mode == "unsorted":
        attrs = sorted(attrs, key=lambda a: a.dump(), reverse=True)
    else:
        raise SystemExit(f"unknown mode {mode}")
    # The SET OF exactly in this order (asn1crypto would sort it), signed as sent.
    body = b"".join(a.dump() for a in attrs)
    length = len(body)
    header = bytes([0x31, length]) if length < 128 else bytes([0x31, 0x82]) + length.to_bytes(2, "big")
    set_der = header + body
    key = serialization.load_pem_private_key(open(key_path, "rb").read(), password=None)
    signature = key.sign(set_der, ec.ECDSA(hashes.SHA256()))
    signer["signed_attrs"] = cms.CMSAttributes.load(set_der)
    signer["signature"] = signature
    encoded = content.dump().hex().upper().encode()
    room = gap_end - start - 2
    assert len(encoded) <= room
    data[start + 1 : gap_end - 1] = encoded + b"0" * (room - len(encoded))
    open(dst, "wb").write(bytes(data))


def pkcs7_resign(args):
    from cryptography import x509 as cx
    from cryptography.hazmat.primitives.serialization import pkcs7

    src, dst, key_path, cert_path, mode = args
    data = bytearray(open(src, "rb").read())
    with open(src, "rb") as inf:
        a, b, c, d = PdfFileReader(inf, strict=False).embedded_signatures[0].byte_range
    signed = bytes(data[a : a + b]) + bytes(data[c : c + d])
    key = serialization.load_pem_private_key(open(key_path, "rb").read(), password=None)
    leaf, *chain = cx.load_pem_x509_certificates(open(cert_path, "rb").read())
    options = [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]
    options.append({"no-ess": pkcs7.PKCS7Options.NoCapabilities, "no-attrs": pkcs7.PKCS7Options.NoAttributes}[mode])
    builder = pkcs7.PKCS7SignatureBuilder().set_data(signed).add_signer(leaf, key, hashes.SHA256())
    for ca in chain:
        builder = builder.add_certificate(ca)
    der = builder.sign(serialization.Encoding.DER, options)
    encoded = der.hex().upper().encode()
    room = c - (a + b) - 2
    assert len(encoded) <= room
    data[a + b + 1 : c - 1] = encoded + b"0" * (room - len(encoded))
    open(dst, "wb").write(bytes(data))


def dup_cert(args):
    src, dst = args
    data = bytearray(open(src, "rb").read())
    with open(src, "rb") as inf:
        sig = PdfFileReader(inf, strict=False).embedded_signatures[0]
        start, gap_end = sig.byte_range[1], sig.byte_range[2]
    # The hex string is zero-padded after the DER; a lenient load reads the DER and stops.
    content = cms.ContentInfo.load(bytes.fromhex(data[start + 1 : gap_end - 1].decode()), strict=False)
    certs = content["content"]["certificates"]
    certs.append(certs[0])
    encoded = content.dump(force=True).hex().upper().encode()
    room = gap_end - start - 2
    assert len(encoded) <= room, "no room for the repeated certificate"
    data[start + 1 : gap_end - 1] = encoded + b"0" * (room - len(encoded))
    open(dst, "wb").write(bytes(data))


def ltv(args):
    src, dst, field, root, *others = args
    context = ValidationContext(
        trust_roots=[load_cert(root)],
        other_certs=[load_cert(o) for o in others],
        allow_fetching=False,
        revocation_mode="soft-fail",
    )
    with open(src, "rb") as inf:
        reader = PdfFileReader(inf, strict=False)
        sig = next(s for s in reader.embedded_signatures if s.field_name == field)
        out = add_validation_info(sig, context, skip_timestamp=False, in_place=False)
        open(dst, "wb").write(out.getbuffer())


if __name__ == "__main__":
    {"sign": sign, "doc-timestamp": doc_timestamp, "ltv": ltv, "foreign-pki": foreign_pki, "dup-cert": dup_cert, "tsa-p384": tsa_p384, "cms-attrs": cms_attrs, "pkcs7-resign": pkcs7_resign}[sys.argv[1]](sys.argv[2:])
