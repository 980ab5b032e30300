//! Generates the inbound envelope types from the versioned `.proto` schema.

fn main() -> std::io::Result<()> {
    println!("cargo:rerun-if-changed=proto");
    prost_build::Config::new()
        .compile_protos(&["proto/steward/inbound/v1/inbound.proto"], &["proto"])
}
