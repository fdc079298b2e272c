//! The session's byte stream, with room for the responses rusmppc 0.4 cannot write.
//!
//! SMPP 3.4 §4.7 says an ESME answers an SMSC's `data_sm` with `data_sm_resp`; an SMSC may send a
//! delivery receipt or a handset's message that way instead of as `deliver_sm` (§4.7.1). rusmppc
//! 0.4's client sends `deliver_sm_resp`, `unbind_resp`, `enquire_link_resp` and `generic_nack`, but
//! no `data_sm_resp`, and has no way to send a PDU of one's own. So the session runs through a
//! splice: rusmppc writes into an in-memory pipe, a pump copies its PDUs, whole, to the socket, and
//! puts a response the hub asks for (encoded by rusmpp's own [`CommandCodec`]) between two of them.
//! Reading is untouched: rusmppc reads the socket itself. Framing is §3.2's: `command_length`, four
//! octets, big-endian, counts itself.
//!
//! ```text
//!   rusmppc ──write──▶ pipe ──▶ pump ──▶ socket
//!                               ▲
//!   Responder::data_sm_resp ────┘        (a PDU never interleaves with another)
//! ```

use super::Stream;
use bytes::BytesMut;
use rusmpp::pdus::DataSmResp;
use rusmpp::tokio_codec::CommandCodec;
use rusmpp::{Command, CommandStatus};
use std::time::Duration;
use tokio::io::{AsyncWriteExt, DuplexStream, WriteHalf};
use tokio::sync::mpsc;
use tokio_stream::StreamExt;
use tokio_util::codec::{Encoder, FramedRead, LengthDelimitedCodec};

/// The longest PDU the pump passes on (octets): far above any PDU rusmppc writes (a submit_sm with
/// a full message_payload is under 66 KiB).
const MAX_PDU: usize = 1 << 20;

/// Room in the pipe between rusmppc and the pump (octets).
const PIPE: usize = 64 * 1024;

/// The shortest PDU: the header alone (§3.2).
const HEADER: usize = 16;

/// The longest the pump waits for the socket to take one PDU: an SMSC that stops reading ends the
/// session (rusmppc's next write fails and the gateway binds again) instead of stalling it.
const WRITE_DEADLINE: Duration = Duration::from_secs(30);

/// Asks the pump to write a response rusmppc cannot. Cheap to clone; one per session.
#[derive(Clone, Debug)]
pub(crate) struct Responder(mpsc::UnboundedSender<Command>);

impl Responder {
    /// Queues `data_sm_resp` (ESME_ROK, no message id: §4.7.2 lets an ESME leave it empty) for the
    /// SMSC's `data_sm` numbered `sequence`. Returns false when the session has ended (the SMSC then
    /// sends the data_sm again on the next session, as for an unanswered deliver_sm).
    pub(crate) fn data_sm_resp(&self, sequence: u32) -> bool {
        let command = Command::builder()
            .status(CommandStatus::EsmeRok)
            .sequence_number(sequence)
            .pdu(DataSmResp::default());
        self.0.send(command).is_ok()
    }
}

/// Splits `stream`: rusmppc gets a stream that reads the socket and writes into the pipe; the
/// returned [`Responder`] puts responses between rusmppc's PDUs. The pump runs until rusmppc drops
/// its stream (then the socket's write side is shut down) or the socket fails.
pub(super) fn splice(stream: Box<dyn Stream>) -> (impl Stream, Responder) {
    let (read, write) = tokio::io::split(stream);
    let (ours, theirs) = tokio::io::duplex(PIPE);
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(pump(theirs, write, rx));
    (tokio::io::join(read, ours), Responder(tx))
}

