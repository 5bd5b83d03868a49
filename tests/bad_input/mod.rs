//! Bad and hostile input: --keep-going with unreadable hosts, and crash safety of killed runs.

mod crash_safety;
mod keep_going;
