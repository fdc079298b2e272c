//! 网上提交材料: the filing form, its submission once every upload is complete, and the receipt
//! page with the court's sealed receipt (签收单) as a PDF.
//!
//! The form carries a request id the hub drew for it, so sending it twice — a double click, an
//! answer lost to a dropped network — files once: a form whose uploads were already filed is
//! answered with the filing its request id made (as the log has it), and the same files uploaded
//! again meet SubmitFiling's own idempotency by request id. The
//! documents are the session's complete uploads ([`crate::uploads`]), taken in the order the
//! lawyer listed them; the header is checked against the court's policy before any upload is
//! taken, so a mistyped case number costs no re-upload.

use crate::Portal;
use crate::uploads::{json, refused};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ecenter_api::identity::Identity;
use ecenter_outbox::page::escape;
use ecenter_proto::v1 as pb;
use ecenter_store::EventStore;
use std::sync::Arc;

#[derive(serde::Deserialize)]
pub(crate) struct FormQuery {
    /// A filing returned for correction that this one corrects (补正).
    #[serde(default)]
    corrects: String,
}

/// `GET /portal/file`: the form. Works with the script only (uploads need it); says so without.
pub(crate) async fn form<S: EventStore>(
    State(p): State<Arc<Portal<S>>>,
    Query(q): Query<FormQuery>,
    headers: HeaderMap,
) -> Response {
    let (hash, _) = match p.signed_in(&headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let policy = p.filing.policy();
    let kinds: String = policy
        .filing_kinds
        .iter()
        .map(|k| {
            let new_case = if k.starts_case {
                "（可立新案）"
            } else {
                ""
            };
            format!(
                "<option value=\"{code}\">{name}{new_case}</option>",
                code = escape(&k.code),
                name = escape(&k.name)
            )
        })
        .collect();
    let limits = &policy.limits;
    let body = format!(
        "<form id=\"file-form\" data-csrf=\"{csrf}\" data-max-bytes=\"{max}\" data-max-docs=\"{docs}\">\
         <input type=\"hidden\" name=\"request_id\" value=\"{request}\">\
         <p><label for=\"kind\">材料类型</label><select id=\"kind\" name=\"filing_kind\" required>{kinds}</select></p>\
         <p><label for=\"case\">案号</label><input id=\"case\" name=\"case_number\" autocomplete=\"off\" \
         placeholder=\"如（2026）鄂06民初123号；新案留空\"></p>\
         <p><label for=\"title\">标题</label><input id=\"title\" name=\"title\" required maxlength=\"200\"></p>\
         <p><label for=\"corrects\">补正的收件号（仅补正时填写）</label><input id=\"corrects\" name=\"corrects_filing_id\" \
         value=\"{corrects}\" autocomplete=\"off\"></p>\
         <p><label for=\"files\">文件（PDF、OFD、DOCX、图片；每份不超过 {max_mb} MB，最多 {docs} 份）</label>\
         <input id=\"files\" type=\"file\" multiple></p>\
         <div id=\"drop\" class=\"drop\">也可以把文件拖到这里</div>\
         <ul id=\"file-list\" aria-live=\"polite\"></ul>\
         <p><label for=\"overall\">总进度</label><progress id=\"overall\" max=\"1\" value=\"0\"></progress></p>\
         <p id=\"file-status\" role=\"status\" aria-live=\"polite\"></p>\
         <p><button type=\"submit\">提交材料</button></p></form>\
         <noscript><p class=\"error\">网上提交材料需要启用浏览器的 JavaScript（用于分段上传和显示进度）。</p></noscript>\
         <p><a href=\"/portal/\">返回我的诉讼服务</a></p>",
        csrf = p.keys.csrf(&hash),
        max = limits.max_document_bytes,
        max_mb = limits.max_document_bytes / (1024 * 1024),
        docs = limits.max_documents,
        request = format_args!("portal-{}", p.keys.random(12)),
        corrects = escape(q.corrects.trim()),
    );
    p.page(StatusCode::OK, "网上提交材料", &body)
}

/// What the script sends once every file is uploaded.
#[derive(serde::Deserialize)]
pub(crate) struct Submit {
    request_id: String,
    filing_kind: String,
    #[serde(default)]
    case_number: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    corrects_filing_id: String,
    uploads: Vec<String>,
    /// The SHA-256 a client computed of each upload, in the same order ("" where it has none):
    /// the hub refuses bytes that differ. The portal's own page sends none (ARCHITECTURE.md).
    #[serde(default)]
    sha256: Vec<String>,
}

/// `POST /portal/file`: files the session's uploads under the form's header; JSON with the
/// filing id and the receipt page, or `{"error": …}` in Chinese.
pub(crate) async fn submit<S: EventStore>(
    State(p): State<Arc<Portal<S>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (session, identity, s) = match p.script_json::<Submit>(&headers, &body).await {
        Ok(x) => x,
        Err(r) => return *r,
    };
    // One filing at a time per session, the turn held by the task that files: a form sent again
    // while the first is being recorded waits for it, then finds its filing.
    let turn = p.uploads.submit_turn(&session).lock_owned().await;
    let slots = match p.complete_uploads(&session, &s.uploads, &s.sha256).await {
        Ok(slots) => slots,
        // Uploads already filed (an answer lost on the way, another tab): the filing says so.
        Err(refused) => return p.filed_before(&identity, &s.request_id, *refused).await,
    };
    let header = pb::SubmissionHeader {
        request_id: s.request_id.clone(),
        case_number: s.case_number.trim().to_string(),
        filing_kind: s.filing_kind,
        title: s.title.trim().to_string(),
        documents: slots.iter().map(|(_, d)| d.clone()).collect(),
        corrects_filing_id: s.corrects_filing_id.trim().to_string(),
    };
    // Checked before any upload is taken: a mistake in the form costs no re-upload.
    let checked = match p.filing.validate(header) {
        Ok(given) => p.filing.precheck(&identity, &given).await.map(|()| given),
        Err(status) => Err(status),
    };
    let given = match checked {
        Ok(g) => g,
        Err(status) => return not_taken(&status, "请修改后再次提交，已上传的文件仍然保留"),
    };
    // Taking the uploads, filing and keeping the answer run in a task of their own: a browser
    // that goes away mid-request can lose neither the uploads nor the answer.
    let portal = p.clone();
    let ids = slots.into_iter().map(|(id, _)| id).collect();
    let request_id = s.request_id;
    tokio::spawn(async move {
        let _turn = turn;
        portal
            .file_uploads(session, identity, request_id, given, ids)
            .await
    })
    .await
    .unwrap_or_else(|_| unknown())
}

impl<S: EventStore> Portal<S> {
    /// Takes the uploads `ids` of `session` and files them under `given`.
    async fn file_uploads(
        &self,
        session: String,
        identity: Identity,
        request_id: String,
        given: ecenter_domain::submission::ValidHeader,
        ids: Vec<String>,
    ) -> Response {
        // Every upload is locked and checked before any is taken: none is lost to a half-taken set.
        let mut held = Vec::with_capacity(ids.len());
        for id in &ids {
            match self.uploads.get(id, &session) {
                Some(slot) => held.push(slot.lock_owned().await),
                None => return self.filed_before(&identity, &request_id, gone()).await,
            }
        }
        if held.iter().any(|slot| !slot.complete()) {
            return self.filed_before(&identity, &request_id, gone()).await;
        }
        let writers: Vec<_> = held.iter_mut().filter_map(|s| s.writer.take()).collect();
        ids.iter().for_each(|id| self.uploads.remove(id));
        drop(held);
        match self.filing.file_written(&identity, given, writers).await {
            Ok(r) => {
                let filing_id = r.receipt.map(|r| r.filing_id).unwrap_or_default();
                filed(&filing_id, r.replayed)
            }
            Err(status) if outcome_unknown(&status) => {
                tracing::error!(code = ?status.code(), message = status.message(), "portal filing outcome unknown");
                unknown()
            }
            Err(status) => not_taken(&status, "文件需要重新选择后提交"),
        }
    }

    /// The filing this lawyer already made with `request_id` as the answer, else `otherwise`
    /// (503 when the log could not say).
    async fn filed_before(
        &self,
        identity: &Identity,
        request_id: &str,
        otherwise: Response,
    ) -> Response {
        match self.filing.filed_by_request(identity, request_id).await {
            Ok(Some(filing_id)) => filed(&filing_id, true),
            Ok(None) => otherwise,
            Err(_) => unknown(),
        }
    }
}

/// Whether the hub could not say if the filing was recorded.
fn outcome_unknown(status: &tonic::Status) -> bool {
    use tonic::Code::{Cancelled, DeadlineExceeded, Internal, Unavailable, Unknown};
    matches!(
        status.code(),
        Unknown | Internal | Unavailable | DeadlineExceeded | Cancelled
    )
}

/// 503: the page sends the form again, which finds the filing if it was recorded.
fn unknown() -> Response {
    refused(
        StatusCode::SERVICE_UNAVAILABLE,
        "系统未能确认材料是否已记录。请稍候重新提交（同一份表单不会重复立案），或在“我的立案材料”中查看。",
    )
}

fn filed(filing_id: &str, replayed: bool) -> Response {
    json(
        StatusCode::OK,
        serde_json::json!({
            "filing_id": filing_id,
            "receipt": format!("/portal/filings/{filing_id}/receipt"),
            "replayed": replayed,
        }),
    )
}

fn gone() -> Response {
    refused(
        StatusCode::CONFLICT,
        "有文件已随另一次提交交给法院，或上传已失效，本次未提交。请查看“我的立案材料”，或重新选择文件。",
    )
}

/// The hub's refusal, for a person: what was wrong, nothing filed. In the hub's Chinese words
/// (the zh-CN LocalizedMessage its refusals carry) where it has them; otherwise the field named
/// in Chinese and the hub's English words.
fn not_taken(status: &tonic::Status, then: &str) -> Response {
    use tonic_types::StatusExt;
    let http = match status.code() {
        tonic::Code::InvalidArgument | tonic::Code::FailedPrecondition => StatusCode::BAD_REQUEST,
        tonic::Code::AlreadyExists => StatusCode::CONFLICT,
        tonic::Code::PermissionDenied => StatusCode::FORBIDDEN,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    };
    let chinese = status
        .get_details_localized_message()
        .filter(|m| m.locale == ecenter_api::error::CHINESE)
        .map(|m| m.message);
    let what = chinese.unwrap_or_else(|| english(status));
    refused(
        http,
        format!("材料未能提交，未保存任何内容：{what}。{then}。"),
    )
}

/// A refusal without Chinese words: its fields named as the form names them.
fn english(status: &tonic::Status) -> String {
    status
        .message()
        .replace("header.case_number", "案号")
        .replace("header.title", "标题")
        .replace("header.filing_kind", "材料类型")
        .replace("header.corrects_filing_id", "补正的收件号")
        .replace("header.request_id", "请求编号")
        .replace("header.documents", "文件")
}

impl<S: EventStore> Portal<S> {
    /// The uploads `ids` of `session`, each complete, in order, with the document header each
    /// announces (the digest given now, else the one given when it was announced); or the JSON
    /// refusal naming the file.
    async fn complete_uploads(
        &self,
        session: &str,
        ids: &[String],
        digests: &[String],
    ) -> Result<Vec<(String, pb::DocumentHeader)>, Box<Response>> {
        if ids.is_empty() {
            return Err(Box::new(refused(
                StatusCode::BAD_REQUEST,
                "请至少选择一份文件。",
            )));
        }
        let mut out: Vec<(String, pb::DocumentHeader)> = Vec::with_capacity(ids.len());
        for (index, id) in ids.iter().enumerate() {
            if out.iter().any(|(seen, _)| seen == id) {
                return Err(Box::new(refused(
                    StatusCode::BAD_REQUEST,
                    "同一文件列了两次。",
                )));
            }
            let Some(slot) = self.uploads.get(id, session) else {
                return Err(Box::new(gone()));
            };
            let slot = slot.lock().await;
            if !slot.complete() {
                return Err(Box::new(refused(
                    StatusCode::CONFLICT,
                    format!("「{}」尚未上传完毕，请等待上传完成后再提交。", slot.name),
                )));
            }
            let document = pb::DocumentHeader {
                name: slot.name.clone(),
                size: slot.size,
                sha256: digests
                    .get(index)
                    .map(|d| d.trim().to_ascii_lowercase())
                    .filter(|d| !d.is_empty())
                    .unwrap_or_else(|| slot.sha256.clone()),
                media_type: String::new(),
            };
            out.push((id.clone(), document));
        }
        Ok(out)
    }
}

/// `GET /portal/filings/{id}/receipt`: what the hub received and when, as the log recorded it.
pub(crate) async fn receipt<S: EventStore>(
    State(p): State<Arc<Portal<S>>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let r = match p.my_receipt(&headers, &id, false).await {
        Ok(r) => r,
        Err(r) => return *r,
    };
    let rows: String = r
        .documents
        .iter()
        .map(|d| {
            format!(
                "<tr><td>{id}</td><td>{name}</td><td>{size}</td><td class=\"hash\">{sha}</td></tr>",
                id = escape(&d.document_id),
                name = escape(&d.name),
                size = d.size,
                sha = escape(&d.sha256),
            )
        })
        .collect();
    let case = r
        .case_number
        .as_ref()
        .map_or("新案，立案时编定案号", |c| c.normalized.as_str());
    let body = format!(
        "<p role=\"status\">法院已收到您的材料。</p>\
         <table><tr><th>收件号</th><td>{id}</td></tr><tr><th>收到时间</th><td>{at}</td></tr>\
         <tr><th>案号</th><td>{case}</td></tr><tr><th>类型</th><td>{kind}</td></tr>\
         <tr><th>标题</th><td>{title}</td></tr><tr><th>提交人</th><td>{who}</td></tr>\
         <tr><th>承办部门</th><td>{dept}</td></tr>\
         <tr><th>日志记录</th><td class=\"hash\">第 {seq} 条，SHA-256 {hash}</td></tr></table>\
         <h2>收到的文件</h2><table><tr><th>编号</th><th>文件名</th><th>字节数</th><th>SHA-256</th></tr>{rows}</table>\
         <p><a href=\"/portal/filings/{id}/receipt.pdf\">下载法院盖章的签收单（PDF）</a></p>\
         <p><a href=\"/portal/filings/{id}\">查看审查进度</a> · <a href=\"/portal/file\">继续提交材料</a></p>",
        id = escape(&r.filing_id),
        at = escape(&ecenter_api::receipt_pdf::received_at_beijing(&r)),
        title = escape(&r.title),
        who = escape(if r.submitter_listed.is_empty() {
            &r.submitter
        } else {
            &r.submitter_listed
        }),
        case = escape(case),
        kind = escape(&r.filing_kind),
        dept = escape(&r.department),
        seq = r.log_seq,
        hash = escape(&r.log_hash),
    );
    p.page(StatusCode::OK, "签收单", &body)
}

/// `GET /portal/filings/{id}/receipt.pdf`: the receipt sealed by the court (PAdES).
pub(crate) async fn receipt_pdf<S: EventStore>(
    State(p): State<Arc<Portal<S>>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let r = match p.my_receipt(&headers, &id, true).await {
        Ok(r) => r,
        Err(r) => return *r,
    };
    let mut resp = r.pdf.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    let disposition = format!(
        "attachment; filename=\"receipt-{0}.pdf\"; filename*=UTF-8''%E7%AD%BE%E6%94%B6%E5%8D%95-{0}.pdf",
        r.filing_id
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    p.secure_headers(h);
    resp
}

impl<S: EventStore> Portal<S> {
    /// The receipt of filing `id` if the session's lawyer may have it (GetReceipt's checks).
    async fn my_receipt(
        &self,
        headers: &HeaderMap,
        id: &str,
        pdf: bool,
    ) -> Result<pb::Receipt, Box<Response>> {
        let (_, session) = self.signed_in(headers)?;
        let Ok(identity) = Identity::parse(&session.identity) else {
            return Err(Box::new(self.no_such_filing()));
        };
        match self.filing.receipt(&identity, id, pdf).await {
            Ok(r) => Ok(r),
            Err(s) if matches!(s.code(), tonic::Code::NotFound | tonic::Code::PermissionDenied) => {
                Err(Box::new(self.no_such_filing()))
            }
            Err(s) if s.code() == tonic::Code::FailedPrecondition => Err(Box::new(self.page(
                StatusCode::SERVICE_UNAVAILABLE,
                "暂时无法出具盖章签收单",
                "<p>本院尚未配置盖章签收单，或签章暂不可用。网页上的签收单内容同样以日志为准；请稍后再试或联系法院。</p>",
            ))),
            Err(s) => {
                tracing::error!(code = ?s.code(), message = s.message(), "portal receipt failed");
                Err(Box::new(self.page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "暂时无法处理",
                    "<p>系统暂时无法处理，请稍后再试。</p>",
                )))
            }
        }
    }
}
