//! The printable proof of service (电子送达凭证): the signed JSON proof laid out on A4 pages in
//! Chinese, so that a clerk can put it in the paper file and a party can read it without tools.
//!
//! The JSON proof stays the evidence; the PDF repeats what it says (court, case, recipient, every
//! channel with its receipts, every event, the effective time and its rule, all times in Beijing
//! time) and names the JSON's SHA-256, so the two can be matched. The font is the hub's choice (a
//! CJK TrueType/OpenType file, e.g. Debian's fonts-wqy-microhei); only the glyphs used are embedded
//! (krilla subsets it). The server seals the result with the court's seal (PAdES), leaving the
//! bottom right of the last page free for the seal's picture.
//!
//! The filing receipt (签收单) is laid out the same way ([`render_receipt`]).
#![warn(missing_docs)]
#![forbid(unsafe_code)]

use krilla::Document;
use krilla::geom::Point;
use krilla::page::PageSettings;
use krilla::text::{Font, TextDirection};
use serde_json::Value;

mod receipt;
pub use receipt::render_receipt;

/// A4 in points.
const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;
const BODY: f32 = 10.5;
const LEADING: f32 = 16.0;
/// The side of the seal's picture the sealer draws (crates/pdfseal), in points.
const SEAL_SIDE: f32 = 113.4;
/// Room the signature block (court and date, the seal over them) needs below the text.
const SIGNATURE_ROOM: f32 = 120.0;

/// A laid-out proof and where its seal goes.
#[derive(Debug, Clone)]
pub struct RenderedProof {
    /// The PDF, unsigned.
    pub pdf: Vec<u8>,
    /// The page (1-based) of the signature block.
    pub seal_page: u32,
    /// The seal's lower-left corner in PDF coordinates (points from the page's bottom left), so
    /// that it sits over the court's name and the date, as a stamp does on paper.
    pub seal_origin: (f32, f32),
}

/// Why no PDF could be made.
#[derive(Debug, thiserror::Error)]
pub enum ProofPdfError {
    /// The font file is not a font krilla can use.
    #[error("the proof font is not a usable TrueType/OpenType font")]
    Font,
    /// The proof is not the JSON the hub issues.
    #[error("the proof is not a proof of service: {0}")]
    NotAProof(String),
    /// krilla could not write the PDF.
    #[error("writing the PDF failed: {0}")]
    Pdf(String),
}

