//! Whether a POST came from one of the hub's own pages, as the browser says it: Fetch Metadata's
//! `Sec-Fetch-Site` and the `Origin` header (RFC 6454 §7, Fetch "append a request `Origin`
//! header"). The recipients' page and the lawyers' portal both take forms only from themselves,
//! so a page on another site cannot confirm a reading, reply, file or sign in on a person's
//! behalf. One rule for both:
//!
//! - at least one of the two headers is given (every browser sends `Origin` with a POST, if only
//!   `null`; a request naming neither is no browser's form, so nothing says where it came from);
//! - each header is given once (a request naming two origins says nothing reliable);
//! - `Sec-Fetch-Site`, if given, is `same-origin`;
//! - `Origin`, if given, is the site's own origin — `null` only on pages served with
//!   `Referrer-Policy: no-referrer`, for which browsers send `null` on the page's own forms.

use axum::http::{HeaderMap, header};

/// The origin a site takes forms from, and what else counts as it.
#[derive(Debug, Clone)]
pub struct OwnOrigin {
    /// `scheme://host[:port]` of the site's public URL ([`origin_of`]).
    origin: String,
    /// Whether `Origin: null` is this site (its pages are served with `no-referrer`).
    null_is_own: bool,
    /// Whether an origin whose authority is the request's own `Host` is this site (the page is
    /// also reached at an address other than its public URL, behind a proxy that keeps `Host`).
    host_is_own: bool,
}

impl OwnOrigin {
    /// The site at `public_url`: its origin only.
    pub fn of(public_url: &str) -> OwnOrigin {
        OwnOrigin {
            origin: origin_of(public_url),
            null_is_own: false,
            host_is_own: false,
        }
    }

    /// The same site, whose pages are served with `Referrer-Policy: no-referrer` and reached
    /// through proxies that keep `Host`: `Origin: null`, or the request's own host, is it too.
    pub fn no_referrer_behind_proxies(self) -> OwnOrigin {
        OwnOrigin {
            null_is_own: true,
            host_is_own: true,
            ..self
        }
    }

    /// `scheme://host[:port]`, as browsers send it in `Origin`.
    pub fn as_str(&self) -> &str {
        &self.origin
    }

    /// Whether `headers` say the request came from one of this site's own pages (the rule in
    /// the module's documentation).
    pub fn posted_from(&self, headers: &HeaderMap) -> bool {
        let (Ok(origin), Ok(fetch_site)) = (
            once(headers, header::ORIGIN.as_str()),
            once(headers, "sec-fetch-site"),
        ) else {
            return false;
        };
        if origin.is_none() && fetch_site.is_none() {
            return false;
        }
        fetch_site.is_none_or(|f| f.eq_ignore_ascii_case("same-origin"))
            && origin.is_none_or(|o| self.is_own(o, headers))
    }

    fn is_own(&self, origin: &str, headers: &HeaderMap) -> bool {
        if origin.eq_ignore_ascii_case("null") {
            return self.null_is_own;
        }
        let origin = origin_of(origin);
        if origin == self.origin {
            return true;
        }
        let authority = origin.split_once("://").map_or(origin.as_str(), |(_, a)| a);
        self.host_is_own
            && once(headers, header::HOST.as_str())
                .ok()
                .flatten()
                .is_some_and(|h| origin_of(&format!("http://{h}")) == format!("http://{authority}"))
    }
}

/// The value of header `name` if given at most once and as text; `Err` when it is given twice or
/// is not text.
fn once<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h str>, ()> {
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(());
    }
    first.map(|v| v.to_str().map_err(|_| ())).transpose()
}

/// `scheme://host[:port]` of `url`, lower-case, without the scheme's default port: the form
/// browsers send in `Origin` (RFC 6454 §6.1).
pub fn origin_of(url: &str) -> String {
    let url = url.trim().to_ascii_lowercase();
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
            let default = match scheme {
                "https" => ":443",
                "http" => ":80",
                _ => "",
            };
            let host = host.strip_suffix(default).unwrap_or(host);
            format!("{scheme}://{host}")
        }
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, value.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_origin_is_scheme_host_and_port() {
        assert_eq!(
            origin_of("https://localhost:8443"),
            "https://localhost:8443"
        );
        assert_eq!(origin_of("https://e.court.cn/hub"), "https://e.court.cn");
        assert_eq!(origin_of("HTTPS://E.Court.cn:443/"), "https://e.court.cn");
        assert_eq!(
            origin_of("http://e.court.cn:8080"),
            "http://e.court.cn:8080"
        );
    }

    #[test]
    fn a_post_must_say_it_came_from_the_site_in_every_header_it_gives() {
        let portal = OwnOrigin::of("https://ssfw.court.example/portal/");
        let own = |pairs: &[(&'static str, &'static str)]| portal.posted_from(&headers(pairs));
        assert!(own(&[("origin", "https://ssfw.court.example")]));
        assert!(own(&[("origin", "HTTPS://SSFW.court.example:443")]));
        assert!(own(&[("sec-fetch-site", "same-origin")]));
        assert!(!own(&[]), "neither header: no browser's form");
        assert!(!own(&[("origin", "https://evil.example")]));
        assert!(!own(&[("origin", "null")]), "null is not the portal");
        assert!(!own(&[("sec-fetch-site", "same-site")]));
        assert!(!own(&[
            ("origin", "https://ssfw.court.example"),
            ("sec-fetch-site", "cross-site")
        ]));
        // Round 20: two `Origin` headers, the first the site's — ambiguous, refused.
        assert!(!own(&[
            ("origin", "https://ssfw.court.example"),
            ("origin", "https://evil.example")
        ]));
        assert!(!own(&[
            ("sec-fetch-site", "same-origin"),
            ("sec-fetch-site", "cross-site")
        ]));
    }

    #[test]
    fn the_recipients_page_takes_null_and_its_own_host_too() {
        let page = OwnOrigin::of("https://songda.court.example").no_referrer_behind_proxies();
        let own = |pairs: &[(&'static str, &'static str)]| page.posted_from(&headers(pairs));
        assert!(own(&[("origin", "null")]));
        assert!(own(&[
            ("origin", "http://10.0.0.5:8443"),
            ("host", "10.0.0.5:8443")
        ]));
        assert!(!own(&[
            ("origin", "http://10.0.0.5:8443"),
            ("host", "10.0.0.6:8443")
        ]));
        assert!(!own(&[
            ("origin", "null"),
            ("sec-fetch-site", "cross-site")
        ]));
        assert!(!own(&[]));
    }
}
