use super::*;

fn ucs2(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

/// A part's user data: a header with a concatenation IE (8-bit or 16-bit reference), then text.
fn part(reference: u16, total: u8, number: u8, wide: bool, text: &str) -> Vec<u8> {
    let mut ud = if wide {
        let [r1, r2] = reference.to_be_bytes();
        vec![6, 0x08, 4, r1, r2, total, number]
    } else {
        vec![5, 0x00, 3, u8::try_from(reference).unwrap(), total, number]
    };
    ud.extend(ucs2(text));
    ud
}

#[test]
fn a_header_with_either_reference_width_is_read_and_other_ies_are_skipped() {
    let c = concatenation(0x40, &part(0x2A, 3, 2, false, "收"), &[]).unwrap();
    assert_eq!(
        (c.reference, c.total, c.number, c.body_from),
        (0x2A, 3, 2, 6)
    );
    let c = concatenation(0x40, &part(0x1234, 2, 1, true, "收"), &[]).unwrap();
    assert_eq!(
        (c.reference, c.total, c.number, c.body_from),
        (0x1234, 2, 1, 7)
    );
    // A port IE (0x05) before the concatenation IE.
    let ud = [11, 0x05, 4, 0, 0, 0, 0, 0x00, 3, 7, 2, 2, b'A'];
    assert_eq!(concatenation(0x40, &ud, &[]).map(|c| c.reference), Some(7));
}

#[test]
fn no_header_a_single_part_or_a_broken_header_is_no_concatenation() {
    assert!(
        concatenation(0x00, &part(1, 2, 1, false, "x"), &[]).is_none(),
        "no UDHI"
    );
    assert!(
        concatenation(0x40, &part(1, 1, 1, false, "x"), &[]).is_none(),
        "one part"
    );
    assert!(
        concatenation(0x40, &part(1, 2, 3, false, "x"), &[]).is_none(),
        "part 3 of 2"
    );
    assert!(
        concatenation(0x40, &[9, 0x00, 3, 1], &[]).is_none(),
        "header past the end"
    );
    assert!(concatenation(0x40, &[], &[]).is_none());
}

#[test]
fn parts_in_any_order_make_one_message_with_one_ack_each() {
    let mut r = Reassembly::default();
    let now = Instant::now();
    let c = |n| concatenation(0x40, &part(9, 3, n, false, ""), &[]).unwrap();
    let from = || ("13800138000".to_string(), 8);
    assert!(r.add(from(), c(3), (ucs2("谢。"), 3), now).is_empty());
    assert!(r.add(from(), c(1), (ucs2("已收"), 1), now).is_empty());
    // The same reference from another number is another message.
    let other = ("13900000000".to_string(), 8);
    assert!(r.add(other, c(1), (ucs2("别的"), 7), now).is_empty());
    let ready = r.add(from(), c(2), (ucs2("到，谢"), 2), now);
    assert_eq!(ready.len(), 1);
    let whole = &ready[0];
    assert_eq!(
        crate::sms_reply::decode(0, 8, &whole.body),
        "已收到，谢谢。"
    );
    assert_eq!(whole.acks, [1, 2, 3]);
    assert!(whole.complete);
}

#[test]
fn parts_whose_rest_never_comes_are_handed_over_incomplete_after_the_wait() {
    let mut r = Reassembly::default();
    let start = Instant::now();
    let c = |reference, n| concatenation(0x40, &part(reference, 2, n, false, ""), &[]).unwrap();
    let from = || ("13800138000".to_string(), 8);
    assert!(r.add(from(), c(1, 1), (ucs2("前半"), 1), start).is_empty());
    let later = start + STALE_AFTER;
    let ready = r.add(from(), c(2, 1), (ucs2("另一条"), 2), later);
    assert_eq!(ready.len(), 1, "the first message, as it came");
    assert!(!ready[0].complete);
    assert_eq!(ready[0].acks, [1]);
}

#[test]
fn a_part_sent_again_replaces_the_earlier_copy() {
    let mut r = Reassembly::default();
    let now = Instant::now();
    let c = |n| concatenation(0x40, &part(5, 2, n, false, ""), &[]).unwrap();
    let from = || ("13800138000".to_string(), 8);
    assert!(r.add(from(), c(1), (ucs2("甲"), 1), now).is_empty());
    assert!(r.add(from(), c(1), (ucs2("甲"), 11), now).is_empty());
    let ready = r.add(from(), c(2), (ucs2("乙"), 2), now);
    assert_eq!(ready[0].acks, [11, 2]);
    assert_eq!(crate::sms_reply::decode(0, 8, &ready[0].body), "甲乙");
}
