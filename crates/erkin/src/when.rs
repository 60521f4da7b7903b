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

/// [`explain`] in `lang` (kk, ru, else en).
pub fn explain_in(lang: &str, code: &str, t: RefusalTimes) -> Option<String> {
    let (time, reference) = (t.time, t.reference);
    let gap = duration_in(lang, time.abs_diff(reference));
    let (time_at, reference_at) = (local(time), local(reference));
    let ahead = time > reference;
    Some(match (code, lang) {
        ("voting_ended", "kk") => format!(
            "дауыс беру аяқталды: бұл журналға {time_at} кезінде жетті, мерзімнен ({reference_at}) {gap} кейін"
        ),
        ("voting_ended", "ru") => format!(
            "голосование закончилось: это попало в журнал в {time_at}, через {gap} после срока ({reference_at})"
        ),
        ("voting_ended", _) => format!(
            "voting has ended: this reached the log at {time_at}, {gap} after the deadline ({reference_at})"
        ),
        ("too_early", "kk") => format!(
            "жабуға әлі ерте: журнал уақыты {time_at}, мерзімге ({reference_at}) дейін {gap} бар, әрі дауыс беруге құқылы мүшелердің бәрі бірдей дауыс берген жоқ"
        ),
        ("too_early", "ru") => format!(
            "закрывать ещё рано: время журнала {time_at}, до срока ({reference_at}) ещё {gap}, и проголосовали не все члены с правом голоса"
        ),
        ("too_early", _) => format!(
            "too early to close: the log time is {time_at}, {gap} before the deadline ({reference_at}), and not every eligible member has voted"
        ),
        ("period_too_short", "kk") => format!(
            "дауыс беру мерзімі тым қысқа: сұралған мерзім, {time_at}, жарғы рұқсат ететін ең ерте мерзімнен, {reference_at}, {gap} бұрын"
        ),
        ("period_too_short", "ru") => format!(
            "слишком короткий срок голосования: запрошенный срок, {time_at}, на {gap} раньше самого раннего, который допускает устав, — {reference_at}"
        ),
        ("period_too_short", _) => format!(
            "voting period too short: the deadline asked, {time_at}, is {gap} before the earliest the charter allows, {reference_at}"
        ),
        ("nominations_closed", "kk") => format!(
            "кандидат ұсыну аяқталды: бұл журналға {time_at} кезінде жетті, кандидат ұсыну мерзімінен ({reference_at}) {gap} кейін"
        ),
        ("nominations_closed", "ru") => format!(
            "выдвижение кандидатов закончилось: это попало в журнал в {time_at}, через {gap} после срока выдвижения ({reference_at})"
        ),
        ("nominations_closed", _) => format!(
            "nominations have closed: this reached the log at {time_at}, {gap} after the nomination deadline ({reference_at})"
        ),
        ("nominations_open", "kk") => format!(
            "кандидат ұсыну әлі жүріп жатыр: журнал уақыты {time_at}, кандидат ұсыну мерзіміне ({reference_at}) дейін {gap} бар; дауыс одан кейін беріледі"
        ),
        ("nominations_open", "ru") => format!(
            "выдвижение кандидатов ещё идёт: время журнала {time_at}, до срока выдвижения ({reference_at}) ещё {gap}; голосуют после него"
        ),
        ("nominations_open", _) => format!(
            "nominations are still open: the log time is {time_at}, {gap} before the nomination deadline ({reference_at}); ballots are cast after it"
        ),
        ("nomination_period_too_short", "kk") => format!(
            "кандидат ұсыну мерзімі тым қысқа: сұралған кандидат ұсыну мерзімі, {time_at}, жарғы рұқсат ететін ең ерте мерзімнен, {reference_at}, {gap} бұрын"
        ),
        ("nomination_period_too_short", "ru") => format!(
            "слишком короткий срок выдвижения: запрошенный срок выдвижения, {time_at}, на {gap} раньше самого раннего, который допускает устав, — {reference_at}"
        ),
        ("nomination_period_too_short", _) => format!(
            "nomination period too short: the nomination deadline asked, {time_at}, is {gap} before the earliest the charter allows, {reference_at}"
        ),
        ("clock_skew", "kk") => format!(
            "бұл жазбаның уақыты {time_at}, сервер уақытынан ({reference_at}) {gap} {}: осы компьютердің сағатын тексеріңіз",
            if ahead { "алда" } else { "артта" }
        ),
        ("clock_skew", "ru") => format!(
            "эта запись датирована {time_at}, на {gap} {} времени сервера ({reference_at}): проверьте часы этого компьютера",
            if ahead { "позже" } else { "раньше" }
        ),
        ("clock_skew", _) => format!(
            "this entry is dated {time_at}, {gap} {} the server's time ({reference_at}): check this machine's clock",
            if ahead { "ahead of" } else { "behind" }
        ),
        ("time_went_backwards", "kk") => format!(
            "журнал уақыты кері жүрмейді: {time_at} уақытымен белгіленген tick журнал уақытынан ({reference_at}) {gap} бұрын"
        ),
        ("time_went_backwards", "ru") => format!(
            "время журнала не может идти назад: tick, датированный {time_at}, на {gap} раньше времени журнала ({reference_at})"
        ),
        ("time_went_backwards", _) => format!(
            "the log's time may not go backwards: a tick dated {time_at} is {gap} before the log time ({reference_at})"
        ),
        // A secret ballot's re-vote too soon after the last one held
        // (docs/BALLOT.md §8 item 2): the sequencer's time and when it
        // takes the next.
        ("revote_too_soon", _) => revote_too_soon(lang, reference.saturating_sub(time)),
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
            "сервер только что принял бюллетень с вашим ключом бюллетеня по этому предложению и примет следующий только через {wait} с: проголосуйте снова после этого (засчитывается только ваш последний бюллетень)"
        ),
        _ => format!(
            "the sequencer held a ballot from your ballot key on this proposal moments ago and takes the next one only {} from now: vote again after that (only your last ballot counts)",
            duration_in("en", wait)
        ),
    }
}

