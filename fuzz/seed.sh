#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ with real inputs: PDFs from reportlab, ghostscript and qpdf
# (tests/python/corpus.py) and a pyHanko-signed one, OFD and DOCX packages and malformed documents
# written by tests/python/hostile.py, GB/T 38540 seals from asn1crypto (tests/python/ses_tools.py),
# and the committed seeds: DSNs Postfix wrote, SMPP receipts, case numbers.
set -euo pipefail
cd "$(dirname "$0")"
root=..
py=$root/tests/python
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for t in pdf_verify pdf_seal ses_der text_extract case_number dsn smpp_receipt; do mkdir -p "corpus/$t"; done
mkdir -p "$tmp/pdfs"
python3 "$py/corpus.py" "$tmp/pdfs" >/dev/null
for kind in normal-pdf parent-self parent-pair kids-loop; do python3 "$py/hostile.py" "$kind" "$tmp/pdfs/$kind.pdf"; done
python3 "$py/hostile.py" objstm-flood "$tmp/pdfs/objstm-small.pdf" 200
python3 "$py/hostile.py" deep-array "$tmp/pdfs/deep.pdf" 300
python3 "$py/pyhanko_tools.py" sign "$tmp/pdfs/normal-pdf.pdf" "$tmp/pdfs/signed.pdf" \
    "$root/certs/seal.key" "$root/certs/seal.pem" "$root/certs/seal-ca.pem" >/dev/null
for f in "$tmp"/pdfs/*.pdf; do
    cp "$f" "corpus/pdf_verify/"
    cp "$f" "corpus/pdf_seal/"
    { printf '\002'; cat "$f"; } >"corpus/text_extract/pdf-$(basename "$f")"
done
python3 "$py/hostile.py" normal-ofd "$tmp/n.ofd" 2
python3 "$py/hostile.py" ofd-long-tag "$tmp/l.ofd"
python3 "$py/hostile.py" normal-docx "$tmp/n.docx"
python3 "$py/hostile.py" docx-rels-loop "$tmp/r.docx"
for f in "$tmp"/*.ofd; do { printf '\000'; cat "$f"; } >"corpus/text_extract/ofd-$(basename "$f")"; done
for f in "$tmp"/*.docx; do { printf '\001'; cat "$f"; } >"corpus/text_extract/docx-$(basename "$f")"; done
echo "判决书" >"$tmp/doc.txt"
for layout in v4 v1; do
    python3 "$py/ses_tools.py" make "$layout" "$root/certs/seal-maker.key" "$root/certs/seal-maker.pem" \
        "$root/certs/seal.key" "$root/certs/seal.pem" "$tmp/doc.txt" "corpus/ses_der/signature-$layout.der"
done
cp seeds/dsn/* corpus/dsn/
cp seeds/smpp_receipt/* corpus/smpp_receipt/
cp seeds/case_number/* corpus/case_number/
