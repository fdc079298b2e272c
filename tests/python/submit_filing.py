#!/usr/bin/env python3
"""An independent gRPC client (Python grpcio) for the contract-outside-Rust test.

Generates stubs from proto/ecenter/v1 with grpcio-tools, connects to a hub over mutual TLS with a
lawyer's certificate, submits a filing (client streaming: header, then chunks) and prints the receipt
as one JSON line.
"""
import argparse
import hashlib
import json
import sys

import grpc

import hub_grpc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--addr", required=True, help="host:port of the hub")
    ap.add_argument("--pki", required=True, help="directory made by ecenter-pki init")
    ap.add_argument("--proto-dir", required=True, help="the repository's proto/ directory")
    ap.add_argument("--client", default="lawyer-14201202010000001", help="client certificate stem under clients/")
    ap.add_argument("--request-id", required=True)
    args = ap.parse_args()

    filing_pb2, filing_pb2_grpc = hub_grpc.stubs(args.proto_dir, "filing")
    channel = hub_grpc.channel(args.addr, args.pki, args.client)
    stub = filing_pb2_grpc.FilingServiceStub(channel)

    doc = b"%PDF-1.7\n" + "由 Python grpcio 提交的答辩状".encode() + b"\n%%EOF\n"
    digest = hashlib.sha256(doc).hexdigest()
    header = filing_pb2.SubmissionHeader(
        request_id=args.request_id,
        case_number="(2026)鄂06民初123号",
        filing_kind="答辩状",
        title="Python 客户端提交",
        documents=[filing_pb2.DocumentHeader(name="答辩状.pdf", size=len(doc), sha256=digest)],
    )

    def messages():
        yield filing_pb2.SubmitFilingRequest(header=header)
        for i in range(0, len(doc), 16):
            yield filing_pb2.SubmitFilingRequest(chunk=filing_pb2.DocumentChunk(document_index=0, data=doc[i:i + 16]))

    try:
        response = stub.SubmitFiling(messages(), timeout=30)
    except grpc.RpcError as e:
        print(json.dumps({"error": e.code().name, "message": e.details()}, ensure_ascii=False))
        return 1
    r = response.receipt
    print(json.dumps({
        "filing_id": r.filing_id,
        "submitter": r.submitter,
        "case_number": r.case_number.normalized,
        "name": r.documents[0].name,
        "sha256": r.documents[0].sha256,
        "sent_sha256": digest,
        "received_at_local": r.received_at_local,
        "replayed": response.replayed,
    }, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
