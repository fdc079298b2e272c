use super::*;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer};

/// A development PKI (ecenter-pki) in a fresh directory.
fn pki() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    ecenter_pki::init(dir.path(), false).unwrap();
    dir
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn a_certificate_or_a_crl_is_read_from_pem_or_from_der_alike() {
    let pki = pki();
    let root_pem = pki.path().join("root-ca.pem");
    let crl_pem = pki.path().join("client-ca.crl.pem");
    let root = CertificateDer::from_pem_file(&root_pem).unwrap().to_vec();
    let crl = CertificateRevocationListDer::from_pem_file(&crl_pem)
        .unwrap()
        .to_vec();
    let root_der = write(pki.path(), "root.der", &root);
    let crl_der = write(pki.path(), "crl.der", &crl);
    let one = std::slice::from_ref;
    assert_eq!(certificates(one(&root_pem)).unwrap(), [&root[..]]);
    assert_eq!(certificates(one(&root_der)).unwrap(), [&root[..]]);
    assert_eq!(crls(one(&crl_pem)).unwrap(), [&crl[..]]);
    assert_eq!(crls(one(&crl_der)).unwrap(), [&crl[..]]);
    // Several PEM blocks, with text around them as openssl x509 -text writes it.
    let both = [
        b"Certificate:\n    Data: ...\n".as_slice(),
        &std::fs::read(&root_pem).unwrap(),
        &std::fs::read(pki.path().join("seal-ca.pem")).unwrap(),
    ]
    .concat();
    let two = certificates(&[write(pki.path(), "both.pem", &both)]).unwrap();
    assert_eq!((two.len(), &two[0]), (2, &root));
    // As a Windows editor saves it: a byte-order mark first.
    let marked = [
        b"\xEF\xBB\xBF".as_slice(),
        &std::fs::read(&root_pem).unwrap(),
    ]
    .concat();
    let marked = write(pki.path(), "marked.pem", &marked);
    assert_eq!(certificates(one(&marked)).unwrap(), [&root[..]]);
}

#[test]
fn a_file_holding_none_of_what_it_should_is_an_error_naming_it() {
    let pki = pki();
    let key = pki.path().join("seal-ca.key");
    let cert = pki.path().join("root-ca.pem");
    let junk = write(pki.path(), "junk.bin", &[0x30, 0x03, 0x02, 0x01]);
    let empty = write(pki.path(), "empty.pem", b"");
    // A certificate given as a CRL, a key as a certificate, junk, nothing: each named.
    for (path, wanted) in [
        (&cert, "no CRL"),
        (&key, "no CRL"),
        (&junk, "does not parse"),
        (&empty, "no CRL"),
    ] {
        let e = crls(std::slice::from_ref(path)).unwrap_err();
        assert_eq!(&e.path, path);
        assert!(e.why.contains(wanted), "{e}");
    }
    for (path, wanted) in [
        (&key, "no certificate"),
        (&empty, "no certificate"),
        (&junk, "does not parse"),
    ] {
        let e = certificates(std::slice::from_ref(path)).unwrap_err();
        assert!(
            e.to_string().starts_with(&path.display().to_string()),
            "{e}"
        );
        assert!(e.why.contains(wanted), "{e}");
    }
    let root = CertificateDer::from_pem_file(&cert).unwrap().to_vec();
    let trailing = write(pki.path(), "trailing.der", &[&root[..], b"xx"].concat());
    let e = certificates(&[trailing]).unwrap_err();
    assert!(e.why.contains("2 bytes follow"), "{e}");
    let missing = pki.path().join("nope.pem");
    assert!(certificates(&[missing]).is_err());
}
