use super::*;

#[test]
fn only_an_smsc_receipt_is_a_receipt_whatever_a_handset_writes() {
    let mo = ReceiptFields {
        esm_class: 0x00,
        text: "id:0A1B2C stat:DELIVRD err:000".into(),
        ..Default::default()
    };
    assert_eq!(
        mo.receipt(),
        None,
        "a handset's text that looks like a receipt"
    );
    let receipt = ReceiptFields {
        esm_class: 0x04,
        ..mo.clone()
    };
    assert_eq!(receipt.receipt().unwrap().status, ReceiptStatus::Delivered);
    let by_tlv = ReceiptFields {
        esm_class: 0x00,
        text: String::new(),
        tlv_id: Some("0A1B2C".into()),
        tlv_state: Some(2),
    };
    assert!(by_tlv.receipt().is_some(), "receipt TLVs alone");
}

#[test]
fn reads_appendix_b_receipts() {
    let r = parse_receipt(
        "id:0000002A sub:001 dlvrd:001 submit date:2611281015 done date:2611281016 stat:DELIVRD err:000 text:",
        None,
        None,
    )
    .unwrap();
    assert_eq!(r.smsc_id, "0000002A");
    assert_eq!(r.status, ReceiptStatus::Delivered);
    assert_eq!(r.err, "000");
    assert_eq!(r.done_at.unwrap().to_rfc3339(), "2026-11-28T10:16:00+00:00");
}

#[test]
fn every_final_and_intermediate_word_is_read() {
    for (word, status) in [
        ("DELIVRD", ReceiptStatus::Delivered),
        ("UNDELIV", ReceiptStatus::Undeliverable),
        ("EXPIRED", ReceiptStatus::Expired),
        ("REJECTD", ReceiptStatus::Rejected),
        ("DELETED", ReceiptStatus::Deleted),
        ("ACCEPTD", ReceiptStatus::Accepted),
        ("ENROUTE", ReceiptStatus::Enroute),
        ("UNKNOWN", ReceiptStatus::Unknown),
    ] {
        let r = parse_receipt(&format!("id:7 stat:{word} err:0"), None, None).unwrap();
        assert_eq!(r.status, status, "{word}");
        assert_eq!(status.word(), word);
    }
}

#[test]
fn tlvs_win_over_the_text() {
    let r = parse_receipt("id:1 stat:DELIVRD", Some("ABC"), Some(5)).unwrap();
    assert_eq!(r.smsc_id, "ABC");
    assert_eq!(r.status, ReceiptStatus::Undeliverable);
}

#[test]
fn what_the_smsc_writes_is_never_a_reply_even_when_unreadable() {
    let cmpp = ReceiptFields {
        esm_class: 0x04,
        text: "id:0000002A sub:001 dlvrd:000 submit date:2611300900 done date:2611300901 stat:MK:0012 err:012".into(),
        ..Default::default()
    };
    assert_eq!(cmpp.receipt().unwrap().status, ReceiptStatus::Unknown);
    let intermediate = ReceiptFields {
        esm_class: 0x20,
        text: "in transit".into(),
        ..Default::default()
    };
    assert!(intermediate.from_the_smsc() && intermediate.receipt().is_none());
    let handset = ReceiptFields {
        esm_class: 0x00,
        text: "收到".into(),
        ..Default::default()
    };
    assert!(!handset.from_the_smsc());
}

#[test]
fn a_reply_from_a_handset_is_not_a_receipt() {
    assert_eq!(parse_receipt("收到，谢谢", None, None), None);
    assert_eq!(parse_receipt("id:5 but no status", None, None), None);
}

#[test]
fn plain_smpp_leaves_loopback_only_when_told_to_use_tls() {
    let mut s = SmppSettings::new("smsc.example.com", 2775, "ecenter", "secret");
    s.security = SmppSecurity::PlainLoopback;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        assert!(matches!(
            SmppGateway::start(s.clone()),
            Err(SmsError::PlainNotLoopback(_))
        ));
        s.password = "far-too-long".into();
        s.host = "127.0.0.1".into();
        assert!(matches!(
            SmppGateway::start(s),
            Err(SmsError::Setting {
                field: "password",
                ..
            })
        ));
    });
}

#[test]
fn long_text_splits_into_parts_of_67_and_never_between_a_surrogate_pair() {
    let (c, dc) = Utf16.concatenate(&"法".repeat(70), 140, 6).unwrap();
    assert!(matches!(c, Concatenation::Single(ref b) if b.len() == 140));
    assert_eq!(dc, DataCoding::Ucs2);
    let text = format!("{}𠀋{}", "院".repeat(66), "文".repeat(80));
    let (Concatenation::Concatenated(parts), _) = Utf16.concatenate(&text, 140, 6).unwrap() else {
        panic!("three parts expected")
    };
    assert_eq!(parts[0].len(), 132, "the pair moves whole to the next part");
    let joined: Vec<u16> = parts
        .concat()
        .chunks(2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .collect();
    assert_eq!(String::from_utf16(&joined).unwrap(), text);
    assert!(parts.iter().all(|p| p.len() <= 134));
}

#[test]
fn the_password_never_prints() {
    let s = SmppSettings::new("127.0.0.1", 2775, "ecenter", "s3cr3t");
    assert!(!format!("{s:?}").contains("s3cr3t"));
}

#[test]
fn a_receipt_id_after_a_space_or_with_0x_is_read() {
    let r = parse_receipt("id: 1A2B3C5E sub:001 stat:DELIVRD err:000", None, None).unwrap();
    assert_eq!(r.smsc_id, "1A2B3C5E");
    let hex = parse_receipt("id:0x1a2b3c28 stat:DELIVRD", None, None).unwrap();
    assert_eq!(
        hex.smsc_id, "0x1a2b3c28",
        "as given: the store compares it (sms_part_key)"
    );
}

#[test]
fn a_receipt_in_ucs2_is_read_as_a_receipt() {
    let text = "id:1A2B3C04 sub:001 dlvrd:001 submit date:2612061344 done date:2612061344 stat:DELIVRD err:000 text:您好";
    let ucs2: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    let fields = ReceiptFields::read(0x04, 8, &ucs2, &[]);
    let receipt = fields.receipt().expect("a receipt");
    assert_eq!(receipt.smsc_id, "1A2B3C04");
    assert_eq!(receipt.status, ReceiptStatus::Delivered);
    assert!(receipt.text.ends_with("text:您好"), "{}", receipt.text);
    // The same bytes said to be in the default alphabet are no receipt one can read.
    assert!(ReceiptFields::read(0x04, 0, &ucs2, &[]).receipt().is_none());
}