/// Copies rusmppc's PDUs to the socket, whole, and the responses asked for between them.
async fn pump(
    pipe: DuplexStream,
    mut socket: WriteHalf<Box<dyn Stream>>,
    mut responses: mpsc::UnboundedReceiver<Command>,
) {
    // The length counts itself and nothing is skipped: each frame is the whole PDU as written.
    let framing = LengthDelimitedCodec::builder()
        .length_field_length(4)
        .length_adjustment(0)
        .num_skip(0)
        .max_frame_length(MAX_PDU)
        .new_codec();
    let mut pdus = FramedRead::new(pipe, framing);
    loop {
        // Responses first: one asked for just before rusmppc closes still goes out.
        let bytes = tokio::select! {
            biased;
            Some(command) = responses.recv() => match encode(command) {
                Some(bytes) => bytes,
                None => continue,
            },
            pdu = pdus.next() => match pdu {
                Some(Ok(pdu)) if pdu.len() >= HEADER => pdu,
                Some(Ok(_)) => {
                    tracing::warn!("the SMPP client wrote a PDU shorter than its header; ending the session");
                    break;
                }
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "the SMPP client wrote a PDU the splice cannot frame; ending the session");
                    break;
                }
                None => break,
            },
        };
        let written = tokio::time::timeout(WRITE_DEADLINE, async {
            socket.write_all(&bytes).await?;
            socket.flush().await
        });
        if !matches!(written.await, Ok(Ok(()))) {
            tracing::warn!("the SMSC did not take a PDU in time; ending the session");
            break;
        }
    }
    let _ = tokio::time::timeout(WRITE_DEADLINE, socket.shutdown()).await;
}

fn encode(command: Command) -> Option<BytesMut> {
    let mut bytes = BytesMut::new();
    match CommandCodec::new().encode(command, &mut bytes) {
        Ok(()) => Some(bytes),
        Err(e) => {
            tracing::warn!(error = %e, "a response could not be encoded; the SMSC will send its PDU again");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusmpp::{CommandId, Pdu};
    use tokio::io::AsyncReadExt;

    /// Whatever the pump writes, read back as SMPP commands by rusmpp's own decoder.
    async fn written(mut far: DuplexStream) -> Vec<Command> {
        let mut raw = Vec::new();
        far.read_to_end(&mut raw).await.expect("read");
        let mut frames = FramedRead::new(&raw[..], CommandCodec::new());
        let mut commands = Vec::new();
        while let Some(c) = frames.next().await {
            commands.push(c.expect("a whole PDU"));
        }
        commands
    }

    #[tokio::test]
    async fn responses_go_between_whole_pdus_and_the_socket_closes_with_the_client() {
        let (near, far) = tokio::io::duplex(PIPE);
        let (mut client_side, responder) = splice(Box::new(near));
        // rusmppc's PDUs, written in uneven pieces as a codec may.
        let mut pdus = BytesMut::new();
        for sequence in [1, 2] {
            let c = Command::new(CommandStatus::EsmeRok, sequence, Pdu::EnquireLink);
            CommandCodec::new().encode(c, &mut pdus).expect("encode");
        }
        client_side.write_all(&pdus[..5]).await.expect("write");
        assert!(responder.data_sm_resp(7));
        tokio::task::yield_now().await;
        client_side.write_all(&pdus[5..]).await.expect("write");
        client_side.shutdown().await.expect("shutdown");
        drop(client_side);
        let commands = written(far).await;
        let ids: Vec<_> = commands
            .iter()
            .map(|c| (c.id(), c.sequence_number()))
            .collect();
        assert_eq!(ids.len(), 3, "{ids:?}");
        assert!(ids.contains(&(CommandId::DataSmResp, 7)), "{ids:?}");
        let links: Vec<_> = ids
            .iter()
            .filter(|(id, _)| *id == CommandId::EnquireLink)
            .collect();
        assert_eq!(
            links,
            [&(CommandId::EnquireLink, 1), &(CommandId::EnquireLink, 2)]
        );
    }

    #[tokio::test]
    async fn a_response_after_the_session_ended_is_refused() {
        let (near, far) = tokio::io::duplex(PIPE);
        let (client_side, responder) = splice(Box::new(near));
        drop(client_side);
        assert!(written(far).await.is_empty());
        tokio::task::yield_now().await;
        assert!(!responder.data_sm_resp(9));
    }
}