/// A span of seconds, to the minute once it is a minute or more, in
/// `lang`'s units (kk, ru, else en): "45 s", "2 h 14 min", "3 d 4 h";
/// "2 сағ 14 мин", "3 күн 4 сағ"; "2 ч 14 мин", "3 дн. 4 ч".
fn duration_in(lang: &str, secs: u64) -> String {
    let [s, min, h, d] = match lang {
        "kk" => ["с", "мин", "сағ", "күн"],
        "ru" => ["с", "мин", "ч", "дн."],
        _ => ["s", "min", "h", "d"],
    };
    let (days, hours, mins) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (days, hours, mins) {
        (0, 0, 0) => format!("{secs} {s}"),
        (0, 0, m) => format!("{m} {min}"),
        (0, hh, 0) => format!("{hh} {h}"),
        (0, hh, m) => format!("{hh} {h} {m} {min}"),
        (dd, 0, _) => format!("{dd} {d}"),
        (dd, hh, _) => format!("{dd} {d} {hh} {h}"),
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

#[cfg(test)]
mod words_tests {
    use super::*;

    /// Every refusal about time in kk, ru and en (review s10 L9), the gap in
    /// the language's units.
    #[test]
    fn refusals_about_time_are_said_in_each_language() {
        let t = RefusalTimes {
            time: 1_790_008_040,
            reference: 1_790_000_000,
        };
        let codes = [
            "voting_ended",
            "too_early",
            "period_too_short",
            "nominations_closed",
            "nominations_open",
            "nomination_period_too_short",
            "clock_skew",
            "time_went_backwards",
        ];
        for code in codes {
            let en = explain_in("en", code, t).unwrap();
            assert!(en.contains("2 h 14 min"), "{en}");
            for (lang, gap) in [("kk", "2 сағ 14 мин"), ("ru", "2 ч 14 мин")] {
                let said = explain_in(lang, code, t).unwrap();
                assert!(said.contains(gap), "{lang} {code}: {said}");
                let latin = said
                    .replace("tick", "")
                    .replace("UTC", "")
                    .chars()
                    .filter(char::is_ascii_alphabetic)
                    .count();
                assert_eq!(latin, 0, "{lang} {code}: {said}");
                assert_ne!(said, en);
            }
        }
        assert!(explain_in("ru", "unknown", t).is_none());
        assert!(explain_in("ru", "voting_ended", t)
            .unwrap()
            .starts_with("голосование закончилось: это попало в журнал в "));
        // Ahead of the server's time, and behind it.
        let behind = RefusalTimes {
            time: 1_790_000_000,
            reference: 1_790_000_045,
        };
        assert!(explain_in("ru", "clock_skew", t)
            .unwrap()
            .contains("на 2 ч 14 мин позже времени сервера"));
        assert!(explain_in("ru", "clock_skew", behind)
            .unwrap()
            .contains("на 45 с раньше времени сервера"));
        assert!(explain_in("en", "clock_skew", behind)
            .unwrap()
            .contains("45 s behind the server's time"));
        assert!(explain_in("kk", "clock_skew", behind)
            .unwrap()
            .contains("45 с артта"));
    }

    #[test]
    fn spans_are_in_the_language_units() {
        for (secs, en, kk, ru) in [
            (45, "45 s", "45 с", "45 с"),
            (120, "2 min", "2 мин", "2 мин"),
            (7200, "2 h", "2 сағ", "2 ч"),
            (8040, "2 h 14 min", "2 сағ 14 мин", "2 ч 14 мин"),
            (3 * 86_400, "3 d", "3 күн", "3 дн."),
            (3 * 86_400 + 4 * 3600, "3 d 4 h", "3 күн 4 сағ", "3 дн. 4 ч"),
        ] {
            assert_eq!(duration_in("en", secs), en);
            assert_eq!(duration_in("fr", secs), en);
            assert_eq!(duration_in("kk", secs), kk);
            assert_eq!(duration_in("ru", secs), ru);
        }
    }
}
