//! E-mail notices sent to a real SMTP server on loopback (aiosmtpd from PyPI, installed by
//! scripts/test), read back with Python's own mail parser: Chinese subject and body, the link, the
//! Message-ID the outbox chose; a server that is down is a temporary failure, a bad address final.

use ecenter_delivery::email::{Mailer, SmtpConfig, SmtpSecurity};
use ecenter_delivery::notice::{NoticeContext, email};
use ecenter_delivery::policy::Attempt;
mod common;

use common::smtp::{free_port, received, start_aiosmtpd};
use std::time::Duration;

fn config(port: u16) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::PlainLoopback,
        credentials: None,
        from: "湖北省襄阳市中级人民法院 <songda@court.example>".into(),
        envelope_from: None,
        dkim: None,
        relay_ca_pem: None,
        pool_size: 4,
        timeout: Duration::from_secs(10),
    }
}

fn notice() -> NoticeContext {
    NoticeContext {
        court: "湖北省襄阳市中级人民法院".into(),
        case_number: "（2026）鄂06民初123号".into(),
        recipient: "张三".into(),
        documents: vec!["民事判决书".into()],
        link: "https://ecenter.example/s/token.tag".into(),
        expires_at: chrono::DateTime::parse_from_rfc3339("2026-12-05T16:30:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc),
        contact: "书记员 李四 0710-1234567".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_reaches_a_real_smtp_server_in_chinese_with_its_message_id() {
    let dir = tempfile::tempdir().unwrap();
    // aiosmtpd's Mailbox handler makes the maildir itself (tmp/, new/, cur/) when it does not exist.
    let maildir = dir.path().join("mail");
    let server = start_aiosmtpd(&maildir);
    let mailer = Mailer::new(&config(server.addr.port())).unwrap();
    let (subject, body) = email(&notice());
    let outcome = mailer
        .send(
            "zhangsan@example.cn",
            &subject,
            &body,
            "S000001.R1.email.1@ecenter",
        )
        .await;
    assert_eq!(outcome, Attempt::Accepted);
    let mails = received(&maildir);
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert_eq!(m["subject"], subject);
    assert_eq!(m["message_id"], "<S000001.R1.email.1@ecenter>");
    assert!(m["to"].as_str().unwrap().contains("zhangsan@example.cn"));
    let text = m["body"].as_str().unwrap();
    assert!(
        text.contains("https://ecenter.example/s/token.tag"),
        "{text}"
    );
    assert!(
        text.contains("民事判决书") && text.contains("北京时间"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_is_down_is_temporary_and_a_bad_address_is_final() {
    let mailer = Mailer::new(&config(free_port())).unwrap();
    let outcome = mailer
        .send("zhangsan@example.cn", "s", "b", "x@ecenter")
        .await;
    assert!(matches!(outcome, Attempt::Temporary(_)), "{outcome:?}");
    let outcome = mailer.send("not an address", "s", "b", "y@ecenter").await;
    assert!(
        matches!(outcome, Attempt::Permanent(ref m) if m.contains("not an e-mail address")),
        "{outcome:?}"
    );
    // Plaintext is for a relay on loopback only.
    let mut remote = config(25);
    remote.host = "mail.example.cn".into();
    let Err(e) = Mailer::new(&remote) else {
        panic!("plaintext to a remote relay was accepted");
    };
    assert!(e.to_string().contains("only to a relay on loopback"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temporary_permanent_and_slow_sends_are_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("mail");
    let server = start_aiosmtpd(&maildir);
    let mut cfg = config(server.addr.port());
    let patient = Mailer::new(&cfg).unwrap();
    cfg.timeout = Duration::from_secs(2);
    let hasty = Mailer::new(&cfg).unwrap();
    // The 451 and the 550 come at once, but a busy machine may take longer than 2 s to say them.
    async fn send(mailer: &Mailer, to: &str) -> Attempt {
        mailer
            .send(to, "通知", "正文", &format!("{to}.1@ecenter"))
            .await
    }
    let temp = send(&patient, "temp-fail@example.cn").await;
    assert!(
        matches!(temp, Attempt::Temporary(ref m) if m.contains("451")),
        "4xx is temporary: {temp:?}"
    );
    let perm = send(&patient, "perm-fail@example.cn").await;
    assert!(
        matches!(perm, Attempt::Permanent(ref m) if m.contains("550")),
        "5xx is final: {perm:?}"
    );
    let slow = send(&hasty, "slow@example.cn").await;
    assert!(
        matches!(slow, Attempt::Temporary(ref m) if m.contains("did not finish within 2 s")),
        "{slow:?}"
    );
    // Nothing was delivered: every one of these failed.
    assert!(received(&maildir).is_empty());
}

/// The TLS+AUTH submission server of tests/python/smtp_tls_auth.py with the PKI's localhost
/// certificate and the account songda / `password`.
fn start_submission(
    maildir: &std::path::Path,
    pki: &std::path::Path,
    password: &str,
) -> common::smtp::SmtpServer {
    common::smtp::start_python_smtp(
        "smtp_tls_auth.py",
        &[
            maildir.to_str().unwrap(),
            pki.join("server.pem").to_str().unwrap(),
            pki.join("server.key").to_str().unwrap(),
            "songda",
            password,
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_and_auth_with_the_courts_own_ca_and_refusals_that_say_why() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("mail");
    let server = start_submission(&maildir, pki.path(), "s3cret-口令");
    let root = std::fs::read(pki.path().join("root-ca.pem")).unwrap();
    let tls = |password: &str, ca: Option<Vec<u8>>| SmtpConfig {
        host: "localhost".into(),
        security: SmtpSecurity::StartTls,
        credentials: Some(("songda".into(), password.into())),
        relay_ca_pem: ca,
        ..config(server.addr.port())
    };

    // STARTTLS to a relay whose certificate chains to the court's CA, then AUTH: accepted.
    let mailer = Mailer::new(&tls("s3cret-口令", Some(root.clone()))).unwrap();
    let (outcome, reply) = mailer
        .send_with_reply("zhangsan@example.cn", "主题", "正文", "tls-1@ecenter.test")
        .await;
    assert_eq!(outcome, Attempt::Accepted, "{reply}");
    assert!(reply.contains("queued as TLS0001"), "{reply}");
    assert_eq!(received(&maildir).len(), 1);

    // A wrong password: the relay says 535, final.
    let wrong = Mailer::new(&tls("wrong", Some(root.clone()))).unwrap();
    let outcome = wrong
        .send("zhangsan@example.cn", "主题", "正文", "tls-2@ecenter.test")
        .await;
    assert!(
        matches!(&outcome, Attempt::Permanent(m) if m.contains("535")),
        "{outcome:?}"
    );

    // Without the court's CA the relay's certificate is not trusted: temporary (fix the
    // configuration, the message is kept), and nothing is sent in the clear.
    let untrusted = Mailer::new(&tls("s3cret-口令", None)).unwrap();
    let outcome = untrusted
        .send("zhangsan@example.cn", "主题", "正文", "tls-3@ecenter.test")
        .await;
    assert!(matches!(outcome, Attempt::Temporary(_)), "{outcome:?}");

    // Plaintext to a relay that requires STARTTLS: refused by the relay before any mail is sent.
    let plain = Mailer::new(&SmtpConfig {
        credentials: None,
        ..config(server.addr.port())
    })
    .unwrap();
    let outcome = plain
        .send("zhangsan@example.cn", "主题", "正文", "tls-4@ecenter.test")
        .await;
    assert!(
        matches!(&outcome, Attempt::Permanent(m) if m.contains("STARTTLS")),
        "{outcome:?}"
    );
    assert_eq!(received(&maildir).len(), 1);
}
