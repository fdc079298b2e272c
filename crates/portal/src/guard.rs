//! Per-client limits on the sign-in forms (GCRA through `governor`, keyed by the client's IP
//! address, kept in memory per instance). The per-lawyer limits are in the log (they must hold
//! across instances and restarts); these bound what one address can do to all lawyers at once —
//! guessing codes across the directory, sending codes to every phone, filling the log with
//! refusals. A request over them is answered 429 and not recorded: recording it would be the flood.

use axum::http::{HeaderValue, header};
use axum::response::Response;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::IpAddr;
use std::num::NonZeroU32;

/// Codes one address may ask for: a burst of 5, then 20 an hour.
const CODES_PER_HOUR: u32 = 20;
const CODES_BURST: u32 = 5;
/// Codes one address may type: a burst of 10, then 60 an hour.
const TRIES_PER_HOUR: u32 = 60;
const TRIES_BURST: u32 = 10;
/// Addresses remembered before those whose limits have recovered are forgotten.
const REMEMBERED: usize = 10_000;

/// The limiters.
pub struct Guard {
    codes: DefaultKeyedRateLimiter<IpAddr>,
    tries: DefaultKeyedRateLimiter<IpAddr>,
}

fn quota(per_hour: u32, burst: u32) -> Quota {
    let n = |v: u32| NonZeroU32::new(v).expect("a limit above zero");
    Quota::per_hour(n(per_hour)).allow_burst(n(burst))
}

impl Default for Guard {
    fn default() -> Self {
        Guard {
            codes: DefaultKeyedRateLimiter::keyed(quota(CODES_PER_HOUR, CODES_BURST)),
            tries: DefaultKeyedRateLimiter::keyed(quota(TRIES_PER_HOUR, TRIES_BURST)),
        }
    }
}

/// Over a limit: the whole seconds until `client` may try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait(pub u64);

impl Wait {
    /// `r` (a 429) with `Retry-After` (RFC 6585 §4), so a client knows when, not only "later"
    /// (outside tests, round 12, F1).
    pub fn on(self, mut r: Response) -> Response {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(self.0.max(1)));
        r
    }
}

impl Guard {
    /// Whether `client` may ask for another code now, else how long to wait.
    pub fn code(&self, client: IpAddr) -> Result<(), Wait> {
        Self::check(&self.codes, client)
    }

    /// Whether `client` may type another code now, else how long to wait.
    pub fn try_code(&self, client: IpAddr) -> Result<(), Wait> {
        Self::check(&self.tries, client)
    }

    fn check(limiter: &DefaultKeyedRateLimiter<IpAddr>, client: IpAddr) -> Result<(), Wait> {
        if limiter.len() > REMEMBERED {
            limiter.retain_recent();
        }
        limiter.check_key(&network_of(client)).map_err(|until| {
            let wait = until.wait_time_from(DefaultClock::default().now());
            Wait(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
        })
    }
}

/// The network a client speaks for: an IPv4 address itself, an IPv6 address's /64 (one
/// subscriber's prefix: its interface ids are the subscriber's to choose). Behind a proxy that
/// terminates TLS every client is the proxy: the limits then hold for all clients together.
fn network_of(client: IpAddr) -> IpAddr {
    match client {
        IpAddr::V4(_) => client,
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(std::net::Ipv6Addr::from(bits))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_address_gets_its_burst_and_others_are_untouched() {
        let g = Guard::default();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..CODES_BURST {
            assert!(g.code(a).is_ok());
        }
        // The burst is spent: the next code comes at 20 an hour, three minutes apart.
        let Err(Wait(secs)) = g.code(a) else {
            panic!("the burst is spent")
        };
        assert!((1..=180).contains(&secs), "{secs}");
        assert!(g.code(b).is_ok(), "another address has its own");
        assert!(g.try_code(a).is_ok(), "typing codes is limited apart");
    }

    #[test]
    fn an_ipv6_subscriber_is_one_client_whatever_its_interface_ids() {
        let g = Guard::default();
        for i in 0..CODES_BURST {
            let ip: IpAddr = format!("2001:db8:1:2::{i:x}").parse().unwrap();
            assert!(g.code(ip).is_ok());
        }
        assert!(g.code("2001:db8:1:2:ffff::1".parse().unwrap()).is_err());
        assert!(
            g.code("2001:db8:1:3::1".parse().unwrap()).is_ok(),
            "the next /64 is another client"
        );
    }
}
