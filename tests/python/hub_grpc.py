"""What the Python grpcio clients of the tests share: stubs generated from the repository's .proto
files with grpcio-tools (no checked-in generated code), and a channel over mutual TLS with a client
certificate of the development PKI."""
import importlib
import importlib.resources
import pathlib
import sys
import tempfile

import grpc
from grpc_tools import protoc


def stubs(proto_dir: str, name: str):
    """Generates ecenter/v1/<name>.proto and returns its (messages, services) modules."""
    out = tempfile.mkdtemp(prefix="ecenter-py-")
    well_known = str(importlib.resources.files("grpc_tools") / "_proto")
    rc = protoc.main(["protoc", f"-I{proto_dir}", f"-I{well_known}", f"--python_out={out}",
                      f"--grpc_python_out={out}", f"ecenter/v1/{name}.proto"])
    if rc != 0:
        sys.exit(f"protoc failed on ecenter/v1/{name}.proto")
    sys.path.insert(0, out)
    return (importlib.import_module(f"ecenter.v1.{name}_pb2"),
            importlib.import_module(f"ecenter.v1.{name}_pb2_grpc"))


def channel(addr: str, pki_dir: str, client: str, options=()) -> grpc.Channel:
    """A channel to the hub at addr, trusting the PKI's root, as the client certificate `client`
    (with grpc channel `options` besides)."""
    pki = pathlib.Path(pki_dir)
    creds = grpc.ssl_channel_credentials(
        root_certificates=(pki / "root-ca.pem").read_bytes(),
        private_key=(pki / "clients" / f"{client}.key").read_bytes(),
        certificate_chain=(pki / "clients" / f"{client}.pem").read_bytes(),
    )
    return grpc.secure_channel(addr, creds, options=[("grpc.ssl_target_name_override", "localhost"), *options])
