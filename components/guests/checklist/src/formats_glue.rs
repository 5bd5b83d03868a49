// Writers still being written in stig-formats; filled in as they land.
fn write_cklb(
    _asset: &stig_formats::model::Asset,
    _stigs: &[StigChecklist],
    host: &str,
) -> Result<String, RunError> {
    Err(RunError::Unsupported(format!("{host}: CKLB output is not available yet")))
}
