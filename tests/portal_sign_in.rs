//! Signing in to the lawyers' portal, driven by curl (an HTTP client that is not ours) over the
//! hub's real HTTPS listener, with the one-time code caught at aiosmtpd: the good path with its
//! cookie attributes, and every refusal — an unlisted licence number, a wrong code, five wrong
//! codes, a spent code, codes asked for too often, an expired code, a cross-site POST, a forged
//! CSRF token, a lawyer taken off the directory — each with its message in Chinese and its event,
//! and never the code or the cookie in the log. The court sees a lawyer's count and lifts it.

mod common;

use common::portal::*;
use common::service::*;
use common::smtp::{received, start_aiosmtpd};
use common::*;
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::lawyer_directory_client::LawyerDirectoryClient;
use std::path::Path;

const ZHANG: &str = "urn:ecenter:lawyer:14201202010000001";
const ZHANG_LICENCE: &str = "14201202010000001";
const LI: &str = "urn:ecenter:lawyer:14201202010000002";
const LI_LICENCE: &str = "14201202010000002";
const WANG: &str = "urn:ecenter:lawyer:14201202010000003";
const WANG_LICENCE: &str = "14201202010000003";

/// Every sign-in event of the log: (kind, the event as JSON).
async fn sign_in_events(w: &World) -> Vec<(String, String)> {
    let mut log = ecenter_proto::v1::event_log_service_client::EventLogServiceClient::new(
        channel_as(w.hub.addr, w.pki.path(), COURT_STEM).await,
    );
    all_entries(&mut log)
        .await
        .into_iter()
        .filter(|e| e.kind.contains("sign") || e.kind == "signed_in")
        .map(|e| (e.kind, e.detail_json))
        .collect()
}

fn header_lines<'a>(response: &'a str, name: &str) -> Vec<&'a str> {
    let prefix = format!("{}:", name.to_ascii_lowercase());
    response
        .lines()
        .filter(|l| l.to_ascii_lowercase().starts_with(&prefix))
        .collect()
}

/// What signing in left: the code, the attempt it was sent under, the session's `Set-Cookie`.
struct SignedIn {
    code: String,
    attempt: String,
    session_cookie: String,
}

/// The sign-in form, a code asked for by e-mail with the licence number in full-width digits, one
/// wrong code, then the right one.
async fn sign_in_as_zhang(browser: &Curl<'_>, maildir: &Path) -> SignedIn {
    let (status, page) = browser.get("/portal/");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("律师执业证号"), "{page}");
    let csp = header_lines(&page, "content-security-policy").concat();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(
        header_lines(&page, "strict-transport-security").len(),
        1,
        "{page}"
    );

    // Full-width digits, as a Chinese input method types them, in groups as a long number is
    // typed (round 19, F7), find the lawyer too.
    let full_width: String = (ZHANG_LICENCE.chars().enumerate())
        .flat_map(|(i, c)| {
            let gap = match i {
                4 => Some(' '),
                8 => Some('\u{3000}'),
                12 => Some('-'),
                _ => None,
            };
            gap.into_iter()
                .chain([char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap()])
        })
        .collect();
    let (status, page) = browser.post(
        "/portal/code",
        &[("who", &full_width), ("channel", "email")],
    );
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("z***@chutian-law.cn"),
        "the address, masked: {page}"
    );
    let code = code_for(maildir, "zhang@chutian-law.cn", 0).await;
    let attempt = browser
        .cookie("__Host-ecenter-sign-in")
        .expect("the attempt's cookie");

    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    let (status, page) = browser.post("/portal/sign-in", &[("code", &wrong)]);
    assert_eq!(status, 401, "{page}");
    assert!(page.contains("验证码不正确，还可以再试 4 次"), "{page}");

    let (status, page) = browser.post("/portal/sign-in", &[("code", &code)]);
    assert_eq!(status, 303, "{page}");
    let session_cookie = header_lines(&page, "set-cookie")
        .into_iter()
        .find(|c| c.contains("__Host-ecenter-portal="))
        .expect("a session cookie")
        .to_string();
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(session_cookie.contains(attribute), "{session_cookie}");
    }
    SignedIn {
        code,
        attempt,
        session_cookie,
    }
}

