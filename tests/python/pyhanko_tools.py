"""Signatures made by pyHanko, not by ecenter: what other courts' and lawyers' tools put in PDFs.

    pyhanko_tools.py sign IN OUT KEY CERT [CHAIN...] [--tsa TSA_CERT TSA_KEY] [--field NAME]
                     [--certify P]
        a PAdES signature with pyHanko's defaults (ESSCertIDv2 with issuerSerial); with --tsa, a
        signature timestamp from a TSA whose genTime carries fractions of a second; with
        --certify, a certification signature with DocMDP permission P (1, 2 or 3)
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
    return EcdsaTimeStamper(tsa_cert=load_cert(cert_path), tsa_key=load_key(key_path), fixed_dt=when)


def sign(args):
    src, dst, key, cert, *rest = args
    field, tsa, chain, certify = "Signature1", None, [], None
    while rest:
        a = rest.pop(0)
        if a == "--certify":
            certify = int(rest.pop(0))
        elif a == "--tsa":
            tsa = stamper(rest.pop(0), rest.pop(0))
        elif a == "--field":
            field = rest.pop(0)
        else:
            chain.append(a)
    # ecenter-pki writes the leaf with its CA after it: pyHanko wants the leaf alone.
    leaf = load_cert(cert)
    signer = signers.SimpleSigner(
        signing_cert=leaf,
        signing_key=load_key(key),
        cert_registry=SimpleCertificateStore.from_certs([load_cert(c) for c in chain]),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=field,
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=certify is not None,
        docmdp_permissions=fields.MDPPerm(certify or 2),
    )
    with open(src, "rb") as inf:
        w = IncrementalPdfFileWriter(inf, strict=False)
        with open(dst, "wb") as out:
            signers.sign_pdf(w, meta, signer=signer, timestamper=tsa, output=out)


def doc_timestamp(args):
    src, dst, cert, key = args
    with open(src, "rb") as inf:
        w = IncrementalPdfFileWriter(inf, strict=False)
        with open(dst, "wb") as out:
            signers.PdfTimeStamper(stamper(cert, key)).timestamp_pdf(w, "sha256", output=out)


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
    {"sign": sign, "doc-timestamp": doc_timestamp, "ltv": ltv}[sys.argv[1]](sys.argv[2:])
