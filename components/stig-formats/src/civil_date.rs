//! Calendar dates without a clock or a time-zone database.
//!
//! Package files carry dates (POA&M completion dates, attestation dates) that must come out
//! the same on every machine: they are derived only from the export time the caller passes
//! in (Unix seconds, UTC) and parsed only from strict ISO `YYYY-MM-DD`, never from a locale.
//! The conversions are Howard Hinnant's `days_from_civil` / `civil_from_days`.

use std::fmt;

/// A proleptic Gregorian calendar date (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// The UTC date of a Unix timestamp in seconds.
    pub fn from_unix_seconds(secs: i64) -> Date {
        Date::from_days(secs.div_euclid(86_400))
    }

    /// Days since 1970-01-01 to a date.
    pub fn from_days(z: i64) -> Date {
        let z = z + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = if m <= 2 { y + 1 } else { y };
        Date {
            year: y as i32,
            month: m as u8,
            day: d as u8,
        }
    }

    /// Days since 1970-01-01.
    pub fn to_days(self) -> i64 {
        let m = i64::from(self.month);
        let d = i64::from(self.day);
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    pub fn add_days(self, days: i64) -> Date {
        Date::from_days(self.to_days() + days)
    }

    /// Strict ISO 8601 calendar date: exactly `YYYY-MM-DD`, a real day of a real month.
    /// Anything else (`1/2/2025`, `2025-2-1`, `2025-02-30`, trailing text) is `None`, so a
    /// date is never read by a locale's guess.
    pub fn parse_iso(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let digits = |r: std::ops::Range<usize>| -> Option<u32> {
            b[r].iter().try_fold(0u32, |acc, c| {
                c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
            })
        };
        let year = digits(0..4)?;
        let month = digits(5..7)?;
        let day = digits(8..10)?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year as i32, month as u8) {
            return None;
        }
        Some(Date {
            year: year as i32,
            month: month as u8,
            day: day as u8,
        })
    }

    /// `MM/DD/YYYY`, the form eMASS shows and its templates' examples use.
    pub fn us(self) -> String {
        format!("{:02}/{:02}/{:04}", self.month, self.day, self.year)
    }
}

/// ISO `YYYY-MM-DD`.
impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: i32, month: u8) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
            if leap {
                29
            } else {
                28
            }
        }
    }
}

/// RFC 3339 UTC form of a Unix timestamp, `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339_utc(secs: i64) -> String {
    let date = Date::from_unix_seconds(secs);
    let tod = secs.rem_euclid(86_400);
    format!(
        "{date}T{:02}:{:02}:{:02}Z",
        tod / 3600,
        (tod / 60) % 60,
        tod % 60
    )
}

/// The package-folder stamp `YYYYMMDD-HHMM` (UTC) of a Unix timestamp.
pub fn folder_stamp(secs: i64) -> String {
    let d = Date::from_unix_seconds(secs);
    let tod = secs.rem_euclid(86_400);
    format!(
        "{:04}{:02}{:02}-{:02}{:02}",
        d.year,
        d.month,
        d.day,
        tod / 3600,
        (tod / 60) % 60
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_days_across_eras_and_leap_years() {
        for days in [
            -800_000i64,
            -1,
            0,
            1,
            59,
            60,
            11_016,
            19_782,
            20_000,
            2_932_896,
        ] {
            assert_eq!(Date::from_days(days).to_days(), days);
        }
        assert_eq!(
            Date::from_days(0),
            Date {
                year: 1970,
                month: 1,
                day: 1
            }
        );
        // 2024-02-29 exists, 2023-02-29 does not.
        assert_eq!(
            Date::parse_iso("2024-02-28").map(|d| d.add_days(1).to_string()),
            Some("2024-02-29".into())
        );
        assert_eq!(
            Date::parse_iso("2023-02-28").map(|d| d.add_days(1).to_string()),
            Some("2023-03-01".into())
        );
    }

    #[test]
    fn known_timestamps() {
        // 2025-01-15T12:34:56Z
        assert_eq!(rfc3339_utc(1_736_944_496), "2025-01-15T12:34:56Z");
        assert_eq!(folder_stamp(1_736_944_496), "20250115-1234");
        assert_eq!(Date::from_unix_seconds(1_736_944_496).us(), "01/15/2025");
        assert_eq!(rfc3339_utc(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn parse_iso_is_strict() {
        for bad in [
            "",
            "2025-1-01",
            "01/02/2025",
            "2025-02-30",
            "2025-13-01",
            "2025-00-10",
            "2025-01-00",
            "2025-01-01T00",
            " 2025-01-01",
            "２０２５-01-01",
            "2023-02-29",
            "+025-01-01",
            "20é5-01-01",
            "2025-0é-1",
        ] {
            assert_eq!(Date::parse_iso(bad), None, "{bad:?} must be rejected");
        }
        assert_eq!(
            Date::parse_iso("2000-02-29"),
            Some(Date {
                year: 2000,
                month: 2,
                day: 29
            })
        );
    }
}
