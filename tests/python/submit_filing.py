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


def details(e: grpc.RpcError) -> dict:
    """The google.rpc.Status details of a refusal (trailer grpc-status-details-bin), decoded by
    googleapis-common-protos: the field violations and the localized messages."""
    from google.rpc import error_details_pb2, status_pb2

    found = {"violations": [], "localized": []}
    for key, value in e.trailing_metadata() or ():
        if key != "grpc-status-details-bin":
            continue
        status = status_pb2.Status.FromString(value)
        for any_ in status.details:
            if any_.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                any_.Unpack(bad)
                found["violations"] += [{"field": v.field, "description": v.description}
                                        for v in bad.field_violations]
            elif any_.Is(error_details_pb2.LocalizedMessage.DESCRIPTOR):
                msg = error_details_pb2.LocalizedMessage()
                any_.Unpack(msg)
                found["localized"].append({"locale": msg.locale, "message": msg.message})
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--addr", required=True, help="host:port of the hub")
    ap.add_argument("--pki", required=True, help="directory made by ecenter-pki init")
    ap.add_argument("--proto-dir", required=True, help="the repository's proto/ directory")
    ap.add_argument("--client", default="lawyer-14201202010000001", help="client certificate stem under clients/")
    ap.add_argument("--request-id", required=True)
    ap.add_argument("--case-number", default="(2026)鄂06民初123号")
    args = ap.parse_args()

    filing_pb2, filing_pb2_grpc = hub_grpc.stubs(args.proto_dir, "filing")
    channel = hub_grpc.channel(args.addr, args.pki, args.client)
    stub = filing_pb2_grpc.FilingServiceStub(channel)

    doc = b"%PDF-1.7\n" + "由 Python grpcio 提交的答辩状".encode() + b"\n%%EOF\n"
    digest = hashlib.sha256(doc).hexdigest()
    header = filing_pb2.SubmissionHeader(
        request_id=args.request_id,
        case_number=args.case_number,
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
        print(json.dumps({"error": e.code().name, "message": e.details(), **details(e)}, ensure_ascii=False))
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
