//! Chinese PDFs written the ways typesetting systems write them (tests/python/cjk_pdfs.py, and
//! reportlab), read by this crate and by pdftotext (poppler, the independent reader): both must
//! give the text the generator wrote, character for character (whitespace aside).

use std::path::Path;
use std::process::Command;

fn without_space(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn generated(dir: &Path) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/python/cjk_pdfs.py");
    let status = Command::new("python3")
        .arg(script)
        .arg(dir)
        .status()
        .expect("python3 runs");
    assert!(status.success(), "cjk_pdfs.py failed");
}

fn pdftotext(path: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed by the README's test command");
    assert!(
        out.status.success(),
        "pdftotext failed on {}",
        path.display()
    );
    String::from_utf8(out.stdout).unwrap()
}

fn ours(path: &Path) -> Result<String, ecenter_extract::ExtractError> {
    ecenter_extract::text_of("application/pdf", &std::fs::read(path).unwrap(), 100_000)
}

#[test]
fn cjk_fonts_read_as_pdftotext_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    generated(dir.path());
    let mut checked = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "pdf") || path.with_extension("err").exists() {
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let expected = std::fs::read_to_string(path.with_extension("txt")).unwrap();
        let text = ours(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(without_space(&text), without_space(&expected), "{name}");
        // pdftotext writes vertical CMaps' punctuation as vertical presentation forms (︵ for
        // （); the characters meant are the horizontal ones, which is what a search needs.
        if !name.ends_with("_v") {
            assert_eq!(
                without_space(&text),
                without_space(&pdftotext(&path)),
                "{name}"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 12, "every generated readable case was read");
}

#[test]
fn text_no_method_can_read_is_a_clear_error_even_beside_readable_text() {
    let dir = tempfile::tempdir().unwrap();
    generated(dir.path());
    let mut refused = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let Ok(says) = std::fs::read_to_string(path.with_extension("err")) else {
            continue;
        };
        if path.extension().is_none_or(|e| e != "pdf") {
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let message = ours(&path).expect_err(&name).to_string();
        assert!(message.contains(&says), "{name}: {message}");
        refused += 1;
    }
    assert_eq!(refused, 5);
    let message = ours(&dir.path().join("identity_h_japan1.pdf"))
        .unwrap_err()
        .to_string();
    assert!(message.contains("PDF document is damaged"), "{message}");
    assert!(
        message.contains("Identity-H") && message.contains("no ToUnicode"),
        "{message}"
    );
}
