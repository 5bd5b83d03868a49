//! Fleet commands over WinRM against the simulator, Kerberos, and the demo.

mod demo;
mod fleet_cli;
mod fleet_kerberos;
