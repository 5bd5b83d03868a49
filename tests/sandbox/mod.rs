//! Components in the sandbox: built-in and third-party components, their admission and export.

mod component_export;
mod components;
