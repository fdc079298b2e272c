//! The budget every target parses under: the hub's defaults, tighter on time so that a slow
//! input shows as a timeout of libFuzzer's (`-timeout`) rather than passing unnoticed.

use std::rc::Rc;

pub fn within<R>(f: impl FnOnce() -> R) -> R {
    let limits = ecenter_budget::Limits {
        seconds: 5,
        ..Default::default()
    };
    ecenter_budget::scope(Rc::new(ecenter_budget::Budget::new(limits)), f)
}
