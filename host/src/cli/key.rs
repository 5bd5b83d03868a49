//! `stigpack key generate`: the operator's Ed25519 signing key, in the PEM forms that
//! openssl, cosign and securesystemslib read. The same private key signs packages
//! (`--sign-key`) and audit checkpoints (`audit checkpoint --sign-key`).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::exit::{coded, Exit};

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Write a new key pair: NAME (private, PKCS#8 PEM, mode 0600) and NAME.pub (public,
    /// SubjectPublicKeyInfo PEM). Existing files are never overwritten.
    Generate(GenerateArgs),
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The private key file to create; the public key goes to NAME.pub.
    #[arg(long, value_name = "NAME")]
    pub out: PathBuf,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cmd: KeyCommand) -> anyhow::Result<Exit> {
    match cmd {
        KeyCommand::Generate(a) => generate(a),
    }
}

fn generate(a: GenerateArgs) -> anyhow::Result<Exit> {
    let (key, files) = stigpack_sign::keys::generate_files(&a.out).map_err(|e| match e {
        stigpack_sign::SignError::Exists { .. } => coded(Exit::Usage, e),
        other => anyhow::Error::new(other),
    })?;
    let public = key.public();
    if a.json {
        super::print_json(
            "stigpack.key-generate/1",
            Exit::Success,
            serde_json::json!({
                "keyId": public.keyid(),
                "noteName": crate::keyfile::note_name(&public),
                "privateKey": files.private.display().to_string(),
                "publicKey": files.public.display().to_string(),
            }),
        )?;
        return Ok(Exit::Success);
    }
    println!("key id:      {}", public.keyid());
    println!("note name:   {}", crate::keyfile::note_name(&public));
    println!(
        "private key: {} (mode 0600; keep it secret)",
        files.private.display()
    );
    println!("public key:  {}", files.public.display());
    Ok(Exit::Success)
}
