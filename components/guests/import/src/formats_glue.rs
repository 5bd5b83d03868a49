// The readers for formats other than CKL, from stig-formats.

fn read_benchmark(bytes: &[u8], file: &str) -> Result<StigChecklist, RunError> {
    stig_formats::xccdf::benchmark::read(bytes, file).map_err(format_error)
}

fn read_other(
    kind: InputKind,
    bytes: &[u8],
    file: &str,
    benchmarks: &[StigChecklist],
) -> Result<Option<stig_formats::model::Checklist>, RunError> {
    match kind {
        InputKind::Cklb => stig_formats::cklb::read(bytes, file)
            .map(Some)
            .map_err(format_error),
        InputKind::XccdfResults => {
            stig_formats::xccdf::results::read_matching(bytes, file, benchmarks)
                .map(Some)
                .map_err(format_error)
        }
        _ => Ok(None),
    }
}
