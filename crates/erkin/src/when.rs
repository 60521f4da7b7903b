//! Times in the member's local time, and refusals about time in words: the
//! fold's refusals carry Unix seconds ([`RefusalTimes`]); here they become
//! "2026-12-03 14:14 (UTC+05:00), 2 h 14 min after the deadline".
//!
//! The local offset comes from the system's time zone file (`$TZ` naming a
//! zone or a file, else `/etc/localtime`, in the TZif format); without one,
//! times are shown in UTC.

use erkin_core::rejection::RefusalTimes;

/// A refusal about time in words, by its code; `None` for other codes.
pub fn explain(code: &str, t: RefusalTimes) -> Option<String> {
    explain_in(&language(), code, t)
}

/// [`explain`] with the language of the sentences said in the locale's
/// (`revote_too_soon`'s) given: `lang` (kk, ru, else en).
pub fn explain_in(lang: &str, code: &str, t: RefusalTimes) -> Option<String> {
    let (time, reference) = (t.time, t.reference);
    let gap = duration(time.abs_diff(reference));
    Some(match code {
        "voting_ended" => format!(
            "voting has ended: this reached the log at {}, {gap} after the deadline ({})",
            local(time),
            local(reference)
        ),
        "too_early" => format!(
            "too early to close: the log time is {}, {gap} before the deadline ({}), and not every eligible member has voted",
            local(time),
            local(reference)
        ),
        "period_too_short" => format!(
            "voting period too short: the deadline asked, {}, is {gap} before the earliest the charter allows, {}",
            local(time),
            local(reference)
        ),
        "nominations_closed" => format!(
            "nominations have closed: this reached the log at {}, {gap} after the nomination deadline ({})",
            local(time),
            local(reference)
        ),
        "nominations_open" => format!(
            "nominations are still open: the log time is {}, {gap} before the nomination deadline ({}); ballots are cast after it",
            local(time),
            local(reference)
        ),
        "nomination_period_too_short" => format!(
            "nomination period too short: the nomination deadline asked, {}, is {gap} before the earliest the charter allows, {}",
            local(time),
            local(reference)
        ),
        "clock_skew" => format!(
            "this entry is dated {}, {gap} {} the server's time ({}): check this machine's clock",
            local(time),
            if time > reference { "ahead of" } else { "behind" },
            local(reference)
        ),
        "time_went_backwards" => format!(
            "the log's time may not go backwards: a tick dated {} is {gap} before the log time ({})",
            local(time),
            local(reference)
        ),
        // A secret ballot's re-vote too soon after the last one held
        // (docs/BALLOT.md §8 item 2): the sequencer's time and when it
        // takes the next.
        "revote_too_soon" => revote_too_soon(lang, reference.saturating_sub(time)),
        _ => return None,
    })
}

/// The language of the member's locale for the sentences that are said
/// in it (`LC_ALL`, `LC_MESSAGES`, `LANG`, as the C library reads them):
/// `kk`, `ru`, or `en` for anything else.
pub fn language() -> String {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.is_empty())
        .map(|v| {
            v.chars()
                .take_while(char::is_ascii_alphabetic)
                .collect::<String>()
        })
        .filter(|l| l == "kk" || l == "ru")
        .unwrap_or_else(|| "en".to_string())
}

/// `revote_too_soon` in words, in `lang` (kk, ru, else en): the sequencer
/// takes the next ballot of this ballot key in `wait` seconds.
pub fn revote_too_soon(lang: &str, wait: u64) -> String {
    match lang {
        "kk" => format!(
            "сервер осы ұсыныс бойынша бюллетень кілтіңізден бюллетеньді жаңа ғана қабылдады, келесісін тек {wait} секундтан кейін қабылдайды: содан кейін қайта дауыс беріңіз (тек соңғы бюллетеніңіз есептеледі)"
        ),
        "ru" => format!(
            "сервер только что принял бюллетень с вашим ключом бюллетеня по этому предложению и примет следующий только через {wait} с: проголосуйте снова после этого (считается только ваш последний бюллетень)"
        ),
        _ => format!(
            "the sequencer held a ballot from your ballot key on this proposal moments ago and takes the next one only {} from now: vote again after that (only your last ballot counts)",
            duration(wait)
        ),
    }
}