/// One line to print: its text and size, and the space before it.
struct Line {
    text: String,
    size: f32,
    gap: f32,
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn beijing(v: &Value) -> String {
    text(&v["beijing"])
}

/// Width of `c` in ems, close enough for breaking lines: CJK and other wide characters one em,
/// the rest a little over half.
fn width(c: char) -> f32 {
    if c.is_ascii() { 0.56 } else { 1.0 }
}

/// Breaks `text` into lines at most `max` points wide at `size`: at its own line breaks (LF or
/// CRLF, which a font draws as a missing glyph), then at the width, preferring spaces in Latin text.
fn wrap(text: &str, size: f32, max: f32) -> Vec<String> {
    text.split('\n')
        .map(|l| ecenter_domain::text::written_out(l.strip_suffix('\r').unwrap_or(l)))
        .flat_map(|l| {
            let wrapped = wrap_line(&l, size, max);
            if wrapped.is_empty() {
                vec![String::new()]
            } else {
                wrapped
            }
        })
        .collect()
}

/// Breaks one line of text: between CJK characters anywhere, in Latin text only at spaces — a
/// run of ASCII without spaces (a queue id, an address, `RFC 8098`'s number, a URN) stays whole
/// on one line unless it is wider than a line by itself, for a reader comparing the paper with
/// a relay's log must read it back as one token (outside tests, round 22, F3).
fn wrap_line(text: &str, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0.0;
    let mut flush = |line: &mut String, used: &mut f32| {
        let full = std::mem::take(line);
        lines.push(full.trim_end().to_string());
        *used = 0.0;
    };
    for token in tokens(text) {
        let w: f32 = token.chars().map(width).sum::<f32>() * size;
        if token == " " && line.is_empty() {
            continue;
        }
        if used + w > max && !line.is_empty() {
            flush(&mut line, &mut used);
            if token == " " {
                continue;
            }
        }
        if w <= max {
            line.push_str(token);
            used += w;
            continue;
        }
        // A token wider than a line: broken where the width runs out, as nothing else can be.
        for c in token.chars() {
            let cw = width(c) * size;
            if used + cw > max && !line.is_empty() {
                flush(&mut line, &mut used);
            }
            line.push(c);
            used += cw;
        }
    }
    if !line.is_empty() {
        flush(&mut line, &mut used);
    }
    lines
}

/// `text` as the units a line may break between: each run of ASCII other than spaces, each
/// space, and each other character on its own.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let latin = c.is_ascii() && c != ' ';
        match (latin, start) {
            (true, None) => start = Some(i),
            (true, Some(_)) => {}
            (false, open) => {
                if let Some(s) = open {
                    out.push(&text[s..i]);
                    start = None;
                }
                out.push(&text[i..i + c.len_utf8()]);
            }
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// The lines of the proof, in order.
fn lines(proof: &Value, proof_sha256: &str) -> Result<Vec<Line>, ProofPdfError> {
    let missing = |what: &str| ProofPdfError::NotAProof(format!("it has no {what}"));
    if proof["title"].as_str() != Some("电子送达凭证") {
        return Err(missing("title 电子送达凭证"));
    }
    let effective = proof
        .get("effective")
        .ok_or_else(|| missing("effective time"))?;
    let recipient = proof.get("recipient").ok_or_else(|| missing("recipient"))?;
    let mut out = Vec::new();
    let mut push = |text: String, size: f32, gap: f32| out.push(Line { text, size, gap });
    header_lines(proof, recipient, &mut push);
    document_lines(proof, &mut push);
    channel_lines(proof, &mut push);
    event_lines(proof, &mut push);
    reply_lines(proof, &mut push);
    reviewed_lines(proof, &mut push);
    clerk_lines(proof, &mut push);
    if effective.is_null() {
        withdrawn_lines(proof, &mut push);
    } else {
        effective_lines(effective, &mut push);
    }
    footer_lines(proof, proof_sha256, &mut push);
    Ok(out)
}

/// The title, the court, the case number and the 受送达人 with their consent and addresses: the
/// head of the 送达凭证.
fn header_lines(proof: &Value, recipient: &Value, push: &mut impl FnMut(String, f32, f32)) {
    push("电子送达凭证".into(), 22.0, 0.0);
    push(format!("（第 {} 版）", text(&proof["version"])), BODY, 6.0);
    push(format!("送达法院：{}", text(&proof["court"])), BODY, 14.0);
    // The court serves; the identity is the court's system (or clerk) that ordered it, which
    // the log names — not a person the recipient would know as 送达人.
    push(
        format!(
            "送达指令：{}（下达送达的平台身份）",
            text(&proof["ordered_by"])
        ),
        BODY,
        0.0,
    );
    push(
        format!("案　　号：{}", text(&proof["case_number"])),
        BODY,
        0.0,
    );
    push(
        format!(
            "送达单号：{} / {}",
            text(&proof["order_id"]),
            text(&recipient["recipient_id"])
        ),
        BODY,
        0.0,
    );
    push(
        format!("送达时间起算：{}", beijing(&proof["ordered_at"])),
        BODY,
        0.0,
    );
    push(
        format!(
            "受送达人：{}（{}）",
            text(&recipient["name"]),
            text(&recipient["role"])
        ),
        BODY,
        10.0,
    );
    push(
        format!("同意电子送达的依据：{}", text(&recipient["consent_basis"])),
        BODY,
        0.0,
    );
    for a in recipient["addresses"].as_array().into_iter().flatten() {
        push(
            format!(
                "送达地址（{}）：{}（{}）",
                text(&a["channel"]),
                text(&a["address"]),
                text(&a["basis"])
            ),
            BODY,
            0.0,
        );
    }
}

/// The served documents (送达文书), each with its size, SHA-256 and seal.
fn document_lines(proof: &Value, push: &mut impl FnMut(String, f32, f32)) {
    push("送达文书".into(), 13.0, 12.0);
    for (i, d) in proof["documents"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        push(
            format!(
                "{}. {}（{} 字节）",
                i + 1,
                text(&d["name"]),
                text(&d["size"])
            ),
            BODY,
            2.0,
        );
        push(format!("    SHA-256：{}", text(&d["sha256"])), BODY, 0.0);
        push(format!("    签章：{}", text(&d["seal"])), BODY, 0.0);
    }
}

/// The 送达过程: every channel with its sending, its delivery receipts and its outcome.
fn channel_lines(proof: &Value, push: &mut impl FnMut(String, f32, f32)) {
    push("送达过程".into(), 13.0, 12.0);
    for c in proof["channels"].as_array().into_iter().flatten() {
        let sent = c["sent_at"].get("beijing").map_or_else(
            || match c["maybe_sent"].as_bool() {
                Some(true) => "未获确认（平台可能已收到并发出）".to_string(),
                _ => "未发出".to_string(),
            },
            |_| beijing(&c["sent_at"]),
        );
        push(
            format!("{}：{}", text(&c["channel"]), text(&c["address"])),
            BODY,
            4.0,
        );
        sending_lines(c, &sent, push);
        if c["resends_in_doubt"].as_u64().unwrap_or(0) > 0 {
            push(
                format!(
                    "    因平台中断可能重复发送 {} 次",
                    text(&c["resends_in_doubt"])
                ),
                BODY,
                0.0,
            );
        }
        for r in c["receipts"].as_array().into_iter().flatten() {
            push(
                format!(
                    "    状态报告（网关编号 {}）：{}，{}",
                    text(&r["part"]),
                    text(&r["state"]),
                    beijing(&r["at"])
                ),
                BODY,
                0.0,
            );
        }
        if let Some(outcome) = c["outcome"].as_str().filter(|o| !o.is_empty()) {
            push(format!("    结果：{outcome}"), BODY, 0.0);
        }
        push(format!("    发送内容：{}", text(&c["text"])), BODY, 0.0);
    }
}

/// A channel's sending: its time and gateway id, or, for a notice the provider took more than
/// once (sent again after an unknown outcome), each attempt it took with its own time and id. A
/// proof from before acceptances were kept, of a notice tried more than once, says which time is
/// the first and which id the latest.
fn sending_lines(c: &Value, sent: &str, push: &mut impl FnMut(String, f32, f32)) {
    let attempts = text(&c["attempts"]);
    let provider = match c["channel"].as_str() {
        Some("短信") => "短信平台",
        _ => "邮件服务器",
    };
    let id = text(&c["gateway_id"]);
    let Some(accepted) = c["accepted"].as_array().filter(|a| a.len() > 1) else {
        let line = if c["accepted"].is_null() && c["attempts"].as_u64().unwrap_or(0) > 1 {
            format!("    首次被接收：{sent}；共尝试 {attempts} 次；最近一次的网关编号：{id}")
        } else {
            format!("    发送：{sent}；尝试 {attempts} 次；网关编号：{id}")
        };
        return push(line, BODY, 0.0);
    };
    let n = accepted.len();
    let line = format!("    发送：共尝试 {attempts} 次，{provider}接收 {n} 次");
    push(line, BODY, 0.0);
    for a in accepted {
        let line = format!(
            "    第 {} 次发送：{provider}于 {} 接收；网关编号：{}",
            text(&a["attempt"]),
            beijing(&a["at"]),
            text(&a["gateway_id"])
        );
        push(line, BODY, 0.0);
    }
}

/// The 送达事件: the logged events, the downloads of the documents and the confirmations of
/// reading, in Beijing time and in the order they happened (the proof keeps them in three lists;
/// a reader of the printed proof must not see a confirmation before an earlier download). Each
/// confirmation says where it was made: in the lawyers' portal, or through which notice's link.
fn event_lines(proof: &Value, push: &mut impl FnMut(String, f32, f32)) {
    push("送达事件".into(), 13.0, 12.0);
    let list = |name: &str| proof[name].as_array().cloned().unwrap_or_default();
    let mut lines: Vec<(String, String)> = Vec::new();
    for e in list("events") {
        let channel = e["channel"]
            .as_str()
            .map(|c| format!("（{c}）"))
            .unwrap_or_default();
        // A reach or bounce names the report it rests on and how its time was taken.
        let basis = match e["report"]["relay"].as_str() {
            Some(relay) if !relay.is_empty() => format!(
                "；依据 {relay} 的投递报告，{}",
                text(&e["report"]["time_basis"])
            ),
            _ => String::new(),
        };
        let line = format!(
            "{}　{}{channel}{basis}{}",
            beijing(&e["at"]),
            text(&e["event"]),
            source(&e["client"])
        );
        lines.push((utc(&e["at"]), line));
    }
    for d in list("downloads") {
        let line = format!(
            "{}　下载文书 {}{}",
            beijing(&d["at"]),
            text(&d["reference"]),
            source(&d["client"])
        );
        lines.push((utc(&d["at"]), line));
    }
    for c in list("confirmations") {
        let via = match (c["via"].as_str(), c["link_from"].as_str()) {
            (Some(v), _) if v.starts_with("诉讼服务平台") => v.to_string(),
            (_, Some(ch)) => format!("{ch}送达通知中的链接"),
            (_, None) => "送达链接".to_string(),
        };
        let line = format!(
            "{}　确认阅读：通过{via}；来源 {}",
            beijing(&c["at"]),
            text(&c["client"])
        );
        lines.push((utc(&c["at"]), line));
    }
    // A stable sort: what happened in the same millisecond keeps the proof's order.
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, line) in lines {
        push(line, BODY, 0.0);
    }
}

/// "；来源 <client>" for an act whose client the proof names (address and user agent: who came,
/// a person's browser or a mail system's scanner); nothing for one recorded before clients were.
fn source(client: &Value) -> String {
    match client.as_str() {
        Some(c) if !c.is_empty() => format!("；来源 {c}"),
        _ => String::new(),
    }
}

/// The UTC time of a proof's `{"utc": …, "beijing": …}` (RFC 3339 with milliseconds and `Z`,
/// which sorts as text), empty when absent.
fn utc(at: &Value) -> String {
    at["utc"].as_str().unwrap_or_default().to_string()
}

/// 送达未生效: a version with no effective time withdraws the effect the earlier versions recorded.
/// The print says why in its own words, naming its own sections: the JSON's `statement` points a
/// program at its fields, which a reader of paper has not got.
fn withdrawn_lines(proof: &Value, push: &mut impl FnMut(String, f32, f32)) {
    push("送达未生效".into(), 13.0, 12.0);
    let versions: Vec<String> = proof["withdraws"]["versions"]
        .as_array()
        .map(|v| v.iter().map(text).collect())
        .unwrap_or_default();
    push(
        format!(
            "本版撤回第 {} 版凭证所载的送达生效：其后记录的事实（见上文“送达事件”与“未经核实的报告及书记员审核”）使送达不再成立。",
            versions.join("、"),
        ),
        BODY,
        4.0,
    );
}

/// The closing lines: the JSON proof's SHA-256 and log sequence, so print and evidence can be
/// matched, and the time of issue.
fn footer_lines(proof: &Value, proof_sha256: &str, push: &mut impl FnMut(String, f32, f32)) {
    push(
        format!(
            "本凭证电子文本（JSON）SHA-256：{proof_sha256}；日志序号 {}",
            text(&proof["log_seq"])
        ),
        9.0,
        14.0,
    );
    push(
        format!(
            "签发时间：{}。电子文本附有平台的 CAdES 签名与可信时间戳，可离线验证（clerk verify-proof）；本打印件由法院电子签章。",
            beijing(&proof["issued_at"])
        ),
        9.0,
        0.0,
    );
}

/// Each clerk's act on a final failure (a notice sent again, or the matter closed by hand), in
/// order: who intervened in the service, when and how.
fn clerk_lines(proof: &Value, push: &mut impl FnMut(String, f32, f32)) {
    let Some(acts) = proof["clerk_actions"].as_array().filter(|a| !a.is_empty()) else {
        return;
    };
    push("书记员处理".into(), 13.0, 12.0);
    for a in acts {
        let (at, by, channel) = (beijing(&a["at"]), text(&a["by"]), text(&a["channel"]));
        let what = match (a["action"].as_str(), a["note"].as_str()) {
            (Some("人工处理"), note) => format!("结束{channel}送达：{}", note.unwrap_or("")),
            (_, Some(note)) => format!("重新发送{channel}通知：{note}"),
            (_, None) => format!("重新发送{channel}通知"),
        };
        push(format!("{at}　{by} {what}"), BODY, 0.0);
    }
}

/// The effective time, its channel and its rule.
fn effective_lines(effective: &Value, push: &mut impl FnMut(String, f32, f32)) {
    push("送达生效".into(), 13.0, 12.0);
    push(
        format!("生效时间：{}", beijing(&effective["at"])),
        BODY,
        4.0,
    );
    if let Some(channel) = effective["channel"].as_str() {
        push(format!("生效渠道：{channel}"), BODY, 0.0);
    }
    push(
        format!("依据：{}", text(&effective["rule_text"])),
        BODY,
        0.0,
    );
    if effective["presumed"].as_bool() == Some(true) {
        push("（推定送达，受送达人可以提出相反证据）".into(), BODY, 0.0);
    }
}

/// The recipient's replies, each with its text (art. 31 para. 2 (1)).
fn reply_lines(proof: &Value, push: &mut impl FnMut(String, f32, f32)) {
    let Some(replies) = proof["replies"].as_array().filter(|r| !r.is_empty()) else {
        return;
    };
    push("受送达人回复".into(), 13.0, 12.0);
    for r in replies {
        let via = r["channel"].as_str().unwrap_or("送达页面");
        push(
            format!(
                "{}　经{via}，来自 {}：{}",
                beijing(&r["at"]),
                text(&r["from"]),
                text(&r["text"])
            ),
            BODY,
            0.0,
        );
        // A clerk's findings about it: whose reply it is, or that it was not the recipient's.
        for (key, label, finding) in [
            ("attributed", "归属认定", "认定为本受送达人的回复"),
            ("disallowed", "不予采纳", "认定非受送达人所为"),
        ] {
            if let Some(f) = r[key].as_object() {
                let (at, by, note) = (beijing(&f["at"]), text(&f["by"]), text(&f["note"]));
                push(
                    format!("　　{label}：{at} {by} {finding}（{note}）"),
                    BODY,
                    0.0,
                );
            }
        }
    }
}

/// Reports the hub did not take on trust, each with the clerk's judgment.
fn reviewed_lines(proof: &Value, push: &mut impl FnMut(String, f32, f32)) {
    let Some(reports) = proof["reviewed_reports"]
        .as_array()
        .filter(|r| !r.is_empty())
    else {
        return;
    };
    push("未经核实的报告及书记员审核".into(), 13.0, 12.0);
    for r in reports {
        let judgment = match r["judgment"]["accepted"].as_bool() {
            Some(true) => format!(
                "经书记员 {} 审核采纳：{}",
                text(&r["judgment"]["by"]),
                text(&r["judgment"]["note"])
            ),
            Some(false) => format!(
                "经书记员 {} 审核不予采纳：{}",
                text(&r["judgment"]["by"]),
                text(&r["judgment"]["note"])
            ),
            None => "待书记员审核，未作为证据".into(),
        };
        push(
            format!(
                "{}　{}报告{}（{}）；搁置原因：{}；{}",
                beijing(&r["at"]),
                text(&r["channel"]),
                text(&r["claims"]),
                text(&r["detail"]),
                set_aside_because(&text(&r["set_aside_because"])),
                judgment
            ),
            BODY,
            0.0,
        );
    }
}

/// Why a report was set aside, as a reader of the print needs it: the Chinese words the hub
/// records before the operator's English (`报告未经认证（并非法院中继所发），交书记员审核 / not
/// authenticated: …`), without the 交书记员审核 the judgment beside it already answers; a reason
/// recorded in English only is printed as it is. A report that did not come from the court's
/// relay must never read like one that did.
fn set_aside_because(reason: &str) -> String {
    let chinese = reason
        .split(" / ")
        .next()
        .filter(|zh| zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)))
        .unwrap_or(reason);
    let chinese = chinese.trim_end_matches("，交书记员审核").trim();
    if chinese.is_empty() {
        "未载明".into()
    } else {
        chinese.to_string()
    }
}

