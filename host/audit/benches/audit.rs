// Placeholder so the workspace loads; the audit engineer replaces this file.
fn main() {}
