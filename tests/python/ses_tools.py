"""GB/T 38540 seals and seal signatures built with asn1crypto and cryptography, not by ecenter:
the 2020 layout (version 4, as ofdrw writes it) and the GM/T 0031-2014 layout (version 1).

    ses_tools.py make LAYOUT MAKER_KEY MAKER_CERT SIGNER_KEY SIGNER_CERT DOCUMENT OUT [OPTION...]
        LAYOUT is v4 or v1; the seal lists the signer's certificate; the v4 seal carries a
        non-critical extension. Options (what other writers do, right or wrong):
          --digest-list          v4: the signer by its SHA256 digest (certListType 2)
          --unknown-digest-first v4: a digest list whose first entry is in SM3, for someone else
          --fraction             v4: validStart and timeInfo with fractions of a second
          --critical-seal-ext    v4: the seal's extension marked critical (unknown OID)
          --critical-tbs-ext     v4: a critical extension (unknown OID) in TBS_Sign [0]
          --tbs-version N        v4: TBS_Sign version N instead of 4
          --header-id ID         the SES_Header id instead of "ES"
          --v1-time-garbage      v1: timeInfo bytes that are no time
          --claimed-days N       timeInfo N days from now (negative: before), no timestamp proving it
    ses_tools.py read SIGNATURE
        prints what an independent reader finds in a version-4 SES_Signature, as JSON
"""

import datetime
import hashlib
import json
import sys

from asn1crypto import core, pem, x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

ECDSA_SHA256 = "1.2.840.10045.4.3.2"


class Header(core.Sequence):
    _fields = [("id", core.IA5String), ("version", core.Integer), ("vid", core.IA5String)]


class Picture(core.Sequence):
    _fields = [("type", core.IA5String), ("data", core.OctetString), ("width", core.Integer), ("height", core.Integer)]


class ExtData(core.Sequence):
    _fields = [
        ("extn_id", core.ObjectIdentifier),
        ("critical", core.Boolean, {"default": False}),
        ("extn_value", core.OctetString),
    ]


class ExtensionDatas(core.SequenceOf):
    _child_spec = ExtData


class OctetStrings(core.SequenceOf):
    _child_spec = core.OctetString


class CertDigestObj(core.Sequence):
    _fields = [("type", core.PrintableString), ("value", core.OctetString)]


class CertDigestList(core.SequenceOf):
    _child_spec = CertDigestObj


class PropertyV4(core.Sequence):
    _fields = [
        ("type", core.Integer),
        ("name", core.UTF8String),
        ("cert_list_type", core.Integer),
        ("cert_list", core.Any),
        ("create_date", core.GeneralizedTime),
        ("valid_start", core.GeneralizedTime),
        ("valid_end", core.GeneralizedTime),
    ]


class SealInfoV4(core.Sequence):
    _fields = [
        ("header", Header),
        ("es_id", core.IA5String),
        ("property", PropertyV4),
        ("picture", Picture),
        ("ext_datas", ExtensionDatas, {"optional": True}),
    ]


class SESealV4(core.Sequence):
    _fields = [
        ("e_seal_info", SealInfoV4),
        ("cert", core.OctetString),
        ("sign_alg_id", core.ObjectIdentifier),
        ("signed_value", core.OctetBitString),
    ]


class TbsSignV4(core.Sequence):
    _fields = [
        ("version", core.Integer),
        ("eseal", SESealV4),
        ("time_info", core.GeneralizedTime),
        ("data_hash", core.OctetBitString),
        ("property_info", core.IA5String),
        ("ext_datas", ExtensionDatas, {"explicit": 0, "optional": True}),
    ]


class SignatureV4(core.Sequence):
    _fields = [
        ("to_sign", TbsSignV4),
        ("cert", core.OctetString),
        ("signature_alg_id", core.ObjectIdentifier),
        ("signature", core.OctetBitString),
        ("time_stamp", core.OctetBitString, {"explicit": 0, "optional": True}),
    ]


class PropertyV1(core.Sequence):
    _fields = [
        ("type", core.Integer),
        ("name", core.UTF8String),
        ("cert_list", OctetStrings),
        ("create_date", core.UTCTime),
        ("valid_start", core.UTCTime),
        ("valid_end", core.UTCTime),
    ]


class SealInfoV1(core.Sequence):
    _fields = [("header", Header), ("es_id", core.IA5String), ("property", PropertyV1), ("picture", Picture)]


class SignInfo(core.Sequence):
    _fields = [("cert", core.OctetString), ("signature_algorithm", core.ObjectIdentifier), ("sign_data", core.OctetBitString)]


class SESealV1(core.Sequence):
    _fields = [("eseal_info", SealInfoV1), ("sign_info", SignInfo)]


class TbsSignV1(core.Sequence):
    _fields = [
        ("version", core.Integer),
        ("eseal", SESealV1),
        ("time_info", core.OctetBitString),
        ("data_hash", core.OctetBitString),
        ("property_info", core.IA5String),
        ("cert", core.OctetString),
        ("signature_algorithm", core.ObjectIdentifier),
    ]


class SignatureV1(core.Sequence):
    _fields = [("to_sign", TbsSignV1), ("signature", core.OctetBitString)]


