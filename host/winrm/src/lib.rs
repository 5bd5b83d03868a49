//! WinRM client (being built: issue 3).