/// Checks that `font` (face `index`) is a font the layout can use.
pub fn check_font(font: &[u8], index: u32) -> Result<(), ProofPdfError> {
    Font::new(font.to_vec().into(), index)
        .map(drop)
        .ok_or(ProofPdfError::Font)
}

/// One placed line of a page: text, size, baseline from the top, right-aligned.
type Placed = (String, f32, f32, bool);

/// Size of the signature block's text (the court's name and the date under the seal).
const SIGNATURE_SIZE: f32 = 12.0;

/// Lays out `proof` (the JSON document of a proof of service, as the hub signed it) whose SHA-256
/// is `proof_sha256`, with the font in `font` (face `index` of a collection), ending with the
/// court's name and the date of issue where the seal goes.
pub fn render(
    proof: &Value,
    proof_sha256: &str,
    font: Vec<u8>,
    index: u32,
) -> Result<RenderedProof, ProofPdfError> {
    let font = Font::new(font.into(), index).ok_or(ProofPdfError::Font)?;
    let content = lines(proof, proof_sha256)?;
    let date = issue_date(proof["issued_at"]["beijing"].as_str().unwrap_or_default());
    lay_out(content, &text(&proof["court"]), &date, &font)
}

/// Lays out `content` on A4 pages, ending with the signature block (`court` and `date`,
/// right-aligned) that the seal goes over.
fn lay_out(
    content: Vec<Line>,
    court: &str,
    date: &str,
    font: &Font,
) -> Result<RenderedProof, ProofPdfError> {
    // Wrap first, so pages can be filled and the last one keep room for the seal.
    let wrapped = wrap_content(content);
    let (mut pages, y) = paginate(wrapped);
    let seal_origin = signature_block(court, date, &mut pages, y);
    let seal_page = pages.len() as u32;
    let pdf = write_pages(pages, font)?;
    Ok(RenderedProof {
        pdf,
        seal_page,
        seal_origin,
    })
}

