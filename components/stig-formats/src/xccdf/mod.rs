//! XCCDF: DISA's benchmark files (`*_Manual-xccdf.xml`, XCCDF 1.1) and scanner result
//! files (`TestResult`, XCCDF 1.1 or 1.2 as SCC and OpenSCAP write them). Element names
//! are matched by local name, so either namespace version reads.

pub mod benchmark;
mod description;
pub mod release;
pub mod results;
