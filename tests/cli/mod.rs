//! The command line itself: generated docs (man, completions), --json documents, progress output.

mod cli_docs;
mod json_output;
mod progress;