/// A cross-site POST and a forged CSRF token are refused and the session stands; the session's
/// own form signs out.
fn refuses_forgeries_and_signs_out(browser: &Curl<'_>, home: &str) {
    let csrf = {
        let start = home.find("name=\"csrf\" value=\"").unwrap() + 19;
        home[start..].split('"').next().unwrap().to_string()
    };
    // A POST from another site is refused before anything is looked at.
    let (status, page) = browser.post_from(
        "/portal/sign-out",
        &[("csrf", &csrf)],
        "https://evil.example",
    );
    assert_eq!(status, 403, "{page}");
    assert!(
        page.contains("不是从本院诉讼服务平台的页面提交的"),
        "{page}"
    );
    // A forged CSRF token from the right origin: refused, the session stands.
    let (status, page) = browser.post("/portal/sign-out", &[("csrf", "forged-token")]);
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("表单已失效"), "{page}");
    assert!(browser.get("/portal/").1.contains("您已登录"));

    let (status, page) = browser.post("/portal/sign-out", &[("csrf", &csrf)]);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("您已退出登录"), "{page}");
    let (_, after) = browser.get("/portal/");
    assert!(
        after.contains("律师执业证号") && !after.contains("您已登录"),
        "{after}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listed_lawyer_signs_in_with_the_code_from_their_mail_and_signs_out() {
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    let w = world(smtp.addr.port(), 10).await;
    list(&w, ZHANG, ZHANG_LICENCE, "zhang@chutian-law.cn").await;
    let jars = tempfile::tempdir().unwrap();
    let browser = Curl::new(&w, jars.path(), "zhang");
    let SignedIn {
        code,
        attempt,
        session_cookie,
    } = sign_in_as_zhang(&browser, maildir.path()).await;
    let (status, home) = browser.get("/portal/");
    assert_eq!(status, 200, "{home}");
    assert!(
        home.contains("张明律师，您好") && home.contains("湖北楚天律师事务所"),
        "{home}"
    );

    // The same code again, from another browser given the attempt's cookie: spent.
    let replay = Curl::new(&w, jars.path(), "replay");
    let cookie = format!("__Host-ecenter-sign-in={attempt}");
    let (status, page) = replay.post_with("/portal/sign-in", &[("code", &code)], &["-b", &cookie]);
    assert_eq!(status, 401, "{page}");
    assert!(page.contains("此验证码已使用或已失效"), "{page}");

    refuses_forgeries_and_signs_out(&browser, &home);

    let events = sign_in_events(&w).await;
    let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "sign_in_code_sent",
            "sign_in_code_result",
            "sign_in_refused",
            "signed_in",
            "sign_in_refused",
            "signed_out"
        ],
        "{events:?}"
    );
    assert!(
        !events.iter().any(|(_, j)| j.contains(&attempt)),
        "the attempt's secret is in the log"
    );
    let cookie_value = session_cookie
        .split('=')
        .nth(1)
        .unwrap()
        .split(';')
        .next()
        .unwrap();
    for (kind, json) in &events {
        assert!(!json.contains(&code), "the code is in {kind}: {json}");
        assert!(
            !json.contains(cookie_value),
            "the session cookie is in {kind}: {json}"
        );
    }
    assert!(events[2].1.contains("验证码不正确"), "{events:?}");
    drop(smtp);
    w.hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_say_what_to_do_and_five_wrong_codes_end_the_attempt() {
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    let w = world(smtp.addr.port(), 10).await;
    list(&w, LI, LI_LICENCE, "li@chutian-law.cn").await;
    let jars = tempfile::tempdir().unwrap();
    let browser = Curl::new(&w, jars.path(), "li");

    // Not in the directory: said so, recorded, nothing sent.
    let (status, page) = browser.post(
        "/portal/code",
        &[("who", "14201202019999999"), ("channel", "email")],
    );
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("该执业证号不在本院律师名录中"), "{page}");
    // The form again keeps what was typed, and offers the mailbox: this court has no SMS.
    assert!(page.contains("value=\"14201202019999999\""), "{page}");
    assert!(page.contains("value=\"email\" checked"), "{page}");
    // No SMS channel at this court: said so, before any code counts against the limit.
    let (status, page) = browser.post("/portal/code", &[("who", LI_LICENCE), ("channel", "sms")]);
    assert_eq!(status, 403, "{page}");
    assert!(
        page.contains("本院暂未开通短信验证码，请改用电子邮箱接收"),
        "{page}"
    );
    assert!(page.contains("名录登记的手机（本院暂未开通）"), "{page}");
    let (_, first) = browser.get("/portal/");
    assert!(first.contains("value=\"email\" checked"), "{first}");
    // Typing a code before asking for one.
    let (status, page) = browser.post("/portal/sign-in", &[("code", "123456")]);
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("请先获取验证码"), "{page}");

    let (status, page) = browser.post("/portal/code", &[("who", LI_LICENCE), ("channel", "email")]);
    assert_eq!(status, 200, "{page}");
    let code = code_for(maildir.path(), "li@chutian-law.cn", 0).await;
    // A second code within the minute.
    let again = Curl::new(&w, jars.path(), "li-again");
    // Only the pace is wrong: 429 with when to ask again (RFC 6585 §4), as curl reads it.
    let (status, page) = again.post("/portal/code", &[("who", LI_LICENCE), ("channel", "email")]);
    assert_eq!(status, 429, "{page}");
    assert!(page.contains("获取验证码过于频繁"), "{page}");
    let retry_after: u64 = page
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("retry-after:")
                .map(|v| v.trim().to_string())
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After: {page}"));
    assert!((1..=60).contains(&retry_after), "{retry_after}");

    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 7) % 1_000_000);
    for left in (1..=4).rev() {
        let (status, page) = browser.post("/portal/sign-in", &[("code", &wrong)]);
        assert_eq!(status, 401, "{page}");
        assert!(page.contains(&format!("还可以再试 {left} 次")), "{page}");
    }
    let (status, page) = browser.post("/portal/sign-in", &[("code", &wrong)]);
    assert_eq!(status, 401, "{page}");
    assert!(page.contains("验证码错误次数过多"), "{page}");
    // The right code after the fifth wrong one is no good either.
    let attempt_cookie = header_lines(&page, "set-cookie").concat();
    assert!(
        attempt_cookie.contains("Max-Age=0"),
        "the attempt's cookie is dropped: {page}"
    );
    let replay = Curl::new(&w, jars.path(), "li-replay");
    let attempt = browser.cookie("__Host-ecenter-sign-in");
    assert_eq!(attempt, None, "the browser forgot the attempt");
    let (status, _) = replay.post("/portal/sign-in", &[("code", &code)]);
    assert_eq!(status, 400);

    let events = sign_in_events(&w).await;
    let refused: Vec<&String> = events
        .iter()
        .filter(|(k, _)| k == "sign_in_refused")
        .map(|(_, j)| j)
        .collect();
    // Typing a code before asking for one names no attempt or lawyer: nothing to record.
    assert_eq!(refused.len(), 8, "{events:?}");
    assert!(
        refused[0].contains("\"asked_as\":\"14201202019999999\""),
        "{refused:?}"
    );
    assert!(refused[7].contains("\"ended_attempt\":true"), "{refused:?}");
    assert!(!events.iter().any(|(k, _)| k == "signed_in"), "{events:?}");
    the_court_sees_and_lifts_the_count(&w, &again).await;
    drop(smtp);
    w.hub.stop().await;
}

