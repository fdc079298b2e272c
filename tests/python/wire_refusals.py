#!/usr/bin/env python3
"""Requests a careless or hostile integrator's client puts on the wire, sent as raw bytes by
Python grpcio (no stubs, so nothing but the bytes given), over mutual TLS as a court system.

Prints one JSON line per case: {"case", "code", "message"}. The hub is to answer a body that is
no protobuf message of the method as the caller's fault (INVALID_ARGUMENT), and a message over
its size limit as RESOURCE_EXHAUSTED naming the limit.
"""
import argparse
import json
import sys

import grpc

import hub_grpc

CASES = {
    # GetFilingRequest.filing_id (field 1, string) holding bytes that are not UTF-8.
    "not_utf8": b"\x0a\x02\xff\xfe",
    # Field 1 announces 5 bytes and 2 follow.
    "truncated": b"\x0a\x05ab",
    # No protobuf at all: a wire type 7 does not exist.
    "garbage": b"\x0f\x0f\x0f\x0f",
}


def too_large() -> bytes:
    """A well-formed GetFilingRequest of 5 MiB (its filing_id), over the hub's 4 MiB limit for a
    request message: tag, varint length, bytes."""
    n = 5 << 20
    varint = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        varint.append(byte | (0x80 if n else 0))
        if not n:
            break
    return b"\x0a" + bytes(varint) + b"F" * (5 << 20)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--addr", required=True)
    ap.add_argument("--pki", required=True)
    ap.add_argument("--client", default="court-xiangyang-cms")
    args = ap.parse_args()
    channel = hub_grpc.channel(args.addr, args.pki, args.client,
                               options=[("grpc.max_send_message_length", 64 << 20)])
    call = channel.unary_unary("/ecenter.v1.FilingService/GetFiling",
                               request_serializer=None, response_deserializer=None)
    cases = {**CASES, "too_large": too_large()}
    for name, body in cases.items():
        try:
            call(body, timeout=30)
            print(json.dumps({"case": name, "code": "OK", "message": ""}))
        except grpc.RpcError as e:
            print(json.dumps({"case": name, "code": e.code().name, "message": e.details()},
                             ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
