//! The `stigpack` host: every kind of I/O and every trust decision. The binary
//! (`main.rs`) is a thin shell over [`cli::run`]; the library exists so that benches and
//! tests can drive the sandbox and the pipeline directly.

pub mod activity;
pub mod cli;
pub mod exit;
pub mod hashing;
pub mod input_files;
pub mod keyfile;
pub mod package;
pub mod parallel;
pub mod pipeline;
pub mod sandbox;
pub mod seal;
pub mod staging;
pub mod stale;
pub mod time_arg;
pub mod timings;
pub mod trust;
