//! Who the recipients' page records at the other end.

use super::*;

/// A user agent in Chinese is kept as sent, a hidden character in it written out, and a long one
/// cut at 200 characters (outside tests, round 15, F8: a non-ASCII agent was dropped).
#[test]
fn the_client_is_recorded_with_its_user_agent_as_sent() {
    let peer: SocketAddr = "203.0.113.7:443".parse().unwrap();
    let with = |agent: &[u8]| {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::USER_AGENT,
            header::HeaderValue::from_bytes(agent).unwrap(),
        );
        client(peer, &headers)
    };
    assert_eq!(
        with("Mozilla/5.0 手机浏览器".as_bytes()),
        "203.0.113.7 Mozilla/5.0 手机浏览器"
    );
    assert_eq!(
        with("UA \u{202e}gpj".as_bytes()),
        "203.0.113.7 UA [U+202E]gpj"
    );
    assert_eq!(with(&[b'a'; 300]).len(), "203.0.113.7 ".len() + 200);
    assert_eq!(client(peer, &HeaderMap::new()), "203.0.113.7");
}

#[test]
fn a_document_has_one_path() {
    assert_eq!(document_number("1"), Some(1));
    assert_eq!(document_number("12"), Some(12));
    for variant in ["", "0", "01", "+1", "1.0", " 1", "１", "9999999"] {
        assert_eq!(document_number(variant), None, "{variant:?}");
    }
}
