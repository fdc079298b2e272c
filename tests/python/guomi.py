"""An independent judge of ecenter's SM2/SM3 (国密) artefacts: asn1crypto parses, gmssl (pure
Python, PyPI) hashes and checks signatures under the GM/T 0009 ID 1234567812345678. Nothing here
shares code with ecenter.

    guomi.py ses SIGNATURE DOCUMENT
        checks a version-4 SES_Signature (GB/T 38540-2020) over DOCUMENT: the signer's SM2
        signature over TBS_Sign, dataHash = SM3(DOCUMENT), the maker's SM2 signature over
        SES_SealInfo; prints JSON {"algorithm", "signature", "data_hash", "seal"}
    guomi.py tst TOKEN DATA
        checks an RFC 3161 / GM/T 0033 token: imprint = SM3(DATA), messageDigest = SM3(TSTInfo),
        the TSA's SM2 signature over the signed attributes; prints JSON
    guomi.py crl CRL_PEM ISSUER_PEM
        checks a CRL's SM2 signature by its issuer; prints JSON {"signature", "revoked"}
    guomi.py sign KEY_PEM DATA OUT
        writes a DER SM2 signature over DATA made by gmssl (a foreign signer)
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
    sig = algos.DSASignature.load(signature_der)
    rs = "%064x%064x" % (sig["r"].native, sig["s"].native)
    return sm2.CryptSM2(private_key=None, public_key=point_of(cert)).verify_with_sm3(rs, message)


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
    key = keys.PrivateKeyInfo.load(der_file(key_path))
    scalar = key["private_key"].parsed["private_key"].native
    private = "%064x" % scalar
    crypt = sm2.CryptSM2(private_key=private, public_key="")
    crypt.public_key = crypt._kg(int(private, 16), crypt.ecc_table["g"])
    rs = crypt.sign_with_sm3(open(data_path, "rb").read())
    r, s = int(rs[:64], 16), int(rs[64:], 16)
    open(out_path, "wb").write(algos.DSASignature({"r": r, "s": s}).dump())
    return {"public_key": "04" + crypt.public_key}


def main():
    command, args = sys.argv[1], sys.argv[2:]
    result = {"ses": ses, "tst": tst, "crl": crl_check, "sign": sign}[command](*args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
