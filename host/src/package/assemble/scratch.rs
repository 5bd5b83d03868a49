//! The scratch directory a build runs its components in, and its layout in one place:
//! where each `import` run reads and writes, where the `emass` run and the `extra`
//! exporters do. It sits beside the package (same file system, so the scans are hard
//! links) and is removed when dropped.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::HOSTS_PER_RUN;
use crate::stale::{self, Claim};

/// The scratch directory, claimed against stale-directory cleaning while it lives.
#[derive(Debug)]
pub struct Scratch {
    // Declared first, dropped first: the directory is removed while still claimed.
    dir: tempfile::TempDir,
    _claim: Claim,
}

impl Scratch {
    /// A new scratch directory beside `dest`.
    pub fn new(dest: &Path) -> anyhow::Result<Scratch> {
        let parent = dest.parent().unwrap_or(Path::new("."));
        let (dir, claim) = stale::temp_dir_in(parent, stale::SCRATCH_PREFIX)
            .with_context(|| format!("creating a scratch directory in {}", parent.display()))?;
        Ok(Scratch { dir, _claim: claim })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Import run `b`'s `/input`.
    pub fn import_in(&self, b: usize) -> PathBuf {
        self.path().join(format!("import-{b:05}"))
    }

    /// Import run `b`'s `/output`.
    pub fn import_out(&self, b: usize) -> PathBuf {
        self.path().join(format!("import-out-{b:05}"))
    }

    /// Where host number `i` (named `host`) has its scans in its import run's input.
    pub fn scans_in(&self, i: usize, host: &str) -> PathBuf {
        self.import_in(i / HOSTS_PER_RUN).join("scans").join(host)
    }

    /// An empty directory for `--keep-going`'s probes of import run `b`.
    pub fn isolate(&self, b: usize) -> PathBuf {
        self.path().join(format!("isolate-{b:05}"))
    }

    /// The emass run's `/input`.
    pub fn emass_in(&self) -> PathBuf {
        self.path().join("emass-in")
    }

    /// The emass run's `/output`.
    pub fn emass_out(&self) -> PathBuf {
        self.path().join("emass-out")
    }

    /// Extra exporter `name`'s `/input`.
    pub fn extra_in(&self, name: &str) -> PathBuf {
        self.path().join(format!("extra-in-{name}"))
    }

    /// Extra exporter `name`'s `/output`.
    pub fn extra_out(&self, name: &str) -> PathBuf {
        self.path().join(format!("extra-out-{name}"))
    }
}