/// Breaks every line of the proof to the text width, each line its own paragraph of parts; only
/// the first part of a line keeps the space before it.
fn wrap_content(content: Vec<Line>) -> Vec<Vec<(String, f32, f32)>> {
    let max = PAGE_WIDTH - 2.0 * MARGIN;
    (content.into_iter())
        .map(|line| {
            (wrap(&line.text, line.size, max).into_iter().enumerate())
                .map(|(i, part)| (part, line.size, if i == 0 { line.gap } else { 0.0 }))
                .collect()
        })
        .collect()
}

/// Fills A4 pages with the wrapped paragraphs; returns the pages and the baseline of the last
/// line. A paragraph that does not fit in what is left of a page starts the next one whole, so
/// no event of the proof is read cut in two across pages (outside tests, round 20, m15); one
/// longer than a page breaks where it must.
fn paginate(wrapped: Vec<Vec<(String, f32, f32)>>) -> (Vec<Vec<Placed>>, f32) {
    let height = |size: f32| if size > BODY { size + 8.0 } else { LEADING };
    let bottom = PAGE_HEIGHT - MARGIN;
    // Each page's lines: text, size, baseline from the top, right-aligned.
    let mut pages: Vec<Vec<Placed>> = vec![Vec::new()];
    let mut y = MARGIN;
    for paragraph in wrapped {
        let whole: f32 = (paragraph.iter())
            .map(|(_, size, gap)| gap + height(*size))
            .sum();
        if y + whole > bottom && MARGIN + whole <= bottom && y > MARGIN {
            pages.push(Vec::new());
            y = MARGIN;
        }
        for (text, size, gap) in paragraph {
            let step = gap + height(size);
            if y + step > bottom {
                pages.push(Vec::new());
                y = MARGIN;
            }
            y += step;
            pages
                .last_mut()
                .expect("at least one page")
                .push((text, size, y, false));
        }
    }
    (pages, y)
}