def der_cert(path):
    data = open(path, "rb").read()
    if pem.detect(data):
        _, _, data = next(pem.unarmor(data, multiple=True))
    return x509.Certificate.load(data).dump()


def key(path):
    return serialization.load_pem_private_key(open(path, "rb").read(), password=None)


def sign(k, data):
    return k.sign(data, ec.ECDSA(hashes.SHA256()))


def make(args):
    layout, maker_key, maker_cert, signer_key, signer_cert, document, out, *flags = args
    opt = lambda name: flags[flags.index(name) + 1] if name in flags else None
    maker_k, signer_k = key(maker_key), key(signer_key)
    maker_c, signer_c = der_cert(maker_cert), der_cert(signer_cert)
    now = datetime.datetime.now(tz=datetime.timezone.utc).replace(microsecond=0)
    start, end = now - datetime.timedelta(days=1), now + datetime.timedelta(days=365)
    if "--fraction" in flags:
        start = start.replace(microsecond=500000)
        now = now.replace(microsecond=250000)
    header_id = opt("--header-id") or "ES"
    claimed = now + datetime.timedelta(days=int(opt("--claimed-days") or 0))
    picture = Picture({"type": "PNG", "data": b"\x89PNG\r\n\x1a\n picture", "width": 40, "height": 40})
    digest = hashlib.sha256(open(document, "rb").read()).digest()
    if layout == "v4":
        if "--digest-list" in flags or "--unknown-digest-first" in flags:
            cert_list_type = 2
            entries = [{"type": "SHA256", "value": hashlib.sha256(signer_c).digest()}]
            if "--unknown-digest-first" in flags:
                entries.insert(0, {"type": "SM3", "value": b"\x11" * 32})
            cert_list = CertDigestList(entries)
        else:
            cert_list_type, cert_list = 1, OctetStrings([signer_c])
        info = SealInfoV4(
            {
                "header": {"id": header_id, "version": 4, "vid": "ofdrw-like"},
                "es_id": "4206000000099",
                "property": {
                    "type": 1,
                    "name": "外部系统制作的测试专用章",
                    "cert_list_type": cert_list_type,
                    "cert_list": core.Any.load(cert_list.dump()),
                    "create_date": now,
                    "valid_start": start,
                    "valid_end": end,
                },
                "picture": picture,
                "ext_datas": [
                    {"extn_id": "1.2.3.4.5", "critical": "--critical-seal-ext" in flags, "extn_value": b"note"}
                ],
            }
        )
        seal = SESealV4(
            {
                "e_seal_info": info,
                "cert": maker_c,
                "sign_alg_id": ECDSA_SHA256,
                "signed_value": sign(maker_k, info.dump()),
            }
        )
        tbs = {"version": int(opt("--tbs-version") or 4), "eseal": seal, "time_info": claimed,
               "data_hash": digest, "property_info": "doc-1"}
        if "--critical-tbs-ext" in flags:
            tbs["ext_datas"] = [{"extn_id": "1.2.3.4.6", "critical": True, "extn_value": b"must understand"}]
        tbs = TbsSignV4(tbs)
        sig = SignatureV4(
            {"to_sign": tbs, "cert": signer_c, "signature_alg_id": ECDSA_SHA256, "signature": sign(signer_k, tbs.dump())}
        )
    else:
        info = SealInfoV1(
            {
                "header": {"id": header_id, "version": 1, "vid": "gmt0031-2014"},
                "es_id": "4206000000098",
                "property": {
                    "type": 1,
                    "name": "2014版格式的测试专用章",
                    "cert_list": [signer_c],
                    "create_date": now,
                    "valid_start": start,
                    "valid_end": end,
                },
                "picture": picture,
            }
        )
        seal = SESealV1(
            {
                "eseal_info": info,
                "sign_info": {"cert": maker_c, "signature_algorithm": ECDSA_SHA256, "sign_data": sign(maker_k, info.dump())},
            }
        )
        tbs = TbsSignV1(
            {
                "version": 1,
                "eseal": seal,
                "time_info": b"\xff\xfegarbage\x00" if "--v1-time-garbage" in flags else claimed.strftime("%y%m%d%H%M%SZ").encode(),
                "data_hash": digest,
                "property_info": "doc-1",
                "cert": signer_c,
                "signature_algorithm": ECDSA_SHA256,
            }
        )
        sig = SignatureV1({"to_sign": tbs, "signature": sign(signer_k, tbs.dump())})
    open(out, "wb").write(sig.dump())


def read(args):
    (path,) = args
    sig = SignatureV4.load(open(path, "rb").read(), strict=True)
    info = sig["to_sign"]["eseal"]["e_seal_info"]
    print(
        json.dumps(
            {
                "version": sig["to_sign"]["version"].native,
                "header_version": info["header"]["version"].native,
                "es_id": info["es_id"].native,
                "name": info["property"]["name"].native,
                "cert_list_type": info["property"]["cert_list_type"].native,
                "signature_alg": sig["signature_alg_id"].dotted,
                "maker_alg": sig["to_sign"]["eseal"]["sign_alg_id"].dotted,
                "timestamped": sig["time_stamp"].native is not None,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    {"make": make, "read": read}[sys.argv[1]](sys.argv[2:])
