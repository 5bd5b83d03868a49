//! The end-to-end tests: each drives the built `stigpack` binary as an operator would,
//! in its own directory with its own audit log, component cache and config dir
//! ([`common::stigpack`], [`common::Work`]). One test binary, one module per topic, in the
//! manner of ripgrep's `tests/tests.rs`; run one topic with
//! `cargo test -p stigpack --test e2e -- fleet::`. Tests of a library's API stay with
//! its crate (`host/winrm/tests`, `host/winrm-sim/tests`, ...).

mod common;

mod bad_input;
mod cli;
mod export;
mod fleet;
mod layout;
mod package;
mod sandbox;
mod seal;
