//! The SOAP layer: reading WS-Management requests the way a Windows host does, and writing
//! responses and WSManFault envelopes modelled on ones recorded from real hosts.

pub mod request;
pub mod response;
pub mod xml;

pub use request::{Action, Request};
pub use response::Fault;
