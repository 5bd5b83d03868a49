//! WinRM fleet simulator (being built: issue 3).
