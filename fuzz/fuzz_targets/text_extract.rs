//! FindSimilar's text extraction: the first byte chooses OFD, DOCX or PDF, the rest is the
//! document; the query wants 20,000 characters, as the hub's does.
#![no_main]

mod budget;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((kind, document)) = data.split_first() else {
        return;
    };
    let media_type = match kind % 3 {
        0 => "application/ofd",
        1 => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "application/pdf",
    };
    let _ = budget::within(|| ecenter_extract::text_of(media_type, document, 20_000));
});
