//! `stigpack completions SHELL` and `stigpack man`: shell completions and man pages
//! generated from the clap definitions the parser itself uses, so every option a command
//! accepts is completed and documented, and nothing documented is refused.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::Cli;
use crate::exit::Exit;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, powershell or elvish.
    #[arg(value_name = "SHELL")]
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `stigpack.1` and one `stigpack-<command>.1` per command into DIR instead of
    /// printing `stigpack.1` on stdout.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Prints the completion script, e.g. `stigpack completions bash > /etc/bash_completion.d/stigpack`.
pub fn completions(args: CompletionsArgs) -> anyhow::Result<Exit> {
    let mut cmd = without_hidden(Cli::command());
    clap_complete::generate(args.shell, &mut cmd, "stigpack", &mut std::io::stdout());
    Ok(Exit::Success)
}

/// The command tree minus hidden commands (the generators would offer them otherwise):
/// each command rebuilt from its own arguments, about text and visible children.
fn without_hidden(cmd: clap::Command) -> clap::Command {
    let subs: Vec<clap::Command> = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .cloned()
        .map(without_hidden)
        .collect();
    let mut out = clap::Command::new(cmd.get_name().to_string())
        .args(cmd.get_arguments().cloned())
        .subcommands(subs);
    if let Some(about) = cmd.get_about() {
        out = out.about(about.clone());
    }
    out
}

/// Renders the man pages (roff).
pub fn man(args: ManArgs) -> anyhow::Result<Exit> {
    let mut cmd = Cli::command();
    // Building propagates the global options into every subcommand, so each command's
    // page documents all it accepts, as its --help does.
    cmd.build();
    match args.out {
        None => {
            clap_mangen::Man::new(cmd)
                .render(&mut std::io::stdout())
                .context("writing the man page")?;
        }
        Some(dir) => {
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            write_pages(&dir, cmd, "stigpack")?;
        }
    }
    Ok(Exit::Success)
}

/// One page per command and nested command (`stigpack-fleet-status.1`), each written to a
/// temporary file and renamed.
fn write_pages(dir: &Path, cmd: clap::Command, name: &str) -> anyhow::Result<()> {
    let cmd = cmd.name(name.to_string());
    let mut bytes = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut bytes)
        .context("rendering a man page")?;
    let path = dir.join(format!("{name}.1"));
    let mut tmp = tempfile::Builder::new()
        .prefix(".stigpack-man-")
        .tempfile_in(dir)
        .with_context(|| format!("writing into {}", dir.display()))?;
    std::io::Write::write_all(&mut tmp, &bytes)
        .with_context(|| format!("writing {}", path.display()))?;
    tmp.persist(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        if sub.get_name() == "help" {
            continue;
        }
        write_pages(dir, sub.clone(), &format!("{name}-{}", sub.get_name()))?;
    }
    Ok(())
}
