//! The lawyers' portal as curl sees it: a cookie jar, the portal's origin on every POST unless a
//! test says otherwise, the directory entries and the mailed codes the sign-in needs.

#![allow(dead_code)]

use super::channel_as;
use super::service::{World, until};
use super::smtp::received;
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::lawyer_directory_client::LawyerDirectoryClient;
use std::path::{Path, PathBuf};

/// The court system's certificate stem (its client certificate under the test PKI).
pub const COURT_STEM: &str = "court-xiangyang-cms";

/// A browser without a browser: curl with a cookie jar, sending the portal's origin unless told.
pub struct Curl<'w> {
    w: &'w World,
    pub jar: PathBuf,
    pub base: String,
}

impl<'w> Curl<'w> {
    pub fn new(w: &'w World, dir: &Path, name: &str) -> Curl<'w> {
        let port = w.hub.page_addr.expect("the page listens").port();
        Curl {
            w,
            jar: dir.join(name),
            base: format!("https://localhost:{port}"),
        }
    }

    /// GET `path`: (status, headers and body).
    pub fn get(&self, path: &str) -> (u16, String) {
        self.get_with(path, &[])
    }

    /// GET `path` with curl's `extra` arguments.
    pub fn get_with(&self, path: &str, extra: &[&str]) -> (u16, String) {
        let jar = self.jar.to_str().unwrap();
        let url = format!("{}{path}", self.base);
        let mut args = vec!["-D", "-", "-b", jar, "-c", jar];
        args.extend_from_slice(extra);
        args.push(&url);
        self.w.curl(&args)
    }

    /// The value of cookie `name` in the jar.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let jar = std::fs::read_to_string(&self.jar).ok()?;
        jar.lines()
            .map(|l| l.split('\t').collect::<Vec<_>>())
            .find(|f| f.len() == 7 && f[5] == name)
            .map(|f| f[6].to_string())
    }

    /// POST `fields` to `path` from `origin`.
    pub fn post_from(&self, path: &str, fields: &[(&str, &str)], origin: &str) -> (u16, String) {
        let origin = format!("Origin: {origin}");
        self.post_with(path, fields, &["-H", &origin])
    }

    /// POST `fields` to `path` with curl's `extra` arguments (the portal's origin unless given).
    pub fn post_with(&self, path: &str, fields: &[(&str, &str)], extra: &[&str]) -> (u16, String) {
        let jar = self.jar.to_str().unwrap().to_string();
        let url = format!("{}{path}", self.base);
        let mut args: Vec<String> = ["-D", "-", "-b", &jar, "-c", &jar]
            .map(String::from)
            .to_vec();
        if !extra.contains(&"-H") {
            args.extend(["-H".to_string(), format!("Origin: {}", self.base)]);
        }
        args.extend(extra.iter().map(|a| (*a).to_string()));
        for (k, v) in fields {
            args.push("--data-urlencode".into());
            args.push(format!("{k}={v}"));
        }
        args.push(url);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.w.curl(&args)
    }

    pub fn post(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        self.post_with(path, fields, &[])
    }

    /// A request as the portal's script makes it: `method` to `path` with `headers` (e.g. the
    /// CSRF token; the portal's origin unless they name one) and the body read from `body` if
    /// given; (status, headers and body).
    pub fn script(
        &self,
        method: &str,
        path: &str,
        headers: &[String],
        body: Option<&Path>,
    ) -> (u16, String) {
        self.script_with(method, path, headers, body, &[])
    }

    /// [`Curl::script`] with curl's `extra` arguments.
    pub fn script_with(
        &self,
        method: &str,
        path: &str,
        headers: &[String],
        body: Option<&Path>,
        extra: &[String],
    ) -> (u16, String) {
        let jar = self.jar.to_str().unwrap().to_string();
        let mut args: Vec<String> = ["-D", "-", "-b", &jar, "-c", &jar, "-X", method]
            .map(String::from)
            .to_vec();
        if !headers
            .iter()
            .any(|h| h.to_ascii_lowercase().starts_with("origin:"))
        {
            args.extend(["-H".to_string(), format!("Origin: {}", self.base)]);
        }
        for h in headers {
            args.extend(["-H".to_string(), h.clone()]);
        }
        if let Some(body) = body {
            args.extend(["--data-binary".to_string(), format!("@{}", body.display())]);
        }
        args.extend(extra.iter().cloned());
        args.push(format!("{}{path}", self.base));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.w.curl(&args)
    }
}

/// The JSON body of a response `curl -D -` printed (after the blank line ending the headers).
pub fn json_body(response: &str) -> serde_json::Value {
    let body = response
        .rsplit_once("\r\n\r\n")
        .map_or(response, |(_, b)| b);
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: not JSON: {response}"))
}

/// The value of attribute `name` in the first place `html` carries it.
pub fn attribute(html: &str, name: &str) -> String {
    let at = format!("{name}=\"");
    let start = html
        .find(&at)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + at.len();
    html[start..].split('"').next().unwrap().to_string()
}

pub async fn list(w: &World, identity: &str, licence: &str, email: &str) {
    let mut court =
        LawyerDirectoryClient::new(channel_as(w.hub.addr, w.pki.path(), COURT_STEM).await);
    let lawyer = pb::Lawyer {
        identity: identity.into(),
        name: "张明".into(),
        licence_number: licence.into(),
        law_firm: "湖北楚天律师事务所".into(),
        phone: "13800138000".into(),
        email: email.into(),
    };
    court
        .set_lawyer(pb::SetLawyerRequest {
            lawyer: Some(lawyer),
        })
        .await
        .unwrap();
}

/// The code in the newest sign-in mail to `to`, once it has arrived (within 120 s: a browser may
/// be starting before it asks).
pub async fn code_for(maildir: &Path, to: &str, nth: usize) -> String {
    let mail = until(120, "the sign-in code e-mail", || async {
        received(maildir)
            .into_iter()
            .filter(|m| m["to"].as_str().unwrap_or_default().contains(to))
            .filter(|m| {
                m["subject"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("登录验证码")
            })
            .nth(nth)
    })
    .await;
    let body = mail["body"].as_str().unwrap();
    body.lines()
        .map(str::trim)
        .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no code in {body}"))
        .to_string()
}

/// Lists a lawyer, asks for a code by e-mail as them and signs in with it (their `nth` code mail).
pub async fn signed_in<'w>(
    w: &'w World,
    jars: &Path,
    maildir: &Path,
    (identity, licence, email): (&str, &str, &str),
    nth: usize,
) -> Curl<'w> {
    list(w, identity, licence, email).await;
    let browser = Curl::new(w, jars, licence);
    let (status, page) = browser.post("/portal/code", &[("who", licence), ("channel", "email")]);
    assert_eq!(status, 200, "{page}");
    let code = code_for(maildir, email, nth).await;
    let (status, page) = browser.post("/portal/sign-in", &[("code", &code)]);
    assert_eq!(status, 303, "{page}");
    browser
}
