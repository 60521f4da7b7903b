//! Dates as readers see them: in the reader's language and the
//! publication's time zone (the charter's `time_zone`, IANA, from the
//! database bundled into the binary — no file is read), and the
//! machine-readable form for `<time datetime>`.

use jiff::tz::TimeZone;
use jiff::Timestamp;

/// Formats times in one time zone.
pub struct Clock {
    tz: TimeZone,
}

/// A time broken down in the publication's zone.
pub struct Local {
    pub year: i16,
    pub month: i8,
    pub day: i8,
    pub hour: i8,
    pub minute: i8,
    /// Offset from UTC in seconds.
    pub offset: i32,
}

const KK_MONTHS: [&str; 12] = [
    "қаңтар",
    "ақпан",
    "наурыз",
    "сәуір",
    "мамыр",
    "маусым",
    "шілде",
    "тамыз",
    "қыркүйек",
    "қазан",
    "қараша",
    "желтоқсан",
];
/// Russian months in the genitive ("5 октября"), as dates need.
const RU_MONTHS_GEN: [&str; 12] = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
];
/// Russian months in the nominative ("Октябрь 2026"), for archive headings.
const RU_MONTHS: [&str; 12] = [
    "Январь",
    "Февраль",
    "Март",
    "Апрель",
    "Май",
    "Июнь",
    "Июль",
    "Август",
    "Сентябрь",
    "Октябрь",
    "Ноябрь",
    "Декабрь",
];
const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl Clock {
    /// The clock of zone `name`; UTC if the bundled database lacks it (a
    /// charter's zone is checked when the charter is, so only an older
    /// database could).
    pub fn new(name: &str) -> Self {
        Self {
            tz: erkin_core::lists::zone(name),
        }
    }

    pub fn local(&self, t: u64) -> Local {
        let ts =
            Timestamp::from_second(i64::try_from(t).unwrap_or(i64::MAX)).unwrap_or(Timestamp::MAX);
        let z = ts.to_zoned_datetime(self.tz.clone());
        Local {
            year: z.year(),
            month: z.month(),
            day: z.day(),
            hour: z.hour(),
            minute: z.minute(),
            offset: z.offset().seconds(),
        }
    }

    /// RFC 3339 with the zone's offset (`2026-10-05T14:00:00+05:00`): the
    /// `datetime` of a `<time>` element.
    pub fn machine(&self, t: u64) -> String {
        let l = self.local(t);
        let secs = t % 60;
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}",
            l.year,
            l.month,
            l.day,
            l.hour,
            l.minute,
            secs,
            offset_rfc(l.offset)
        )
    }

    /// The day, in words of `lang` ("5 October 2026").
    pub fn date(&self, lang: &str, t: u64) -> String {
        let l = self.local(t);
        let m = usize::try_from(l.month - 1).unwrap_or(0).min(11);
        match lang {
            "kk" => format!("{} жылғы {} {}", l.year, l.day, KK_MONTHS[m]),
            "ru" => format!("{} {} {}", l.day, RU_MONTHS_GEN[m], l.year),
            _ => format!("{} {} {}", l.day, EN_MONTHS[m], l.year),
        }
    }

    /// The day and time ("5 October 2026, 14:00").
    pub fn date_time(&self, lang: &str, t: u64) -> String {
        let l = self.local(t);
        format!("{}, {:02}:{:02}", self.date(lang, t), l.hour, l.minute)
    }

    /// The zone's offset at `t` for readers ("UTC+5", "UTC+5:30").
    pub fn offset(&self, t: u64) -> String {
        let o = self.local(t).offset;
        let sign = if o < 0 { '−' } else { '+' };
        let (h, m) = (o.abs() / 3600, o.abs() % 3600 / 60);
        if m == 0 {
            format!("UTC{sign}{h}")
        } else {
            format!("UTC{sign}{h}:{m:02}")
        }
    }

    /// The month `t` falls in, as [`Clock::month_key`] names it, and the
    /// times it spans: from its first second to the next month's first
    /// (just `t` where the zone's rules cannot say).
    pub fn month_span(&self, t: u64) -> (String, u64, u64) {
        let key = self.month_key(t);
        let span = (|| {
            let ts = Timestamp::from_second(i64::try_from(t).ok()?).ok()?;
            let z = ts.to_zoned_datetime(self.tz.clone());
            let start = z.first_of_month().ok()?.start_of_day().ok()?;
            let end = start.checked_add(jiff::Span::new().months(1)).ok()?;
            let (s, e) = (start.timestamp().as_second(), end.timestamp().as_second());
            Some((u64::try_from(s).ok()?, u64::try_from(e).ok()?))
        })();
        match span {
            Some((s, e)) if s <= t && t < e => (key, s, e),
            _ => (key, t, t.saturating_add(1)),
        }
    }

    /// The month `t` falls in, as a path part (`2026-10`).
    /// The same key as the store's lists file the month under
    /// (`erkin_core::lists::month_key`).
    pub fn month_key(&self, t: u64) -> String {
        erkin_core::lists::month_key(&self.tz, t)
    }
}

/// A month key (`2026-10`) as a heading in `lang` ("October 2026").
pub fn month_title(lang: &str, key: &str) -> String {
    let (y, m) = key.split_once('-').unwrap_or((key, "1"));
    let m = m.parse::<usize>().unwrap_or(1).clamp(1, 12) - 1;
    match lang {
        "kk" => format!("{y} жыл, {}", KK_MONTHS[m]),
        "ru" => format!("{} {y}", RU_MONTHS[m]),
        _ => format!("{} {y}", EN_MONTHS[m]),
    }
}

fn offset_rfc(o: i32) -> String {
    let sign = if o < 0 { '-' } else { '+' };
    format!("{sign}{:02}:{:02}", o.abs() / 3600, o.abs() % 3600 / 60)
}

/// An RFC 3339 time in UTC to the second (`2026-10-05T09:00:00Z`): the
/// machine-readable form of feeds.
pub(crate) fn rfc3339(t: u64) -> String {
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(t))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn almaty_is_utc_plus_five_and_dates_are_in_words() {
        let c = Clock::new("Asia/Almaty");
        // 2026-10-05T09:00:00Z
        let t = 1_791_190_800;
        assert_eq!(c.machine(t), "2026-10-05T14:00:00+05:00");
        assert_eq!(c.date_time("ru", t), "5 октября 2026, 14:00");
        assert_eq!(c.date_time("kk", t), "2026 жылғы 5 қазан, 14:00");
        assert_eq!(c.date_time("en", t), "5 October 2026, 14:00");
        assert_eq!(c.offset(t), "UTC+5");
        assert_eq!(c.month_key(t), "2026-10");
        // A month's span holds exactly the times of its key.
        let (key, start, end) = c.month_span(t);
        assert_eq!(key, "2026-10");
        assert!(start <= t && t < end);
        assert_eq!(c.month_key(start), "2026-10");
        assert_eq!(c.month_key(start - 1), "2026-09");
        assert_eq!(c.month_key(end - 1), "2026-10");
        assert_eq!(c.month_key(end), "2026-11");
        assert_eq!(month_title("ru", "2026-10"), "Октябрь 2026");
        // Late evening UTC is the next day in Almaty.
        assert_eq!(c.month_key(1_790_812_800 - 3600), "2026-10");
        assert_eq!(Clock::new("Nowhere/City").offset(t), "UTC+0");
    }
}
