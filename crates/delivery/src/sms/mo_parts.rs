//! A handset's message in parts, put back together before it is recorded, so that one message is
//! one reply. A part says so with a concatenation information element in its user data header
//! (esm_class UDHI, SMPP 3.4 §5.2.12; IE 0x00 with an 8-bit or 0x08 with a 16-bit reference,
//! 3GPP TS 23.040 §9.2.3.24.1 and .8) or with the sar_* TLVs (§5.3.2.22–24).
//!
//! No part is acknowledged before the whole message is recorded: until then the SMSC keeps every
//! part and sends it again after a reconnect, so nothing is lost when the hub stops. A message
//! whose other parts do not come within [`STALE_AFTER`] is recorded with the parts that came,
//! when the next message from the SMSC arrives.

use rusmpp::tlvs::TlvValue;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// How long the parts of one message wait for the rest.
pub(crate) const STALE_AFTER: Duration = Duration::from_secs(120);

/// Where a part stands in its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Concatenation {
    /// The message's reference, the same in each of its parts.
    pub reference: u16,
    /// How many parts the message has.
    pub total: u8,
    /// This part's number, from 1.
    pub number: u8,
    /// Where the part's text begins in its user data (after the header).
    pub body_from: usize,
}

/// The concatenation a part carries, if any: from its user data header when esm_class has UDHI,
/// else from the sar_* TLVs. A one-part "concatenation" or a malformed header counts as none.
pub(crate) fn concatenation(
    esm_class: u8,
    user_data: &[u8],
    tlvs: &[rusmpp::tlvs::Tlv],
) -> Option<Concatenation> {
    let found = if esm_class & 0x40 != 0 {
        from_header(user_data)
    } else {
        from_sar(tlvs)
    };
    found.filter(|c| c.total > 1 && (1..=c.total).contains(&c.number))
}

fn from_header(user_data: &[u8]) -> Option<Concatenation> {
    let length = usize::from(*user_data.first()?);
    let mut ies = user_data.get(1..=length)?;
    while let [iei, iel, rest @ ..] = ies {
        let (data, next) = rest.split_at_checked(usize::from(*iel))?;
        let (reference, total, number) = match (iei, data) {
            (0x00, [r, t, n]) => (u16::from(*r), *t, *n),
            (0x08, [r1, r2, t, n]) => (u16::from_be_bytes([*r1, *r2]), *t, *n),
            _ => {
                ies = next;
                continue;
            }
        };
        let body_from = length + 1;
        return Some(Concatenation {
            reference,
            total,
            number,
            body_from,
        });
    }
    None
}

fn from_sar(tlvs: &[rusmpp::tlvs::Tlv]) -> Option<Concatenation> {
    let (mut reference, mut total, mut number) = (None, None, None);
    for tlv in tlvs {
        match tlv.value() {
            Some(TlvValue::SarMsgRefNum(r)) => reference = Some(*r),
            Some(TlvValue::SarTotalSegments(t)) => total = Some(*t),
            Some(TlvValue::SarSegmentSeqnum(n)) => number = Some(*n),
            _ => {}
        }
    }
    Some(Concatenation {
        reference: reference?,
        total: total?,
        number: number?,
        body_from: 0,
    })
}

/// A message ready to record: its parts' texts joined in order (user data without headers).
/// `A` is what acknowledges one part to the SMSC.
pub(crate) struct Assembled<A> {
    /// The sending number.
    pub from: String,
    /// data_coding of its parts.
    pub data_coding: u8,
    /// The joined user data.
    pub body: Vec<u8>,
    /// One acknowledgement per part, to send once recorded.
    pub acks: Vec<A>,
    /// Whether every part came (false: recorded after [`STALE_AFTER`] with what came).
    pub complete: bool,
}

struct Partial<A> {
    total: u8,
    data_coding: u8,
    parts: BTreeMap<u8, (Vec<u8>, A)>,
    first: Instant,
}

/// The parts waiting for the rest of their message, by sender and reference.
pub(crate) struct Reassembly<A> {
    waiting: HashMap<(String, u16), Partial<A>>,
}

impl<A> Default for Reassembly<A> {
    fn default() -> Self {
        Reassembly {
            waiting: HashMap::new(),
        }
    }
}

impl<A> Reassembly<A> {
    /// Adds `body` (part `c.number` of `c.total` from `from`) and returns what is ready to record:
    /// the whole message once its last part came, and any other message whose parts waited longer
    /// than [`STALE_AFTER`] at `now`. A part sent again replaces the earlier copy (whose session,
    /// and so whose acknowledgement, has gone).
    pub(crate) fn add(
        &mut self,
        (from, data_coding): (String, u8),
        c: Concatenation,
        (body, ack): (Vec<u8>, A),
        now: Instant,
    ) -> Vec<Assembled<A>> {
        let key = (from, c.reference);
        let partial = self.waiting.entry(key.clone()).or_insert_with(|| Partial {
            total: c.total,
            data_coding,
            parts: BTreeMap::new(),
            first: now,
        });
        partial.parts.insert(c.number, (body, ack));
        let mut ready = Vec::new();
        if partial.parts.len() >= usize::from(partial.total) {
            let whole = self.waiting.remove(&key).expect("present");
            ready.push(assemble(key.0, whole, true));
        }
        let stale: Vec<_> = self
            .waiting
            .iter()
            .filter(|(_, p)| now.duration_since(p.first) >= STALE_AFTER)
            .map(|(k, _)| k.clone())
            .collect();
        for k in stale {
            let partial = self.waiting.remove(&k).expect("listed");
            ready.push(assemble(k.0, partial, false));
        }
        ready
    }
}

fn assemble<A>(from: String, partial: Partial<A>, complete: bool) -> Assembled<A> {
    let mut body = Vec::new();
    let mut acks = Vec::new();
    for (_, (part, ack)) in partial.parts {
        body.extend_from_slice(&part);
        acks.push(ack);
    }
    Assembled {
        from,
        data_coding: partial.data_coding,
        body,
        acks,
        complete,
    }
}

#[cfg(test)]
mod tests;
