"""An independent judge of ecenter's SM2/SM3 (国密) artefacts: asn1crypto parses, gmssl and gmalg
(pure Python, PyPI) hash and check signatures under the GM/T 0009 ID 1234567812345678, and must
agree. Nothing here shares code with ecenter.

    guomi.py ses SIGNATURE DOCUMENT
        checks a version-4 SES_Signature (GB/T 38540-2020) over DOCUMENT: the signer's SM2
        signature over TBS_Sign, dataHash = SM3(DOCUMENT), the maker's SM2 signature over
        SES_SealInfo; prints JSON {"algorithm", "signature", "data_hash", "seal"}
    guomi.py tst TOKEN DATA
        checks an RFC 3161 / GM/T 0033 token: imprint = SM3(DATA), messageDigest = SM3(TSTInfo),
        the TSA's SM2 signature over the signed attributes; prints JSON
    guomi.py crl CRL_PEM ISSUER_PEM
        checks a CRL's SM2 signature by its issuer; prints JSON {"signature", "revoked"}
    guomi.py parts SIGNATURE OUT_JSON
        writes the SES_Signature's two signed messages (TBS_Sign by the signer, SES_SealInfo by
        the maker) with their public keys and signatures, for another judge (tests/smcrypto)
    guomi.py sign KEY_PEM DATA OUT
        writes a DER SM2 signature over DATA made by gmalg (a foreign signer)
    guomi.py make-ses MAKER_KEY MAKER_CERT SIGNER_KEY SIGNER_CERT DOCUMENT OUT [sha256]
        a version-4 SES_Signature in SM2 made here, its seal naming the signer by an SM3 digest
        of the certificate (certListType 2), as GM/T vendors write it; with `sha256`, the dataHash
        is (wrongly) the document's SHA-256
    guomi.py make-tst KEY CERT DATA OUT VARIANT [OTHER_CERT]
        an RFC 3161 / GM/T 0033 token over DATA signed by gmssl; VARIANT is good,
        other-cert (ESSCertIDv2 names OTHER_CERT), no-signing-cert, content-type-data or future
        (genTime 30 days ahead)
    guomi.py make-crl CA_KEY CA_CERT OUT NEXT_UPDATE_DAYS [SERIAL_HEX...]
        a CRL signed in SM2 by the CA, issued ten days ago, next update in NEXT_UPDATE_DAYS days
        (negative: already out of date), listing SERIAL_HEX
"""

import json
import os
import sys

from asn1crypto import algos, cms, core, crl, keys, pem, tsp, x509
from gmssl import sm2, sm3, func

sys.path.insert(0, os.path.dirname(__file__))
from ses_tools import SealInfoV4, SignatureV4  # noqa: E402  (GB/T 38540 structures only)

SM2_WITH_SM3 = "1.2.156.10197.1.501"
SM3 = "1.2.156.10197.1.401"


def sm3_of(data):
    return bytes.fromhex(sm3.sm3_hash(func.bytes_to_list(data)))


def point_of(cert):
    """The uncompressed public point without its 04 prefix, as gmssl wants it (hex)."""
    return cert.public_key["public_key"].native.hex()[2:]


def verify(cert, signature_der, message):
    """gmalg's verdict on a DER SM2 signature, with gmssl's as a second opinion: they must agree
    (gmssl 3.2.2 raises on some valid points — a known fault of its Jacobian conversion — and is
    then not counted)."""
    import gmalg

    sig = algos.DSASignature.load(signature_der)
    r, s = sig["r"].native, sig["s"].native
    if not (0 < r < 2**256 and 0 < s < 2**256):
        return False
    point = cert.public_key["public_key"].native
    verdict = gmalg.SM2(pk=point, uid=b"1234567812345678").verify(message, r.to_bytes(32, "big"), s.to_bytes(32, "big"))
    try:
        rs = "%064x%064x" % (r, s)
        second = sm2.CryptSM2(private_key=None, public_key=point.hex()[2:]).verify_with_sm3(rs, message)
    except Exception:  # noqa: BLE001 — gmssl's own fault, see above
        second = verdict
    if bool(second) != bool(verdict):
        raise SystemExit(f"gmalg ({verdict}) and gmssl ({second}) disagree")
    return bool(verdict)


def der_file(path):
    data = open(path, "rb").read()
    if pem.detect(data):
        _, _, data = pem.unarmor(data, multiple=True).__next__()
    return data


