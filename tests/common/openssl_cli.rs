//! OpenSSL's command line: the independent judge of keys and signatures the hub makes, and the
//! maker of keys the hub did not.

/// Runs `openssl` with `args` and returns its standard output; it must succeed.
pub fn openssl(args: &[&str]) -> Vec<u8> {
    let out = std::process::Command::new("openssl")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "openssl {args:?}: {out:?}");
    out.stdout
}

/// Has OpenSSL make an ECDSA P-256 key at `path`; returns its public key as PEM.
pub fn openssl_p256_key(path: &str) -> String {
    let curve = "ec_paramgen_curve:P-256";
    openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        curve,
        "-out",
        path,
    ]);
    String::from_utf8(openssl(&["pkey", "-in", path, "-pubout"])).unwrap()
}
