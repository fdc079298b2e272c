//! Plain PDFs for tests, benchmarks and examples: what the sealer and verifier are tried on.

/// A plain, valid PDF of `pages` A4 pages, each with a line of text and then filler text up to about
/// `page_bytes` bytes of content: what the tests and benchmarks seal.
pub fn sample_pdf(pages: usize, page_bytes: usize) -> Vec<u8> {
    sample_pdf_titled("Judgment page", pages, page_bytes)
}

/// [`sample_pdf`] whose pages begin with `title` (and the page number when there are several).
pub fn sample_pdf_titled(title: &str, pages: usize, page_bytes: usize) -> Vec<u8> {
    let mut objects: Vec<String> = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".into(),
        String::new(), // the page tree, once the pages are numbered
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".into(),
    ];
    let mut kids = Vec::new();
    for p in 0..pages {
        let heading = if pages == 1 {
            title.to_string()
        } else {
            format!("{title} {}", p + 1)
        };
        let mut content = format!("BT /F1 12 Tf 72 720 Td ({heading}) Tj ET\n");
        let mut y = 700;
        while content.len() < page_bytes {
            content.push_str(&format!(
                "BT /F1 6 Tf 72 {y} Td (filler line of the judgment text) Tj ET\n"
            ));
            y = if y <= 80 { 700 } else { y - 8 };
        }
        let page_id = objects.len() + 1;
        kids.push(format!("{page_id} 0 R"));
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {} 0 R /Resources << /Font << /F1 3 0 R >> >> >>",
            page_id + 1
        ));
        objects.push(format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ));
    }
    objects[1] = format!(
        "<< /Type /Pages /Kids [{}] /Count {pages} >>",
        kids.join(" ")
    );
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}
