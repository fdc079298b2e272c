//! How an SMSC names a message in its delivery receipts. SMPP 3.4 appendix B says the receipt's
//! `id:` is the `message_id` of `submit_sm_resp`, but SMSCs differ: some give a hexadecimal id in
//! the response and its *decimal* value in the receipt, others the reverse. The form is a setting
//! per SMSC (`[service.sms] receipt_id_form`); the hub records, with the id the SMSC gave, the id
//! its receipts will carry, so every receipt still finds its part.

use serde::{Deserialize, Serialize};

/// The form of the ids in one SMSC's receipts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptIdForm {
    /// As in `submit_sm_resp` (the specification).
    #[default]
    AsSubmitted,
    /// The decimal value of the hexadecimal id in `submit_sm_resp`.
    DecimalOfHex,
    /// The hexadecimal value (any case) of the decimal id in `submit_sm_resp`.
    HexOfDecimal,
}

impl ReceiptIdForm {
    /// The id receipts will carry for a part the SMSC accepted as `submitted`, in canonical form;
    /// `None` when the SMSC's id is not of the form this setting says (then receipts can only
    /// match it as given).
    pub fn expected(self, submitted: &str) -> Option<String> {
        let s = submitted.trim();
        match self {
            ReceiptIdForm::AsSubmitted => Some(s.to_string()),
            ReceiptIdForm::DecimalOfHex => u128::from_str_radix(s, 16).ok().map(|v| v.to_string()),
            ReceiptIdForm::HexOfDecimal => s.parse::<u128>().ok().map(|v| format!("{v:X}")),
        }
    }

    /// The canonical form of the id a receipt names (leading zeros and case do not matter once
    /// the id is a number); an id that is not a number of that base stays as it is.
    pub fn canonical(self, receipt_id: &str) -> String {
        let s = receipt_id.trim();
        match self {
            ReceiptIdForm::AsSubmitted => Some(s.to_string()),
            ReceiptIdForm::DecimalOfHex => s.parse::<u128>().ok().map(|v| v.to_string()),
            ReceiptIdForm::HexOfDecimal => {
                u128::from_str_radix(s, 16).ok().map(|v| format!("{v:X}"))
            }
        }
        .unwrap_or_else(|| s.to_string())
    }
}

impl ReceiptIdForm {
    /// The ids a receipt naming `receipt_id` may mean, as the hub records part ids, most likely
    /// first: the id in this form ([`ReceiptIdForm::canonical`]); the SMSC's own id as given in
    /// `submit_sm_resp`, in the recorded form ([`ReceiptIdForm::expected`]) — the
    /// `receipted_message_id` TLV carries that one (SMPP 3.4 §5.3.2.12), whatever the text says —;
    /// the id as given, as parts recorded before the setting changed are; and this form's id
    /// turned back into the SMSC's. Case and leading zeros are the store's to disregard
    /// (`ecenter_domain::service::sms_part_key`).
    pub fn candidates(self, receipt_id: &str) -> Vec<String> {
        let given = receipt_id.trim();
        let back = match self {
            ReceiptIdForm::AsSubmitted => None,
            ReceiptIdForm::DecimalOfHex => given.parse::<u128>().ok().map(|v| format!("{v:X}")),
            ReceiptIdForm::HexOfDecimal => {
                u128::from_str_radix(given, 16).ok().map(|v| v.to_string())
            }
        };
        let mut out: Vec<String> = Vec::with_capacity(4);
        let all = [
            Some(self.canonical(given)),
            self.expected(given),
            Some(given.to_string()),
            back,
        ];
        for id in all.into_iter().flatten() {
            if !out.contains(&id) {
                out.push(id);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_form_maps_the_submitted_id_to_what_its_receipts_say() {
        use ReceiptIdForm::*;
        assert_eq!(
            AsSubmitted.expected("0000002A").as_deref(),
            Some("0000002A")
        );
        assert_eq!(AsSubmitted.canonical("0000002A"), "0000002A");
        // A hex id in the response, its decimal value in the receipt (with or without zeros).
        assert_eq!(DecimalOfHex.expected("0000002A").as_deref(), Some("42"));
        assert_eq!(DecimalOfHex.canonical("0042"), "42");
        // A decimal id in the response, its hex value in the receipt, in either case.
        assert_eq!(HexOfDecimal.expected("660268").as_deref(), Some("A132C"));
        assert_eq!(HexOfDecimal.canonical("000a132c"), "A132C");
        // Ids that are not numbers of that base stay as given.
        assert_eq!(DecimalOfHex.expected("msg-7"), None);
        assert_eq!(DecimalOfHex.canonical("msg-7"), "msg-7");
        // Whatever the setting, a receipt naming the SMSC's own id still finds its part, and
        // so does one about a part recorded before the setting changed.
        assert_eq!(
            DecimalOfHex.candidates("1A2B3C01"),
            ["1A2B3C01", "439041025"]
        );
        let decimal = DecimalOfHex.candidates("439041025");
        assert_eq!(decimal[0], "439041025", "this form's reading first");
        assert!(decimal.contains(&"1A2B3C01".to_string()), "{decimal:?}");
        assert_eq!(AsSubmitted.candidates(" 1a2b3c04 "), ["1a2b3c04"]);
        assert_eq!(
            HexOfDecimal.expected(&"9".repeat(60)),
            None,
            "too large: no panic"
        );
    }
}