def ses(signature_path, document_path):
    sig = SignatureV4.load(open(signature_path, "rb").read())
    tbs = sig["to_sign"]
    signer = x509.Certificate.load(sig["cert"].native)
    seal = tbs["eseal"]
    maker = x509.Certificate.load(seal["cert"].native)
    document = open(document_path, "rb").read()
    return {
        "algorithm": [sig["signature_alg_id"].dotted, seal["sign_alg_id"].dotted],
        "signature": verify(signer, sig["signature"].native, tbs.dump()),
        "data_hash": tbs["data_hash"].native == sm3_of(document),
        "seal": verify(maker, seal["signed_value"].native, seal["e_seal_info"].dump()),
    }


def parts(signature_path, out_path):
    sig = SignatureV4.load(open(signature_path, "rb").read())
    tbs = sig["to_sign"]
    seal = tbs["eseal"]
    pairs = [
        ("signature", x509.Certificate.load(sig["cert"].native), tbs.dump(), sig["signature"].native),
        ("seal", x509.Certificate.load(seal["cert"].native), seal["e_seal_info"].dump(), seal["signed_value"].native),
    ]
    out = [
        {"label": label, "public_hex": cert.public_key["public_key"].native.hex(),
         "message_hex": message.hex(), "signature_hex": signature.hex()}
        for label, cert, message, signature in pairs
    ]
    open(out_path, "w").write(json.dumps(out))
    return {"parts": len(out)}


def tst(token_path, data_path):
    info = cms.ContentInfo.load(open(token_path, "rb").read())
    sd = info["content"]
    tst_der = sd["encap_content_info"]["content"].parsed.dump()
    tst_info = tsp.TSTInfo.load(tst_der)
    signer = sd["signer_infos"][0]
    cert = [c.chosen for c in sd["certificates"]][0]
    attrs = signer["signed_attrs"]
    digest = [a["values"][0].native for a in attrs if a["type"].native == "message_digest"][0]
    imprint = tst_info["message_imprint"]
    data = open(data_path, "rb").read()
    signed = attrs.untag().dump()
    signed = b"\x31" + signed[1:]  # the SET OF, as signed (RFC 5652 §5.4)
    return {
        "algorithm": [signer["digest_algorithm"]["algorithm"].dotted, signer["signature_algorithm"]["algorithm"].dotted],
        "imprint": imprint["hash_algorithm"]["algorithm"].dotted == SM3 and imprint["hashed_message"].native == sm3_of(data),
        "message_digest": digest == sm3_of(tst_der),
        "signature": verify(cert, signer["signature"].native, signed),
        "gen_time": tst_info["gen_time"].native.isoformat(),
    }


def crl_check(crl_path, issuer_path):
    cl = crl.CertificateList.load(der_file(crl_path))
    issuer = x509.Certificate.load(der_file(issuer_path))
    return {
        "algorithm": cl["signature_algorithm"]["algorithm"].dotted,
        "signature": verify(issuer, cl["signature"].native, cl["tbs_cert_list"].dump()),
        "revoked": ["%x" % r["user_certificate"].native for r in cl["tbs_cert_list"]["revoked_certificates"]],
    }


def sign(key_path, data_path, out_path):
    der = sm2_sign(key_path, open(data_path, "rb").read())
    open(out_path, "wb").write(der)
    return {"bytes": len(der)}


def sm2_sign(key_path, data):
    """A DER SM2 signature by the PKCS#8 key at key_path, made by gmalg (ID 1234567812345678)."""
    import gmalg

    key = keys.PrivateKeyInfo.load(der_file(key_path))
    scalar = key["private_key"].parsed["private_key"].native
    r, s = gmalg.SM2(sk=scalar.to_bytes(32, "big"), uid=b"1234567812345678").sign(data)
    return algos.DSASignature({"r": int.from_bytes(r, "big"), "s": int.from_bytes(s, "big")}).dump()


def hash_of(name, data):
    import hashlib

    return hashlib.sha256(data).digest() if name == "sha256" else sm3_of(data)


