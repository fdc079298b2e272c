//! What a deliver_sm carries that tells a delivery receipt from a handset's reply (esm_class,
//! receipted_message_id, message_state).

use super::*;

/// What a deliver_sm carries that tells a delivery receipt from a handset's message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceiptFields {
    /// esm_class (SMPP 3.4 §5.2.12).
    pub esm_class: u8,
    /// The text: short_message, or the message_payload TLV when short_message is empty.
    pub text: String,
    /// receipted_message_id TLV.
    pub tlv_id: Option<String>,
    /// message_state TLV.
    pub tlv_state: Option<u8>,
}

impl ReceiptFields {
    pub(super) fn read(
        esm_class: u8,
        data_coding: u8,
        short_message: &[u8],
        tlvs: &[rusmpp::tlvs::Tlv],
    ) -> ReceiptFields {
        let text = |bytes: &[u8]| match data_coding {
            // UCS-2, as CMPP gateways send a receipt whose `text:` holds Chinese: read as
            // UTF-8 it would be `\0i\0d\0:…`, no receipt at all.
            8 => crate::sms_reply::decode(0, 8, bytes),
            _ => String::from_utf8_lossy(bytes).to_string(),
        };
        let mut fields = ReceiptFields {
            esm_class,
            text: text(short_message),
            ..Default::default()
        };
        for tlv in tlvs {
            match tlv.value() {
                Some(TlvValue::ReceiptedMessageId(id)) => fields.tlv_id = Some(id.to_string()),
                Some(TlvValue::MessageState(state)) => fields.tlv_state = Some(u8::from(*state)),
                Some(TlvValue::MessagePayload(p)) if fields.text.is_empty() => {
                    fields.text = text(p.value.as_ref());
                }
                _ => {}
            }
        }
        fields
    }

    /// The receipt, when this is one: the message type in esm_class is "SMSC delivery receipt"
    /// (bits 5–2 = 0001, §5.2.12), or the receipt TLVs are there (§5.3.2.12, §5.3.2.35). A
    /// handset's message (esm_class 0) is never a receipt, whatever its text says.
    pub fn receipt(&self) -> Option<Receipt> {
        if !self.from_the_smsc() {
            return None;
        }
        parse_receipt(&self.text, self.tlv_id.as_deref(), self.tlv_state)
    }

    /// Whether the SMSC, not a handset, wrote it: any message type in esm_class bits 5–2 (a
    /// receipt, an SME or manual acknowledgement, an intermediate notification, §5.2.12) or the
    /// receipt TLVs. Such a message is never a recipient's reply, even when it cannot be read.
    pub fn from_the_smsc(&self) -> bool {
        self.esm_class & 0x3C != 0 || self.tlv_id.is_some() || self.tlv_state.is_some()
    }
}
