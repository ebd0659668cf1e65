//! What a benchmark report says about where and when it ran.

use std::time::{SystemTime, UNIX_EPOCH};

/// The machine: logical cores, CPU model where Linux tells it, OS and architecture.
pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        });
    let os = format!("{}/{}", std::env::consts::OS, std::env::consts::ARCH);
    match model {
        Some(model) => format!("{cores} cores available, {model}, {os}"),
        None => format!("{cores} cores available, {os}"),
    }
}

/// The system's load averages over 1, 5 and 15 minutes, `"a, b, c"`, where Linux tells them.
pub fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let fields: Vec<&str> = text.split_whitespace().take(3).collect();
    (fields.len() == 3).then(|| fields.join(", "))
}

/// [`load_average`], or `"unknown"`.
pub fn load_average_or_unknown() -> String {
    load_average().unwrap_or_else(|| "unknown".to_owned())
}

/// Today's date in UTC, `YYYY-MM-DD`.
pub fn today() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = date_of_day(secs / 86_400);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The Gregorian date of `day` days after 1970-01-01.
fn date_of_day(mut day: u64) -> (u64, u64, u64) {
    let leap = |y: u64| (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let mut year = 1970;
    loop {
        let len = if leap(year) { 366 } else { 365 };
        if day < len {
            break;
        }
        day -= len;
        year += 1;
    }
    let feb = if leap(year) { 29 } else { 28 };
    let months = [31, feb, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut month = 1;
    for len in months {
        if day < len {
            break;
        }
        day -= len;
        month += 1;
    }
    (year, month, day + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_of_days() {
        assert_eq!(date_of_day(0), (1970, 1, 1));
        assert_eq!(date_of_day(19_723), (2024, 1, 1));
        assert_eq!(date_of_day(19_723 + 31 + 28), (2024, 2, 29));
        assert_eq!(date_of_day(19_723 + 365), (2024, 12, 31));
    }
}