/// The x where `t` starts when set flush right in the signature block's size.
fn right_x(t: &str) -> f32 {
    PAGE_WIDTH - MARGIN - t.chars().map(width).sum::<f32>() * SIGNATURE_SIZE
}

/// The date of issue in Chinese (2026年11月30日), as written under the court's seal, from a
/// Beijing time `YYYY-MM-DD…`.
fn issue_date(beijing: &str) -> String {
    beijing
        .get(..10)
        .map(|d| {
            let p: Vec<&str> = d.split('-').collect();
            match p[..] {
                [yy, mm, dd] => format!(
                    "{yy}年{}月{}日",
                    mm.trim_start_matches('0'),
                    dd.trim_start_matches('0')
                ),
                _ => d.to_string(),
            }
        })
        .unwrap_or_default()
}

/// Adds the signature block (the court and the date, right-aligned) after the last line `y`, on a
/// new page if it does not fit; returns the PAdES seal's lower-left corner, centred over the court.
fn signature_block(
    court: &str,
    date: &str,
    pages: &mut Vec<Vec<Placed>>,
    mut y: f32,
) -> (f32, f32) {
    // The signature block: the court and the date, right-aligned, the seal over them.
    if y + SIGNATURE_ROOM > PAGE_HEIGHT - MARGIN {
        pages.push(Vec::new());
        y = MARGIN;
    }
    let (court, date) = (court.to_string(), date.to_string());
    let size = SIGNATURE_SIZE;
    let court_y = y + 48.0;
    let court_x = right_x(&court);
    let block = pages.last_mut().expect("at least one page");
    block.push((court.clone(), size, court_y, true));
    block.push((date, size, court_y + 20.0, true));
    let centre_x = court_x + court.chars().map(width).sum::<f32>() * size / 2.0;
    let centre_y = court_y + 4.0;
    (
        (centre_x - SEAL_SIDE / 2.0).min(PAGE_WIDTH - SEAL_SIDE - 20.0),
        PAGE_HEIGHT - centre_y - SEAL_SIDE / 2.0,
    )
}

/// Draws the laid-out pages with `font`, each with its page number, and writes the unsigned PDF.
fn write_pages(pages: Vec<Vec<Placed>>, font: &Font) -> Result<Vec<u8>, ProofPdfError> {
    let mut document = Document::new();
    let count = pages.len();
    for (n, page_lines) in pages.into_iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
            .ok_or_else(|| ProofPdfError::Pdf("bad page size".into()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for (text, size, y, align_right) in page_lines {
            let x = if align_right { right_x(&text) } else { MARGIN };
            surface.draw_text(
                Point::from_xy(x, y),
                font.clone(),
                size,
                &text,
                false,
                TextDirection::Auto,
            );
        }
        surface.draw_text(
            Point::from_xy(PAGE_WIDTH / 2.0 - 20.0, PAGE_HEIGHT - 30.0),
            font.clone(),
            9.0,
            &format!("第 {} 页 共 {count} 页", n + 1),
            false,
            TextDirection::Auto,
        );
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| ProofPdfError::Pdf(format!("{e:?}")))
}

#[cfg(test)]
mod tests;
