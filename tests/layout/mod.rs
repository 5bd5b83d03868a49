//! The shape of the source tree: no import circles between modules.

mod module_cycles;
