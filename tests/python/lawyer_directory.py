#!/usr/bin/env python3
"""An independent court system (Python grpcio) keeping the hub's directory of lawyers.

Generates stubs from proto/ecenter/v1/lawyer.proto with grpcio-tools, connects over mutual TLS
with the court's certificate, lists one lawyer, tries an entry with a bad phone number, and prints
one JSON line: the entry as the hub answered it, the directory as listed, and the refusal's code
and message.
"""
import argparse
import json
import sys

import grpc

import hub_grpc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--addr", required=True, help="host:port of the hub")
    ap.add_argument("--pki", required=True, help="directory made by ecenter-pki init")
    ap.add_argument("--proto-dir", required=True, help="the repository's proto/ directory")
    ap.add_argument("--client", default="court-xiangyang-cms", help="client certificate stem")
    args = ap.parse_args()
    pb, grpc_pb = hub_grpc.stubs(args.proto_dir, "lawyer")
    channel = hub_grpc.channel(args.addr, args.pki, args.client)
    stub = grpc_pb.LawyerDirectoryStub(channel)

    lawyer = pb.Lawyer(identity="urn:ecenter:lawyer:14201202010000002", name="欧阳娜娜",
                       licence_number="14201202010000002", law_firm="湖北汉江律师事务所",
                       phone="13900139000", email="ouyang@hanjiang-law.cn")
    entry = stub.SetLawyer(pb.SetLawyerRequest(lawyer=lawyer))
    listed = stub.ListLawyers(pb.ListLawyersRequest(page_size=10))
    bad = pb.Lawyer()
    bad.CopyFrom(lawyer)
    bad.phone = "0710-3456789"
    try:
        stub.SetLawyer(pb.SetLawyerRequest(lawyer=bad))
        refusal = None
    except grpc.RpcError as e:
        refusal = {"code": e.code().name, "message": e.details()}
    print(json.dumps({
        "changed": entry.changed, "seq": entry.seq, "name": entry.lawyer.name,
        "listed": [l.identity for l in listed.lawyers], "refusal": refusal,
    }, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
