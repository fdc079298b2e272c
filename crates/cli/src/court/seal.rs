//! `court seal`: seals a filed PDF or OFD with one of the court's seals (SealService.SealPdf, a
//! PAdES signature; SealService.SealOfd, a GB/T 38540 seal in the OFD, GB/T 33190 §18). The
//! hub keeps the sealed copy beside the original (S1, S2, …) and records the sealing; the copy
//! is downloaded and saved here too, so the clerk can hand it on or check it with any validator.

use ecenter_client::exit::{Exit, refused};
use ecenter_client::hub::HubConfig;
use ecenter_client::tool;
use ecenter_proto::v1 as pb;
use std::path::PathBuf;

/// Which document, which seal, and where the sealed copy goes.
#[derive(Debug, clap::Args)]
pub(crate) struct SealArgs {
    /// The filing id (F…).
    #[arg(value_parser = ecenter_client::filing_id_arg)]
    filing: String,
    /// The document (D1, D2, …), a PDF or an OFD.
    document: String,
    /// The seal to apply (its id in the seal registry, e.g. 4206-SSFW-09).
    #[arg(long)]
    seal: String,
    /// The page to show it on (1-based; default: the last page).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    page: Option<u32>,
    /// Why, shown by PDF readers (an OFD seal carries no reason).
    #[arg(long, default_value = "法院电子签章")]
    reason: String,
    /// Where to save the sealed copy (default: <filing>-<sealed document>.pdf, or .ofd, here).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// What the hub answered for a sealed copy, whichever the format.
struct Sealed {
    document_id: String,
    sha256: String,
    size: u64,
    timestamped: bool,
    /// The copy's extension: `pdf` or `ofd`.
    extension: &'static str,
}

/// Seals the stored PDF or OFD, downloads the sealed copy and saves it.
pub(crate) async fn seal(p: &HubConfig, args: SealArgs) -> Result<(), Exit> {
    let document = pb::DocumentRef {
        filing_id: args.filing.clone(),
        document_id: args.document.clone(),
    };
    let mut seals = pb::seal_service_client::SealServiceClient::new(tool::channel(p).await?);
    let sealed = if is_ofd(p, &args).await? {
        let r = seals
            .seal_ofd(pb::SealOfdRequest {
                seal_id: args.seal.clone(),
                target: Some(pb::seal_ofd_request::Target::Stored(document)),
                page: args.page.unwrap_or(0),
                position: None,
            })
            .await
            .map_err(refused)?
            .into_inner();
        Sealed {
            document_id: r.document_id,
            sha256: r.sha256,
            size: r.size,
            timestamped: r.timestamped,
            extension: "ofd",
        }
    } else {
        let r = seals
            .seal_pdf(pb::SealPdfRequest {
                seal_id: args.seal.clone(),
                target: Some(pb::seal_pdf_request::Target::Stored(document)),
                page: args.page.unwrap_or(0),
                position: None,
                reason: args.reason.clone(),
            })
            .await
            .map_err(refused)?
            .into_inner();
        Sealed {
            document_id: r.document_id,
            sha256: r.sha256,
            size: r.size,
            timestamped: r.timestamped,
            extension: "pdf",
        }
    };
    save(p, args, sealed).await
}

/// Whether the document is an OFD, as the hub recorded it when it was filed (its content
/// judged, not its name); any other document goes to SealPdf, which names what it can seal.
async fn is_ofd(p: &HubConfig, args: &SealArgs) -> Result<bool, Exit> {
    let filing = tool::filing_client(p)
        .await?
        .get_filing(pb::GetFilingRequest {
            filing_id: args.filing.clone(),
        })
        .await
        .map_err(refused)?
        .into_inner();
    Ok(filing
        .documents
        .iter()
        .any(|d| d.document_id == args.document && d.media_type == "application/ofd"))
}

/// Downloads the sealed copy, checks it is the one the hub sealed, and saves it.
async fn save(p: &HubConfig, args: SealArgs, sealed: Sealed) -> Result<(), Exit> {
    let mut stream = tool::filing_client(p)
        .await?
        .download_document(pb::DownloadDocumentRequest {
            filing_id: args.filing.clone(),
            document_id: sealed.document_id.clone(),
        })
        .await
        .map_err(refused)?
        .into_inner();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.message().await.map_err(refused)? {
        bytes.extend_from_slice(&chunk.data);
    }
    let digest = hex::encode(ring::digest::digest(&ring::digest::SHA256, &bytes));
    if digest != sealed.sha256 || bytes.len() as u64 != sealed.size {
        return Err(Exit(
            1,
            anyhow::anyhow!(
                "the sealed copy {} downloaded is not the one the hub sealed (SHA-256 {digest}, {} bytes; sealed: {}, {} bytes): nothing saved",
                sealed.document_id,
                bytes.len(),
                sealed.sha256,
                sealed.size
            ),
        ));
    }
    let out = args.out.unwrap_or_else(|| {
        PathBuf::from(format!(
            "{}-{}.{}",
            args.filing, sealed.document_id, sealed.extension
        ))
    });
    std::fs::write(&out, &bytes).map_err(|e| Exit(2, anyhow::anyhow!("{}: {e}", out.display())))?;
    println!(
        "{} {} sealed with {} as {} ({} bytes, SHA-256 {}{}) / 已盖章; saved {}",
        args.filing,
        args.document,
        args.seal,
        sealed.document_id,
        sealed.size,
        sealed.sha256,
        if sealed.timestamped {
            ", timestamped 已加时间戳"
        } else {
            ""
        },
        out.display()
    );
    Ok(())
}
