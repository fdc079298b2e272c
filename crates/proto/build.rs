//! Compiles proto/ecenter/v1/*.proto in pure Rust (protox, no protoc) and writes the encoded file
//! descriptor set that gRPC reflection serves.
use prost::Message;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The directory cargo gives at run time, not the one compiled in: checkouts at other paths share
    // the target directory, and with it this script's compiled binary.
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let files = [
        "ecenter/v1/filing.proto",
        "ecenter/v1/seal.proto",
        "ecenter/v1/similar.proto",
        "ecenter/v1/service.proto",
        "ecenter/v1/lawyer.proto",
    ];
    // Relative to this package: clones at other paths share the target directory (CI does), and an
    // absolute path would make one clone's build skip regenerating after another's proto changed.
    for file in &files {
        println!("cargo:rerun-if-changed=../../proto/{file}");
    }
    let fds = protox::compile(files, [&root])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("ecenter_descriptor.bin"), fds.encode_to_vec())?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
    Ok(())
}
