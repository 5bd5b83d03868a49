//! The export time: `--exported-at`, else `SOURCE_DATE_EPOCH`, else now — read once per
//! command, so every file of one export carries the same instant.

use anyhow::Context;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Resolve the export time, truncated to whole seconds and in UTC.
pub fn export_time(arg: Option<&str>) -> anyhow::Result<OffsetDateTime> {
    let t = if let Some(s) = arg {
        OffsetDateTime::parse(s, &Rfc3339).with_context(|| {
            format!("--exported-at {s:?} is not an RFC 3339 time (e.g. 2026-11-22T20:00:00Z)")
        })?
    } else if let Some(epoch) = std::env::var_os("SOURCE_DATE_EPOCH").filter(|v| !v.is_empty()) {
        let s = epoch.to_string_lossy();
        let secs: i64 = s
            .parse()
            .with_context(|| format!("SOURCE_DATE_EPOCH={s:?} is not a whole number of seconds"))?;
        OffsetDateTime::from_unix_timestamp(secs)
            .with_context(|| format!("SOURCE_DATE_EPOCH={s:?} is out of range"))?
    } else {
        OffsetDateTime::now_utc()
    };
    let t = t.to_offset(time::UtcOffset::UTC);
    Ok(t.replace_nanosecond(0).unwrap_or(t))
}

/// RFC 3339 text of an export time.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}
