//! Tamper-evident audit log (being built: issue 5).