/// A span of seconds, to the minute once it is a minute or more:
/// "45 s", "2 h 14 min", "3 d 4 h".
fn duration(secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{secs} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// Unix seconds as local date and time with the offset:
/// "2026-12-03 14:14 (UTC+05:00)".
pub fn local(t: u64) -> String {
    at_offset(t, local_offset(t))
}

/// Unix seconds at a fixed offset from UTC (seconds east).
fn at_offset(t: u64, offset: i64) -> String {
    let s = i64::try_from(t).unwrap_or(i64::MAX).saturating_add(offset);
    let (days, rem) = (s.div_euclid(86_400), s.rem_euclid(86_400));
    let (y, mo, d) = civil(days);
    let sign = if offset < 0 { '-' } else { '+' };
    let off = offset.unsigned_abs();
    format!(
        "{y:04}-{mo:02}-{d:02} {:02}:{:02} (UTC{sign}{:02}:{:02})",
        rem / 3600,
        rem % 3600 / 60,
        off / 3600,
        off % 3600 / 60
    )
}

/// Days since 1970-01-01 as (year, month, day) (H. Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The local offset from UTC at `t`, in seconds east; 0 without a zone.
fn local_offset(t: u64) -> i64 {
    let path = match std::env::var("TZ") {
        Ok(tz) if tz.trim_start_matches(':').starts_with('/') => {
            tz.trim_start_matches(':').to_string()
        }
        Ok(tz) if !tz.is_empty() => {
            format!("/usr/share/zoneinfo/{}", tz.trim_start_matches(':'))
        }
        _ => "/etc/localtime".to_string(),
    };
    std::fs::read(path)
        .ok()
        .and_then(|b| tzif_offset(&b, i64::try_from(t).unwrap_or(i64::MAX)))
        .unwrap_or(0)
}

/// The offset a TZif file gives at `t`: the type of the last transition at
/// or before `t` (the first type before every transition). Uses the 64-bit
/// section of version 2+ files; `None` if the file does not parse.
fn tzif_offset(b: &[u8], t: i64) -> Option<i64> {
    let header = |b: &[u8]| -> Option<[usize; 6]> {
        if b.get(..4)? != b"TZif" {
            return None;
        }
        let n = |i: usize| -> Option<usize> {
            Some(u32::from_be_bytes(b.get(20 + 4 * i..24 + 4 * i)?.try_into().ok()?) as usize)
        };
        // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
        Some([n(0)?, n(1)?, n(2)?, n(3)?, n(4)?, n(5)?])
    };
    let [isut, isstd, leap, timecnt, typecnt, charcnt] = header(b)?;
    let (b, width) = if b.get(4).copied()? >= b'2' {
        let v1 = 44 + timecnt * 5 + typecnt * 6 + charcnt + leap * 8 + isstd + isut;
        let b = b.get(v1..)?;
        (b, 8)
    } else {
        (b, 4)
    };
    let [_, _, _, timecnt, typecnt, _] = header(b)?;
    let times = 44;
    let idx = times + timecnt * width;
    let types = idx + timecnt;
    let at = |i: usize| -> Option<i64> {
        let s = b.get(times + i * width..times + (i + 1) * width)?;
        Some(if width == 8 {
            i64::from_be_bytes(s.try_into().ok()?)
        } else {
            i64::from(i32::from_be_bytes(s.try_into().ok()?))
        })
    };
    let mut ty = 0usize;
    for i in 0..timecnt {
        if at(i)? <= t {
            ty = usize::from(*b.get(idx + i)?);
        } else {
            break;
        }
    }
    if ty >= typecnt {
        return None;
    }
    let o = b.get(types + ty * 6..types + ty * 6 + 4)?;
    Some(i64::from(i32::from_be_bytes(o.try_into().ok()?)))
}