/// The court sees Li's count (one code, five wrong codes) and lifts it with a reason, recorded;
/// a code asked for within the same minute is then sent.
async fn the_court_sees_and_lifts_the_count(w: &World, browser: &Curl<'_>) {
    let mut court =
        LawyerDirectoryClient::new(channel_as(w.hub.addr, w.pki.path(), COURT_STEM).await);
    let li = pb::GetLawyerRequest {
        identity: LI.into(),
    };
    let state = court.get_sign_in_state(li).await.unwrap().into_inner();
    assert_eq!(
        (
            state.codes_this_hour,
            state.wrong_codes_today,
            state.stopped
        ),
        (1, 5, false),
        "{state:?}"
    );
    let lift = |reason: &str| pb::LiftSignInStopRequest {
        identity: LI.into(),
        reason: reason.into(),
    };
    let refused = court.lift_sign_in_stop(lift("  ")).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{refused:?}");
    let lifted = court.lift_sign_in_stop(lift("律师来电，已核实身份")).await;
    let lifted = lifted.unwrap().into_inner();
    assert!(
        lifted.seq > 0 && lifted.wrong_codes_today == 0,
        "{lifted:?}"
    );
    let events = sign_in_events(w).await;
    let (kind, json) = events.last().unwrap();
    assert_eq!(kind, "sign_in_stop_lifted");
    assert!(json.contains("律师来电，已核实身份"), "{json}");
    assert!(json.contains("\"by\":\"urn:ecenter:court:"), "{json}");
    // Within the minute of the last code: sent now, the count having started afresh.
    let (status, page) = browser.post("/portal/code", &[("who", LI_LICENCE), ("channel", "email")]);
    assert_eq!(status, 200, "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_code_signs_in_no_more() {
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    // Codes of two seconds, on a hub of their own: the later steps of the next test could not
    // be sure to finish inside them on a busy machine.
    let w = world_with(smtp.addr.port(), 10, |c, _| c.portal.code_valid_secs = 2).await;
    list(&w, ZHANG, ZHANG_LICENCE, "zhang@chutian-law.cn").await;
    let jars = tempfile::tempdir().unwrap();
    let browser = Curl::new(&w, jars.path(), "zhang");

    let (status, _) = browser.post(
        "/portal/code",
        &[("who", ZHANG_LICENCE), ("channel", "email")],
    );
    assert_eq!(status, 200);
    let code = code_for(maildir.path(), "zhang@chutian-law.cn", 0).await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let (status, page) = browser.post("/portal/sign-in", &[("code", &code)]);
    assert_eq!(status, 401, "{page}");
    assert!(page.contains("验证码已过期"), "{page}");
    drop(smtp);
    w.hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_mailbox_and_a_lawyer_taken_off_the_directory_sign_in_no_more() {
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    let w = world(smtp.addr.port(), 10).await;
    let jars = tempfile::tempdir().unwrap();

    // A code sent to a mailbox the court has since replaced is void.
    list(&w, WANG, WANG_LICENCE, "wang@chutian-law.cn").await;
    let wang = Curl::new(&w, jars.path(), "wang");
    let fields = [("who", WANG_LICENCE), ("channel", "email")];
    assert_eq!(wang.post("/portal/code", &fields).0, 200);
    let old_code = code_for(maildir.path(), "wang@chutian-law.cn", 0).await;
    list(&w, WANG, WANG_LICENCE, "wang.new@chutian-law.cn").await;
    let (status, page) = wang.post("/portal/sign-in", &[("code", &old_code)]);
    assert_eq!(status, 401, "{page}");
    assert!(page.contains("登记的手机或电子邮箱已变更"), "{page}");

    // Another lawyer signs in at once; then the court takes them off the directory.
    list(&w, LI, LI_LICENCE, "li@chutian-law.cn").await;
    let browser = Curl::new(&w, jars.path(), "li");
    let (status, page) = browser.post("/portal/code", &[("who", LI_LICENCE), ("channel", "email")]);
    assert_eq!(status, 200, "{page}");
    let code = code_for(maildir.path(), "li@chutian-law.cn", 0).await;
    let (status, _) = browser.post("/portal/sign-in", &[("code", &code)]);
    assert_eq!(status, 303);
    assert!(browser.get("/portal/").1.contains("您已登录"));
    let mut court =
        LawyerDirectoryClient::new(channel_as(w.hub.addr, w.pki.path(), COURT_STEM).await);
    court
        .remove_lawyer(pb::RemoveLawyerRequest {
            identity: LI.into(),
            reason: "执业证被吊销".into(),
        })
        .await
        .unwrap();
    let (_, page) = browser.get("/portal/");
    assert!(
        page.contains("律师执业证号") && !page.contains("您已登录"),
        "{page}"
    );
    // Listed again: the old session stays ended (the entry is newer than the sign-in).
    list(&w, LI, LI_LICENCE, "li@chutian-law.cn").await;
    let (_, page) = browser.get("/portal/");
    assert!(!page.contains("您已登录"), "{page}");
    drop(smtp);
    w.hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_cookies_foreign_posts_and_floods_are_refused() {
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    let w = world(smtp.addr.port(), 10).await;
    list(&w, ZHANG, ZHANG_LICENCE, "zhang@chutian-law.cn").await;
    let jars = tempfile::tempdir().unwrap();
    let stranger = Curl::new(&w, jars.path(), "stranger");

    // A made-up session cookie is no session.
    let made_up = "__Host-ecenter-portal=bm90LWEtc2Vzc2lvbg";
    let (status, page) = stranger.get_with("/portal/", &["-b", made_up]);
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("律师执业证号") && !page.contains("您已登录"),
        "{page}"
    );
    // A made-up attempt cookie: refused, and recorded (it names no attempt or lawyer).
    let junk = "__Host-ecenter-sign-in=bm90LWFuLWF0dGVtcHQ";
    let (status, page) =
        stranger.post_with("/portal/sign-in", &[("code", "123456")], &["-b", junk]);
    assert_eq!(status, 401, "{page}");
    assert!(page.contains("登录请求无效或已过期"), "{page}");
    assert_eq!(sign_in_events(&w).await.len(), 1);

    // POSTs from another site, or saying nowhere where they come from: refused, nothing recorded.
    let fields = [("who", ZHANG_LICENCE), ("channel", "email")];
    for (path, headers) in [
        ("/portal/code", ["-H", "Origin: https://evil.example"]),
        ("/portal/sign-in", ["-H", "Sec-Fetch-Site: cross-site"]),
        ("/portal/code", ["-H", "Origin:"]),
    ] {
        let (status, page) = stranger.post_with(path, &fields, &headers);
        assert_eq!(status, 403, "{path} {headers:?}: {page}");
        assert!(page.contains("请求被拒绝"), "{page}");
    }
    assert_eq!(
        sign_in_events(&w).await.len(),
        1,
        "a refused POST was recorded"
    );
    assert!(received(maildir.path()).is_empty(), "a code went out");

    // One address asking for codes without end: after its burst, 429 and nothing recorded.
    let unknown = [("who", "14201202019999999"), ("channel", "email")];
    let statuses: Vec<u16> = (0..6)
        .map(|_| stranger.post("/portal/code", &unknown).0)
        .collect();
    assert_eq!(statuses, [403, 403, 403, 403, 403, 429]);
    let (_, page) = stranger.post("/portal/code", &unknown);
    assert!(page.contains("请求过于频繁"), "{page}");
    // With when to come back, as curl reads it (round 12, F1).
    assert!(
        page.to_ascii_lowercase().contains("retry-after: "),
        "{page}"
    );
    assert_eq!(sign_in_events(&w).await.len(), 6);
    drop(smtp);
    w.hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_by_sms_reaches_the_listed_phone_through_the_smsc_and_signs_in() {
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    let smsc = common::smsc::start_smsc();
    let port = smsc.port;
    let w = world_with(smtp.addr.port(), 10, move |c, keys: &Path| {
        c.sms = Some(sms_settings(port, keys));
    })
    .await;
    list(&w, ZHANG, ZHANG_LICENCE, "zhang@chutian-law.cn").await;
    let jars = tempfile::tempdir().unwrap();
    let browser = Curl::new(&w, jars.path(), "zhang");
    let (status, page) = browser.post(
        "/portal/code",
        &[("who", ZHANG_LICENCE), ("channel", "sms")],
    );
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("138****8000"), "the number, masked: {page}");
    let sms = tokio::task::block_in_place(|| smsc.wait_messages(1, 30));
    assert_eq!(sms[0]["dest"], "13800138000", "{sms:?}");
    let text = sms[0]["text"].as_str().unwrap();
    assert!(
        text.starts_with("【湖北省襄阳市中级人民法院】诉讼服务平台登录验证码"),
        "{text}"
    );
    // The code comes last, past the 20 characters a delivery receipt quotes.
    let code = text.rsplit('：').next().unwrap().to_string();
    assert!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "{text}"
    );
    assert!(text.chars().take(20).all(|c| !c.is_ascii_digit()), "{text}");
    let (status, page) = browser.post("/portal/sign-in", &[("code", &code)]);
    assert_eq!(status, 303, "{page}");
    assert!(browser.get("/portal/").1.contains("您已登录"));
    let events = sign_in_events(&w).await;
    let result = events
        .iter()
        .find(|(k, _)| k == "sign_in_code_result")
        .unwrap();
    assert!(result.1.contains("\"accepted\":true"), "{events:?}");
    assert!(
        !events.iter().any(|(_, j)| j.contains(&code)),
        "the code is in the log"
    );
    email_only_lawyer(&w, jars.path(), maildir.path()).await;
    drop(smtp);
    w.hub.stop().await;
}

/// A lawyer the court listed with an e-mail only: a code by SMS is refused saying so, by e-mail
/// it signs in, and the home page says no phone is listed.
async fn email_only_lawyer(w: &World, jars: &Path, maildir: &Path) {
    let mut court =
        LawyerDirectoryClient::new(channel_as(w.hub.addr, w.pki.path(), COURT_STEM).await);
    let lawyer = pb::Lawyer {
        identity: LI.into(),
        name: "李华".into(),
        licence_number: LI_LICENCE.into(),
        law_firm: "湖北汉江律师事务所".into(),
        phone: String::new(),
        email: "li@hanjiang-law.cn".into(),
    };
    let request = pb::SetLawyerRequest {
        lawyer: Some(lawyer),
    };
    court.set_lawyer(request).await.unwrap();
    let browser = Curl::new(w, jars, "li");
    let (status, page) = browser.post("/portal/code", &[("who", LI_LICENCE), ("channel", "sms")]);
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("没有登记您的手机号码"), "{page}");
    let fields = [("who", LI_LICENCE), ("channel", "email")];
    assert_eq!(browser.post("/portal/code", &fields).0, 200);
    let code = code_for(maildir, "li@hanjiang-law.cn", 0).await;
    assert_eq!(browser.post("/portal/sign-in", &[("code", &code)]).0, 303);
    let (_, home) = browser.get("/portal/");
    assert!(
        home.contains("<th scope=\"row\">手机</th><td>未登记</td>"),
        "{home}"
    );
}

/// A court that keeps its directory before opening either code channel (outside tests, round
/// 13b, F3): a lawyer asking for a code on either is told no code can be sent here, and pointed
/// at a passkey or the court — not at a channel the court also lacks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_court_with_no_code_channel_says_so_and_points_at_no_other_channel() {
    let w = world_with(9, 10, |c, _| c.smtp = None).await;
    list(&w, ZHANG, ZHANG_LICENCE, "zhang@chutian-law.cn").await;
    let jars = tempfile::tempdir().unwrap();
    let browser = Curl::new(&w, jars.path(), "zhang");
    for channel in ["sms", "email"] {
        let (status, page) = browser.post(
            "/portal/code",
            &[("who", ZHANG_LICENCE), ("channel", channel)],
        );
        assert_eq!(status, 403, "{channel}: {page}");
        assert!(
            page.contains("本院暂未开通短信和邮件验证码") && page.contains("通行密钥"),
            "{channel}: {page}"
        );
        assert!(
            !page.contains("请改用电子邮箱接收") && !page.contains("请改用手机短信接收"),
            "{channel}: {page}"
        );
    }
    w.hub.stop().await;
}