def make_ses(maker_key, maker_cert, signer_key, signer_cert, document, out, data_hash="sm3"):
    import datetime

    from ses_tools import CertDigestList, SESealV4, TbsSignV4

    maker_c, signer_c = der_file(maker_cert), der_file(signer_cert)
    now = datetime.datetime.now(tz=datetime.timezone.utc).replace(microsecond=0)
    cert_list = CertDigestList([{"type": "SM3", "value": sm3_of(signer_c)}])
    info = SealInfoV4({
        "header": {"id": "ES", "version": 4, "vid": "gmssl-test"},
        "es_id": "4206000000077",
        "property": {
            "type": 1, "name": "外部国密系统制作的测试专用章", "cert_list_type": 2,
            "cert_list": core.Any.load(cert_list.dump()), "create_date": now,
            "valid_start": now - datetime.timedelta(days=1), "valid_end": now + datetime.timedelta(days=30),
        },
        "picture": {"type": "PNG", "data": b"\x89PNG\r\n\x1a\n picture", "width": 40, "height": 40},
    })
    seal = SESealV4({"e_seal_info": info, "cert": maker_c, "sign_alg_id": SM2_WITH_SM3,
                     "signed_value": sm2_sign(maker_key, info.dump())})
    tbs = TbsSignV4({"version": 4, "eseal": seal, "time_info": now,
                     "data_hash": hash_of(data_hash, open(document, "rb").read()), "property_info": "doc-sm3"})
    sig = SignatureV4({"to_sign": tbs, "cert": signer_c, "signature_alg_id": SM2_WITH_SM3,
                       "signature": sm2_sign(signer_key, tbs.dump())})
    open(out, "wb").write(sig.dump())
    return {"bytes": len(sig.dump())}


def make_tst(key_path, cert_path, data_path, out, variant, other_cert=None):
    import datetime

    cert_der = der_file(cert_path)
    cert = x509.Certificate.load(cert_der)
    when = datetime.datetime.now(tz=datetime.timezone.utc).replace(microsecond=0)
    if variant == "future":
        when += datetime.timedelta(days=30)
    info = tsp.TSTInfo({
        "version": "v1", "policy": "1.3.6.1.4.1.59648.1.1",
        "message_imprint": {"hash_algorithm": {"algorithm": SM3}, "hashed_message": sm3_of(open(data_path, "rb").read())},
        "serial_number": 4711, "gen_time": when,
    })
    named = der_file(other_cert) if variant == "other-cert" else cert_der
    attrs = [
        {"type": "content_type", "values": ["data" if variant == "content-type-data" else "tst_info"]},
        {"type": "message_digest", "values": [sm3_of(info.dump())]},
    ]
    if variant != "no-signing-cert":
        v2 = tsp.SigningCertificateV2({"certs": [{"hash_algorithm": {"algorithm": SM3}, "cert_hash": sm3_of(named)}]})
        attrs.append({"type": "signing_certificate_v2", "values": [v2]})
    signed_attrs = cms.CMSAttributes(attrs)
    signer = cms.SignerInfo({
        "version": "v1",
        "sid": {"issuer_and_serial_number": {"issuer": cert.issuer, "serial_number": cert.serial_number}},
        "digest_algorithm": {"algorithm": SM3},
        "signed_attrs": signed_attrs,
        "signature_algorithm": {"algorithm": SM2_WITH_SM3},
        "signature": sm2_sign(key_path, signed_attrs.dump()),
    })
    sd = cms.SignedData({
        "version": "v3", "digest_algorithms": [{"algorithm": SM3}],
        "encap_content_info": {"content_type": "tst_info", "content": info},
        "certificates": [cert], "signer_infos": [signer],
    })
    open(out, "wb").write(cms.ContentInfo({"content_type": "signed_data", "content": sd}).dump())
    return {"variant": variant}


def make_crl(ca_key, ca_cert, out, next_days, *serials):
    import datetime

    ca = x509.Certificate.load(der_file(ca_cert))
    now = datetime.datetime.now(tz=datetime.timezone.utc).replace(microsecond=0)
    tbs = crl.TbsCertList({
        "version": "v2",
        "signature": {"algorithm": SM2_WITH_SM3},
        "issuer": ca.subject,
        "this_update": x509.Time({"utc_time": now - datetime.timedelta(days=10)}),
        "next_update": x509.Time({"utc_time": now + datetime.timedelta(days=int(next_days))}),
        "revoked_certificates": [
            {"user_certificate": int(h, 16), "revocation_date": x509.Time({"utc_time": now - datetime.timedelta(days=9)})} for h in serials
        ] or None,
        "crl_extensions": [
            {"extn_id": "crl_number", "critical": False, "extn_value": 1},
            {"extn_id": "authority_key_identifier", "critical": False,
             "extn_value": {"key_identifier": ca.key_identifier}},
        ],
    })
    signed = crl.CertificateList({
        "tbs_cert_list": tbs,
        "signature_algorithm": {"algorithm": SM2_WITH_SM3},
        "signature": sm2_sign(ca_key, tbs.dump()),
    })
    open(out, "wb").write(pem.armor("X509 CRL", signed.dump()))
    return {"next_update_days": int(next_days)}


def main():
    command, args = sys.argv[1], sys.argv[2:]
    commands = {"ses": ses, "parts": parts, "tst": tst, "crl": crl_check, "sign": sign, "make-ses": make_ses, "make-tst": make_tst, "make-crl": make_crl}
    result = commands[command](*args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
