//! Acknowledging what the SMSC sent, once it is recorded: a `deliver_sm` gets `deliver_sm_resp`
//! through rusmppc, a `data_sm` gets `data_sm_resp` through the splice (SMPP 3.4 §4.6.2, §4.7.2).
//! Until then the SMSC keeps the message and sends it again on the next session.

use super::splice::Responder;
use rusmpp::pdus::DeliverSmResp;
use rusmppc::Client;

/// The response owed for one PDU from the SMSC.
pub(crate) enum Ack {
    /// `deliver_sm_resp` for the deliver_sm numbered so.
    DeliverSm(Client, u32),
    /// `data_sm_resp` for the data_sm numbered so.
    DataSm(Responder, u32),
}

impl Ack {
    /// Sends the response; `what` names the message in the warning when the session has gone.
    pub(crate) async fn send(self, what: &str) {
        let sent = match self {
            Ack::DeliverSm(client, sequence) => client
                .deliver_sm_resp(sequence, DeliverSmResp::default())
                .await
                .map_err(|e| e.to_string()),
            Ack::DataSm(responder, sequence) => {
                if responder.data_sm_resp(sequence) {
                    Ok(())
                } else {
                    Err("the session has ended".to_string())
                }
            }
        };
        if let Err(error) = sent {
            tracing::warn!(%error, "acknowledging {what} failed; the SMSC will send it again");
        }
    }
}
