//! The filing receipt (签收单) on paper: what the hub received, when, from whom, in which case,
//! each document with its size and SHA-256, and the log entry that recorded it — laid out in
//! Chinese on A4 for the court to seal, so a lawyer holds proof of filing any PDF reader checks.

use super::{BODY, Line, ProofPdfError, RenderedProof, issue_date, lay_out, text};
use serde_json::Value;

/// Lays out the receipt `receipt` (the JSON the hub gives for GetReceipt: `court`, `filing_id`,
/// `case_number` (null for a new case), `submitter` (the identity), `submitter_listed` (the
/// person as the directory listed them, or empty), `filing_kind`, `title`, `department`,
/// `received_at_beijing`, `documents[]` with `document_id`, `name`, `size`, `sha256`, `log_seq`,
/// `log_hash`, `issued_at_beijing`) with the font in `font` (face `index`), ending with the
/// court's name and the date where the seal goes.
pub fn render_receipt(
    receipt: &Value,
    font: Vec<u8>,
    index: u32,
) -> Result<RenderedProof, ProofPdfError> {
    let font = krilla::text::Font::new(font.into(), index).ok_or(ProofPdfError::Font)?;
    if receipt["filing_id"].as_str().is_none_or(str::is_empty) {
        return Err(ProofPdfError::NotAProof(
            "a receipt needs its filing id".into(),
        ));
    }
    let date = issue_date(receipt["issued_at_beijing"].as_str().unwrap_or_default());
    let court = text(&receipt["court"]);
    lay_out(lines(receipt), &court, &date, &font)
}

fn lines(r: &Value) -> Vec<Line> {
    let mut out = Vec::new();
    let mut push = |text: String, size: f32, gap: f32| out.push(Line { text, size, gap });
    // A filing that opens a case is 网上立案; one in a case already numbered is 网上提交材料.
    let (title, case) = match r["case_number"].as_str() {
        Some(c) if !c.is_empty() => ("网上提交材料签收单", c.to_string()),
        _ => ("网上立案材料签收单", "新案，立案时编定案号".to_string()),
    };
    push(title.into(), 20.0, 0.0);
    push(format!("收件法院：{}", text(&r["court"])), BODY, 14.0);
    push(format!("收 件 号：{}", text(&r["filing_id"])), BODY, 0.0);
    push(format!("案　　号：{case}"), BODY, 0.0);
    push(format!("材料类型：{}", text(&r["filing_kind"])), BODY, 0.0);
    push(format!("标　　题：{}", text(&r["title"])), BODY, 0.0);
    // The person as the court's directory listed them at filing; the identity the hub knew
    // them by in any case (a court's system has no directory entry).
    let submitter = text(&r["submitter"]);
    match r["submitter_listed"].as_str().filter(|s| !s.is_empty()) {
        Some(listed) => {
            push(format!("提 交 人：{listed}"), BODY, 0.0);
            push(format!("平台身份：{submitter}"), BODY, 0.0);
        }
        None => push(format!("提 交 人：{submitter}"), BODY, 0.0),
    }
    push(
        format!("收到时间：{}", text(&r["received_at_beijing"])),
        BODY,
        0.0,
    );
    push(format!("承办部门：{}", text(&r["department"])), BODY, 0.0);
    push("所收材料".into(), 13.0, 12.0);
    for d in r["documents"].as_array().into_iter().flatten() {
        push(
            format!(
                "{}　{}　{} 字节",
                text(&d["document_id"]),
                text(&d["name"]),
                text(&d["size"])
            ),
            BODY,
            4.0,
        );
        push(format!("　　SHA-256：{}", text(&d["sha256"])), 9.0, 0.0);
    }
    push(
        format!(
            "本次提交记入平台哈希链日志第 {} 条，该条哈希值 {}。",
            text(&r["log_seq"]),
            text(&r["log_hash"])
        ),
        9.0,
        14.0,
    );
    push(
        "本签收单证明平台收到上述材料及其时间，不代表法院已受理或立案；审查结果另行通知。本签收单由法院电子签章。"
            .into(),
        9.0,
        0.0,
    );
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_new_case_says_its_number_comes_at_docketing_and_every_document_is_listed() {
        let r = serde_json::json!({
            "court": "湖北省襄阳市中级人民法院", "filing_id": "F000000000007", "case_number": null,
            "documents": [{"document_id": "D1", "name": "起诉状.pdf", "size": 1234, "sha256": "ab"},
                          {"document_id": "D2", "name": "证据.pdf", "size": 99, "sha256": "cd"}],
        });
        let all: Vec<String> = super::lines(&r).into_iter().map(|l| l.text).collect();
        let all = all.join("\n");
        assert!(all.contains("新案，立案时编定案号"), "{all}");
        assert!(all.starts_with("网上立案材料签收单"), "{all}");
        assert!(all.contains("D2　证据.pdf　99 字节"), "{all}");
        let mut in_a_case = r.clone();
        in_a_case["case_number"] = "（2026）鄂06民初123号".into();
        let title = &super::lines(&in_a_case)[0].text;
        assert_eq!(title, "网上提交材料签收单");
        assert!(matches!(
            super::render_receipt(&serde_json::json!({}), b"not a font".to_vec(), 0),
            Err(super::ProofPdfError::Font)
        ));
    }
}
