//! A seal a reader shows where a court expects it: inside the crop box, in the lower right corner
//! of the page as displayed, upright on pages rotated 90, 180 and 270 degrees (also when the
//! rotation is inherited from the page tree). poppler's pdftoppm renders the page as readers show
//! it (`-cropbox`), and the picture's pixels are looked for: the test seal is red above and blue
//! below, so "upright" is red over blue.

mod common;

use common::pdf::{seal_with, try_seal_with};
use ecenter_pdfseal::Placement;
use lopdf::Object;
use std::process::Command;

/// A 64×64 seal picture: red upper half, blue lower half.
fn two_colour_png() -> Vec<u8> {
    let mut pixels = Vec::with_capacity(64 * 64 * 3);
    for y in 0..64 {
        for _ in 0..64 {
            pixels.extend_from_slice(if y < 32 { &[255, 0, 0] } else { &[0, 0, 255] });
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, 64, 64);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .unwrap()
        .write_image_data(&pixels)
        .unwrap();
    out
}

/// The sample page with `crop` as its CropBox and `rotate` set on the page or on the page tree.
fn page_with(crop: Option<[i64; 4]>, rotate: i64, on_tree: bool) -> Vec<u8> {
    let mut doc = lopdf::Document::load_mem(&ecenter_pdfseal::sample_pdf(1, 0)).unwrap();
    let page = *doc.get_pages().get(&1).unwrap();
    let parent = doc
        .get_dictionary(page)
        .unwrap()
        .get(b"Parent")
        .unwrap()
        .as_reference()
        .unwrap();
    let target = if on_tree { parent } else { page };
    let dict = doc.get_dictionary_mut(target).unwrap();
    if rotate != 0 {
        dict.set("Rotate", rotate);
    }
    if let Some(c) = crop {
        doc.get_dictionary_mut(page).unwrap().set(
            "CropBox",
            Object::Array(c.iter().map(|v| (*v).into()).collect()),
        );
    }
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

/// Where the red and the blue pixels are in the page as rendered: (width, height, red centre,
/// blue centre, red count), centres in pixels from the top left.
fn rendered(pdf: &[u8]) -> (f64, f64, (f64, f64), (f64, f64), usize) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sealed.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = Command::new("pdftoppm")
        .args(["-cropbox", "-png", "-r", "36", "-singlefile"])
        .arg(&file)
        .arg(dir.path().join("page"))
        .output()
        .expect("pdftoppm is installed by scripts/test (Debian's poppler-utils)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(dir.path().join("page.png")).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let (mut red, mut blue) = (Vec::new(), Vec::new());
    for y in 0..info.height as usize {
        for x in 0..info.width as usize {
            let at = (y * info.width as usize + x) * channels;
            let (r, g, b) = (buf[at], buf[at + 1], buf[at + 2]);
            if r > 200 && g < 60 && b < 60 {
                red.push((x as f64, y as f64));
            } else if b > 200 && r < 60 && g < 60 {
                blue.push((x as f64, y as f64));
            }
        }
    }
    let centre = |v: &[(f64, f64)]| {
        let n = v.len().max(1) as f64;
        (
            v.iter().map(|p| p.0).sum::<f64>() / n,
            v.iter().map(|p| p.1).sum::<f64>() / n,
        )
    };
    (
        info.width as f64,
        info.height as f64,
        centre(&red),
        centre(&blue),
        red.len(),
    )
}

fn seal(pdf: &[u8]) -> Vec<u8> {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let placement = Placement {
        picture: Some(two_colour_png()),
        ..Placement::default()
    };
    seal_with(pki.path(), pdf, &placement)
}

#[test]
fn the_seal_is_inside_the_crop_box_lower_right_and_upright_at_every_rotation() {
    let cases = [
        ("no rotation", None, 0, false),
        (
            "a crop box smaller than the media box",
            Some([100, 150, 420, 600]),
            0,
            false,
        ),
        ("rotated 90", None, 90, false),
        ("rotated 180", None, 180, false),
        ("rotated 270", None, 270, false),
        (
            "rotated 90 through the page tree, with a crop box",
            Some([50, 80, 500, 760]),
            90,
            true,
        ),
        ("rotated -90 (270)", None, -90, false),
    ];
    for (what, crop, rotate, on_tree) in cases {
        let (w, h, red, blue, seen) = rendered(&seal(&page_with(crop, rotate, on_tree)));
        assert!(
            seen > 50,
            "{what}: the seal is not visible ({seen} red pixels)"
        );
        // Lower right as displayed (pixels from the top left).
        for (x, y) in [red, blue] {
            assert!(
                x > w / 2.0 && y > h / 2.0,
                "{what}: the seal is at ({x:.0}, {y:.0}) of {w:.0}×{h:.0}"
            );
        }
        // Upright: red above blue, one over the other.
        assert!(
            red.1 < blue.1,
            "{what}: red at {red:?}, blue at {blue:?}: not upright"
        );
        assert!(
            (red.0 - blue.0).abs() < 3.0,
            "{what}: red at {red:?}, blue at {blue:?}: turned sideways"
        );
    }
}

/// A form that asks readers to regenerate appearances (/NeedAppearances true, ISO 32000-1 §12.7.2,
/// as many form tools leave it): the seal must still be drawn.
#[test]
fn a_form_with_need_appearances_still_shows_the_seal() {
    let mut doc = lopdf::Document::load_mem(&ecenter_pdfseal::sample_pdf(1, 0)).unwrap();
    let page = *doc.get_pages().get(&1).unwrap();
    let mut field = lopdf::Dictionary::new();
    field.set("FT", Object::Name(b"Tx".to_vec()));
    field.set("T", Object::string_literal("party"));
    field.set("V", Object::string_literal("ZHANG San"));
    field.set("DA", Object::string_literal("/Helv 12 Tf 0 g"));
    field.set("Type", Object::Name(b"Annot".to_vec()));
    field.set("Subtype", Object::Name(b"Widget".to_vec()));
    field.set(
        "Rect",
        Object::Array(vec![72.into(), 600.into(), 300.into(), 630.into()]),
    );
    field.set("P", Object::Reference(page));
    let field_id = doc.add_object(field);
    doc.get_dictionary_mut(page)
        .unwrap()
        .set("Annots", Object::Array(vec![Object::Reference(field_id)]));
    let mut acro = lopdf::Dictionary::new();
    acro.set("Fields", Object::Array(vec![Object::Reference(field_id)]));
    acro.set("NeedAppearances", Object::Boolean(true));
    let acro_id = doc.add_object(acro);
    let catalog = doc.trailer.get(b"Root").unwrap().as_reference().unwrap();
    doc.get_dictionary_mut(catalog)
        .unwrap()
        .set("AcroForm", Object::Reference(acro_id));
    let mut pdf = Vec::new();
    doc.save_to(&mut pdf).unwrap();
    let (w, h, red, _, seen) = rendered(&seal(&pdf));
    assert!(seen > 50, "the seal is not drawn ({seen} red pixels)");
    assert!(red.0 > w / 2.0 && red.1 > h / 2.0, "{red:?}");
}

/// A position the caller gives is checked against what a reader shows: no number (NaN, infinity)
/// would write a rectangle no reader can read, and a seal off the crop box is one nobody sees
/// (outsider, session 46: both were sealed and verified). One inside is where it is drawn, and
/// qpdf finds the file sound.
#[test]
fn a_position_off_the_visible_page_is_refused_and_one_on_it_is_kept() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let page = page_with(Some([100, 100, 500, 700]), 0, false);
    let at = |x: f32, y: f32| Placement {
        origin: Some((x, y)),
        picture: Some(two_colour_png()),
        ..Placement::default()
    };
    for (x, y) in [
        (f32::NAN, 200.0),
        (200.0, f32::INFINITY),
        (-50.0, 200.0),
        (1.0e9, 200.0),
        (50.0, 200.0),
        (400.0, 200.0),
        (200.0, 650.0),
    ] {
        let refused = try_seal_with(pki.path(), &page, &at(x, y)).unwrap_err();
        assert!(
            matches!(refused, ecenter_pdfseal::PdfSealError::BadRequest(ref why) if why.contains("visible area")),
            "({x}, {y}): {refused:?}"
        );
    }
    let sealed = try_seal_with(pki.path(), &page, &at(150.0, 150.0)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sealed.pdf");
    std::fs::write(&file, &sealed).unwrap();
    let check = Command::new("qpdf")
        .arg("--check")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    // Drawn where asked: in the lower left quarter of the visible page.
    let (width, height, red, _, count) = rendered(&sealed);
    assert!(count > 0, "the seal is drawn");
    assert!(
        red.0 < width / 2.0 && red.1 > height / 2.0,
        "{red:?} of {width}×{height}"
    );
}
