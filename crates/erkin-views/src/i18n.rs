//! The reader interface's words in Kazakh, Russian and English, and the
//! sentences about governance built from the core's typed values (motions,
//! effects of decisions, rules, tallies). The core holds no sentences; the
//! English ones here are also what the command line prints.

use erkin_core::action::REOPEN_NOMINATIONS;
use erkin_core::action::{Action, Ballot, Motion};
use erkin_core::ballot::BallotError;
use erkin_core::charter::{
    Base, Charter, CharterChange, Comparison, Fraction, Rule, RuleKind, Tally, Threshold,
};
use erkin_core::governance::{Effect, NoEffect};
use erkin_core::rejection::Rejection;

/// One language's interface strings.
pub struct Words {
    pub lang: &'static str,
    /// The language's own name, for the language switcher.
    pub name: &'static str,
    pub latest: &'static str,
    pub published: &'static str,
    pub updated: &'static str,
    pub by: &'static str,
    pub tags: &'static str,
    pub correction: &'static str,
    pub corrections: &'static str,
    pub history: &'static str,
    pub revision: &'static str,
    pub retracted: &'static str,
    pub retracted_note: &'static str,
    pub redacted: &'static str,
    pub redacted_note: &'static str,
    pub in_other_languages: &'static str,
    pub log_entry: &'static str,
    pub coop: &'static str,
    pub mirrors: &'static str,
    pub feed: &'static str,
    pub verify_note: &'static str,
    pub no_articles: &'static str,
    pub members: &'static str,
    pub board: &'static str,
    pub decisions: &'static str,
    pub charter: &'static str,
    pub until: &'static str,
    pub passed: &'static str,
    pub failed: &'static str,
    pub open: &'static str,
    pub publication_key: &'static str,
    pub check_copy: &'static str,
    pub make_mirror: &'static str,
    pub make_mirror_text: &'static str,
    pub proposed_by: &'static str,
    pub closes: &'static str,
    pub rule: &'static str,
    /// The charter's principles, one sentence each.
    pub one_member_one_vote: &'static str,
    /// The decisions the charter rules, in the order of [`Charter`]'s
    /// yes/no rules: admit, remove, amend, retract, redact, resolution.
    pub decision_kinds: [&'static str; 6],
    pub elect_board: &'static str,
}

pub const KK: Words = Words {
    lang: "kk",
    name: "Қазақша",
    latest: "Соңғы жаңалықтар",
    published: "Жарияланды",
    updated: "Жаңартылды",
    by: "Авторы",
    tags: "Тегтер",
    correction: "Түзету",
    corrections: "Түзетулер",
    history: "Өзгерістер тарихы",
    revision: "Нұсқа",
    retracted: "Кері қайтарылды",
    retracted_note: "Бұл мақаланы мүшелер дауыс беру арқылы кері қайтарды. Мәтін жазба үшін сақталған.",
    redacted: "Алынып тасталды",
    redacted_note: "Бұл мақаланың мазмұны мүшелердің дауыс беруімен жойылды. Журналдағы жазба сақталады.",
    in_other_languages: "Басқа тілдерде",
    log_entry: "Журнал жазбасы",
    coop: "Кооператив",
    mirrors: "Айналар мен кілт",
    feed: "Арна",
    verify_note: "Әр мақала қол қойылған журналда тұр; кез келген көшірмені басылымның кілтімен тексеруге болады.",
    no_articles: "Әзірге мақала жоқ.",
    members: "Мүшелер",
    board: "Редакция алқасы",
    decisions: "Шешімдер",
    charter: "Жарғы",
    until: "дейін",
    passed: "Қабылданды",
    failed: "Қабылданбады",
    open: "Дауыс беру жүріп жатыр",
    publication_key: "Басылымның кілті",
    check_copy: "Көшірмені тексеру",
    make_mirror: "Айна жасау",
    proposed_by: "ұсынған",
    closes: "дауыс беру аяқталады",
    rule: "Ереже",
    one_member_one_vote: "Бір мүше — бір дауыс. Қалыс қалғандар кворумға есептеледі, нәтижеге емес. Бірде-бір «иә» дауысы болмаса, ешбір шешім қабылданбайды.",
    decision_kinds: [
        "Мүшелікке қабылдау",
        "Мүшеліктен шығару",
        "Жарғыны өзгерту",
        "Мақаланы кері қайтару",
        "Мақаланың мазмұнын жою",
        "Басқа қарарлар",
    ],
    elect_board: "Редакция алқасын сайлау",
    make_mirror_text: "Бүкіл сайтты — беттерді, журналды (checkpoint, tile/) және blob/ файлдарын — кез келген серверге, статикалық хостингке немесе флешкаға көшіріңіз. Әр көшірме жоғарыдағы кілт арқылы өзін дәлелдейді.",
};

pub const RU: Words = Words {
    lang: "ru",
    name: "Русский",
    latest: "Последние материалы",
    published: "Опубликовано",
    updated: "Обновлено",
    by: "Автор",
    tags: "Теги",
    correction: "Исправление",
    corrections: "Исправления",
    history: "История изменений",
    revision: "Версия",
    retracted: "Отозвано",
    retracted_note: "Члены кооператива проголосовали за отзыв этой статьи. Текст сохранён для истории.",
    redacted: "Удалено",
    redacted_note: "Содержание этой статьи удалено по решению членов кооператива. Запись в журнале сохраняется.",
    in_other_languages: "На других языках",
    log_entry: "Запись журнала",
    coop: "Кооператив",
    mirrors: "Зеркала и ключ",
    feed: "Лента",
    verify_note: "Каждая статья записана в подписанный журнал; любую копию можно проверить ключом издания.",
    no_articles: "Пока нет статей.",
    members: "Члены",
    board: "Редакционный совет",
    decisions: "Решения",
    charter: "Устав",
    until: "до",
    passed: "Принято",
    failed: "Отклонено",
    open: "Голосование идёт",
    publication_key: "Ключ издания",
    check_copy: "Проверить копию",
    make_mirror: "Сделать зеркало",
    proposed_by: "предложил(а)",
    closes: "голосование до",
    rule: "Правило",
    one_member_one_vote: "Один член — один голос. Воздержавшиеся учитываются в кворуме, но не в результате. Без хотя бы одного голоса «за» решение не принимается.",
    decision_kinds: [
        "Приём в члены",
        "Исключение из членов",
        "Изменение устава",
        "Отзыв статьи",
        "Удаление содержания статьи",
        "Другие резолюции",
    ],
    elect_board: "Выборы редакционного совета",
    make_mirror_text: "Скопируйте весь сайт — страницы, журнал (checkpoint, tile/) и файлы blob/ — на любой сервер, статический хостинг или флешку. Каждая копия доказывает себя ключом выше, кто бы её ни раздавал.",
};

pub const EN: Words = Words {
    lang: "en",
    name: "English",
    latest: "Latest",
    published: "Published",
    updated: "Updated",
    by: "By",
    tags: "Tags",
    correction: "Correction",
    corrections: "Corrections",
    history: "History of changes",
    revision: "Revision",
    retracted: "Retracted",
    retracted_note: "The members voted to retract this article. The text is kept for the record.",
    redacted: "Redacted",
    redacted_note:
        "The members voted to remove this article's content. Its entry in the log remains.",
    in_other_languages: "In other languages",
    log_entry: "Log entry",
    coop: "Cooperative",
    mirrors: "Mirrors and key",
    feed: "Feed",
    verify_note:
        "Every article is in a signed log; any copy can be checked against the publication's key.",
    no_articles: "No articles yet.",
    members: "Members",
    board: "Editorial board",
    decisions: "Decisions",
    charter: "The charter",
    until: "until",
    passed: "Passed",
    failed: "Failed",
    open: "Voting is open",
    publication_key: "The publication's key",
    check_copy: "Check a copy",
    make_mirror: "Make a mirror",
    proposed_by: "proposed by",
    closes: "closes",
    rule: "Rule",
    one_member_one_vote: "One member, one vote. Abstentions count toward the quorum, not the result. Nothing passes without a yes.",
    decision_kinds: [
        "Admit a member",
        "Remove a member",
        "Amend the charter",
        "Retract an article",
        "Redact an article",
        "Other resolutions",
    ],
    elect_board: "Elect the editorial board",
    make_mirror_text: "Copy this whole site — pages, the log (checkpoint, tile/) and blob/ — to any web server, static host or USB stick. Every copy proves itself against the key above, whoever serves it.",
};

/// The words for a language code, English for anything unknown.
pub fn words(lang: &str) -> &'static Words {
    match lang {
        "kk" => &KK,
        "ru" => &RU,
        _ => &EN,
    }
}

fn first_chars(text: &str, n: usize) -> String {
    text.lines().next().unwrap_or("").chars().take(n).collect()
}

fn frac(f: Fraction) -> String {
    format!("{}/{}", f.num, f.den)
}

impl Words {
    /// Handles in a list ("aigerim, saule"), or "nobody" for none.
    fn handles(&self, handles: &[String]) -> String {
        if handles.is_empty() {
            return match self.lang {
                "kk" => "ешкім".into(),
                "ru" => "никого".into(),
                _ => "nobody".into(),
            };
        }
        handles.join(", ")
    }

    /// What a motion asks, in a few words ("admit saule").
    pub fn motion(&self, m: &Motion) -> String {
        match (self.lang, m) {
            (_, Motion::Elect { .. } | Motion::ByElection { .. } | Motion::Recall { .. }) => {
                self.election_motion(m)
            }
            ("kk", Motion::Admit { key }) => format!("{} мүшелікке қабылдау", handle_of(key)),
            ("kk", Motion::Remove { handle }) => format!("{handle} мүшеліктен шығару"),
            ("kk", Motion::Amend { .. }) => "жарғыны өзгерту".into(),
            ("kk", Motion::Retract { article, .. }) => format!("{article} мақаласын кері қайтару"),
            ("kk", Motion::Redact { target, .. }) => format!("{target} мазмұнын жою"),
            ("kk", Motion::Resolution { text }) => format!("қарар: {}", first_chars(text, 60)),
            ("kk", Motion::TipReaders { handles }) => {
                format!("хабар оқушылары: {}", self.handles(handles))
            }
            ("ru", Motion::Admit { key }) => format!("принять в члены {}", handle_of(key)),
            ("ru", Motion::Remove { handle }) => format!("исключить из членов {handle}"),
            ("ru", Motion::Amend { .. }) => "изменить устав".into(),
            ("ru", Motion::Retract { article, .. }) => format!("отозвать статью {article}"),
            ("ru", Motion::Redact { target, .. }) => format!("удалить содержание {target}"),
            ("ru", Motion::Resolution { text }) => format!("резолюция: {}", first_chars(text, 60)),
            ("ru", Motion::TipReaders { handles }) => {
                format!("получатели сообщений источников: {}", self.handles(handles))
            }
            (_, Motion::Admit { key }) => format!("admit {}", handle_of(key)),
            (_, Motion::Remove { handle }) => format!("remove {handle}"),
            (_, Motion::Amend { .. }) => "amend the charter".into(),
            (_, Motion::Retract { article, .. }) => format!("retract {article}"),
            (_, Motion::Redact { target, .. }) => format!("redact {target}"),
            (_, Motion::Resolution { text }) => format!("resolution: {}", first_chars(text, 60)),
            (_, Motion::TipReaders { handles }) => {
                format!("tip readers: {}", self.handles(handles))
            }
        }
    }

    /// What a closed proposal did ("admitted saule").
    pub fn effect(&self, e: &Effect) -> String {
        match (self.lang, e) {
            (
                _,
                Effect::BoardElected { .. }
                | Effect::ByElected { .. }
                | Effect::Recalled { .. }
                | Effect::TooFewCandidates { .. },
            ) => self.election_effect(e),
            ("kk", Effect::NoQuorum) => "қабылданбады: кворум жиналмады".into(),
            ("kk", Effect::Rejected) => "қабылданбады: қажетті дауыс саны жиналмады".into(),
            ("kk", Effect::Admitted { handle }) => format!("{handle} мүшелікке қабылданды"),
            ("kk", Effect::Removed { handle }) => format!("{handle} мүшеліктен шығарылды"),
            ("kk", Effect::CharterAmended) => "жарғы өзгертілді".into(),
            ("kk", Effect::Retracted { slug }) => format!("{slug} мақаласы кері қайтарылды"),
            ("kk", Effect::Redacted { target }) => format!("{target} мазмұны жойылды"),
            ("kk", Effect::Resolved) => "қарар қабылданды".into(),
            ("kk", Effect::TipReadersAppointed { handles }) => {
                format!("хабар оқушылары тағайындалды: {}", self.handles(handles))
            }
            ("kk", Effect::NobodyRanked) => {
                "сайлау өтпеді: ешкім бірде-бір кандидатты таңдамады".into()
            }
            ("kk", Effect::CouldNotTakeEffect { why }) => {
                format!("қабылданды, бірақ күшіне енбеді: {}", self.no_effect(why))
            }
            ("ru", Effect::NoQuorum) => "не принято: нет кворума".into(),
            ("ru", Effect::Rejected) => "не принято: не набрано нужное число голосов".into(),
            ("ru", Effect::Admitted { handle }) => format!("{handle} — теперь член кооператива"),
            ("ru", Effect::Removed { handle }) => format!("членство {handle} прекращено"),
            ("ru", Effect::CharterAmended) => "устав изменён".into(),
            ("ru", Effect::Retracted { slug }) => format!("статья {slug} отозвана"),
            ("ru", Effect::Redacted { target }) => format!("содержание {target} удалено"),
            ("ru", Effect::Resolved) => "резолюция принята".into(),
            ("ru", Effect::TipReadersAppointed { handles }) => format!(
                "назначены получатели сообщений источников: {}",
                self.handles(handles)
            ),
            ("ru", Effect::NobodyRanked) => {
                "выборы не состоялись: никто не отдал голос ни за одного кандидата".into()
            }
            ("ru", Effect::CouldNotTakeEffect { why }) => {
                format!("принято, но не вступило в силу: {}", self.no_effect(why))
            }
            (_, Effect::NoQuorum) => "failed: the quorum was not met".into(),
            (_, Effect::Rejected) => "failed: the threshold was not met".into(),
            (_, Effect::Admitted { handle }) => format!("admitted {handle}"),
            (_, Effect::Removed { handle }) => format!("removed {handle}"),
            (_, Effect::CharterAmended) => "amended the charter".into(),
            (_, Effect::Retracted { slug }) => format!("retracted {slug}"),
            (_, Effect::Redacted { target }) => format!("redacted {target}"),
            (_, Effect::Resolved) => "resolved".into(),
            (_, Effect::TipReadersAppointed { handles }) => {
                format!("tip readers appointed: {}", self.handles(handles))
            }
            (_, Effect::NobodyRanked) => "failed: nobody ranked any candidate".into(),
            (
                _,
                Effect::CouldNotTakeEffect {
                    why: NoEffect::AlreadyLeft { handle },
                },
            ) => {
                format!("passed, but {handle} had already left")
            }
            (_, Effect::CouldNotTakeEffect { why }) => {
                format!("passed, but could not take effect: {}", self.no_effect(why))
            }
        }
    }

    /// Why a passed motion could not take effect.
    fn no_effect(&self, why: &NoEffect) -> String {
        match (self.lang, why) {
            (_, NoEffect::NotOnBoard { .. } | NoEffect::NoVacancy { .. }) => {
                self.election_no_effect(why)
            }
            ("kk", NoEffect::HandleTaken { handle }) => {
                format!("«{handle}» есімін басқа мүше алып қойған")
            }
            ("kk", NoEffect::HandleIsOrigin) => {
                "мүше кілтінің аты басылымның атымен бірдей бола алмайды".into()
            }
            ("kk", NoEffect::KeyTaken) => "бұл кілт басқа мүшеге тиесілі".into(),
            ("kk", NoEffect::AlreadyLeft { handle }) => {
                format!("{handle} бұған дейін мүшеліктен шығып кеткен")
            }
            ("kk", NoEffect::LastMember) => "соңғы мүшені шығаруға болмайды".into(),
            ("kk", NoEffect::SecretEntrenched { field }) => format!(
                "ол адамдар туралы дауыс беруді қайта ашық етер еді, ал қазіргі жарғы бойынша ол жасырын ({field})"
            ),
            ("ru", NoEffect::HandleTaken { handle }) => {
                format!("имя «{handle}» уже занято другим членом")
            }
            ("ru", NoEffect::HandleIsOrigin) => {
                "имя ключа члена не может совпадать с именем издания".into()
            }
            ("ru", NoEffect::KeyTaken) => "этот ключ уже принадлежит другому члену".into(),
            ("ru", NoEffect::AlreadyLeft { handle }) => {
                format!("членство {handle} к тому времени уже прекратилось")
            }
            ("ru", NoEffect::LastMember) => "нельзя исключить последнего члена".into(),
            ("ru", NoEffect::SecretEntrenched { field }) => format!(
                "она снова сделала бы открытым голосование о людях, которое действующий устав сделал тайным ({field})"
            ),
            (_, NoEffect::HandleTaken { handle }) => {
                format!("the handle {handle:?} is already a member's")
            }
            (_, NoEffect::HandleIsOrigin) => "a member's key name may not be the origin".into(),
            (_, NoEffect::KeyTaken) => "that key is already a member's".into(),
            (_, NoEffect::AlreadyLeft { handle }) => format!("{handle} had already left"),
            (_, NoEffect::LastMember) => "the last member cannot be removed".into(),
            (_, NoEffect::SecretEntrenched { field }) => format!(
                "it would make a vote on people open again, which the charter in force makes secret ({field})"
            ),
        }
    }

    /// A threshold ("yes more than 1/2 of the yes and no votes").
    pub fn threshold(&self, t: &Threshold) -> String {
        let f = frac(t.fraction);
        match self.lang {
            "kk" => {
                let of = match t.of {
                    Base::Cast => "«иә» мен «жоқ» дауыстарының",
                    Base::Members => "дауыс беруге құқылы барлық мүшелердің",
                };
                let op = match t.comparison {
                    Comparison::Greater => "көп",
                    Comparison::AtLeast => "кем емес",
                };
                format!("«иә» дауыстары {of} {f} бөлігінен {op}")
            }
            "ru" => {
                let op = match t.comparison {
                    Comparison::Greater => "больше",
                    Comparison::AtLeast => "не меньше",
                };
                let of = match t.of {
                    Base::Cast => "голосов «за» и «против»",
                    Base::Members => "всех членов с правом голоса",
                };
                format!("голосов «за» {op} {f} от {of}")
            }
            _ => {
                let op = match t.comparison {
                    Comparison::Greater => "more than",
                    Comparison::AtLeast => "at least",
                };
                let of = match t.of {
                    Base::Cast => "of the yes and no votes",
                    Base::Members => "of all eligible members",
                };
                format!("yes {op} {f} {of}")
            }
        }
    }

    /// A decided proposal's count ("yes 2, no 1, abstain 0 of 6 eligible").
    pub fn tally(&self, t: &Tally) -> String {
        let Tally {
            yes,
            no,
            abstain,
            eligible,
        } = t;
        match self.lang {
            "kk" => format!(
                "иә {yes}, жоқ {no}, қалыс {abstain}; дауыс беруге құқылы мүшелер: {eligible}"
            ),
            "ru" => format!(
                "за {yes}, против {no}, воздержались {abstain}; членов с правом голоса: {eligible}"
            ),
            _ => format!("yes {yes}, no {no}, abstain {abstain} of {eligible} eligible"),
        }
    }

    /// The quorum of a decided proposal's rule ("quorum 1/3 of members").
    pub fn quorum(&self, q: Fraction) -> String {
        let q = frac(q);
        match self.lang {
            "kk" => format!("кворум — мүшелердің {q} бөлігі"),
            "ru" => format!("кворум — {q} членов"),
            _ => format!("quorum {q} of members"),
        }
    }

    /// A yes/no rule of the charter, in full.
    pub fn rule_in_full(&self, r: &Rule) -> String {
        let (t, q, h) = (self.threshold(&r.threshold), frac(r.quorum), r.min_hours);
        let rule = match self.lang {
            "kk" => format!(
                "{t}; мүшелердің кемінде {q} бөлігі дауыс береді; дауыс беру кемінде {h} сағатқа ашылады."
            ),
            "ru" => format!(
                "{t}; голосуют не меньше {q} членов; голосование открыто не меньше {h} ч."
            ),
            _ => format!("{t}; at least {q} of members vote; open at least {h} hours."),
        };
        format!("{rule}{}", self.secret_ballot(r.secret))
    }

    /// " By secret ballot." after a rule that is secret; nothing otherwise
    /// (open, roll-call votes are the rule's default).
    pub fn secret_ballot(&self, secret: bool) -> &'static str {
        match (secret, self.lang) {
            (false, _) => "",
            (true, "kk") => " Жасырын дауыс беру.",
            (true, "ru") => " Тайное голосование.",
            (true, _) => " By secret ballot.",
        }
    }

    /// One rule an amendment changes, in force → proposed ("Admit a
    /// member: … 72 hours. → … 96 hours.").
    pub fn charter_change(&self, c: &CharterChange) -> String {
        match c {
            CharterChange::Languages { old, new } => {
                let label = match self.lang {
                    "kk" => "тілдер",
                    "ru" => "языки",
                    _ => "languages",
                };
                format!("{label}: {} → {}", old.join(", "), new.join(", "))
            }
            CharterChange::Rule { kind, old, new } => {
                let label = match kind {
                    RuleKind::Admit => self.decision_kinds[0],
                    RuleKind::Remove => self.decision_kinds[1],
                    RuleKind::Amend => self.decision_kinds[2],
                    RuleKind::Retract => self.decision_kinds[3],
                    RuleKind::Redact => self.decision_kinds[4],
                    RuleKind::Resolution => self.decision_kinds[5],
                    RuleKind::Recall => self.recall_label(),
                };
                format!(
                    "{}: {} → {}",
                    label,
                    self.rule_in_full(old),
                    self.rule_in_full(new)
                )
            }
            CharterChange::Election { old, new } => {
                let rule = |q: Fraction, h: u32| {
                    let q = frac(q);
                    match self.lang {
                        "kk" => {
                            format!("мүшелердің кемінде {q} бөлігі дауыс береді, кемінде {h} сағат")
                        }
                        "ru" => format!("голосуют не меньше {q} членов, не меньше {h} ч."),
                        _ => format!("at least {q} of members vote, open at least {h} hours"),
                    }
                };
                format!(
                    "{}: {}{}{} → {}{}{}",
                    self.elect_board,
                    rule(old.quorum, old.min_hours),
                    self.nomination_period(old.nomination_hours),
                    self.secret_ballot(old.secret),
                    rule(new.quorum, new.min_hours),
                    self.nomination_period(new.nomination_hours),
                    self.secret_ballot(new.secret)
                )
            }
            CharterChange::Board { old, new } => {
                let board = |s: u32, d: u32| match self.lang {
                    "kk" => format!("{s} орын, өкілеттік мерзімі {d} күн"),
                    "ru" => format!("мест — {s}, срок полномочий — {d} дн."),
                    _ => format!("{s} seats, a {d}-day term"),
                };
                let label = match self.lang {
                    "kk" => "редакция алқасы",
                    "ru" => "редакционный совет",
                    _ => "the editorial board",
                };
                format!(
                    "{label}: {} → {}",
                    board(old.seats, old.term_days),
                    board(new.seats, new.term_days)
                )
            }
            CharterChange::TimeZone { old, new } => {
                let label = match self.lang {
                    "kk" => "оқырманға күндер көрсетілетін уақыт белдеуі",
                    "ru" => "часовой пояс, в котором читателям показаны даты",
                    _ => "the time zone readers are shown dates in",
                };
                format!("{label}: {old} → {new}")
            }
        }
    }

    /// The charter's election rule, in full.
    pub fn election_in_full(&self, c: &Charter) -> String {
        let (seats, days, q) = (c.board.seats, c.board.term_days, frac(c.elect.quorum));
        match self.lang {
            "kk" => format!(
                "бірыңғай ауыстырылатын дауыс (Шотландия ережелері, дәл есеп): {seats} орын, өкілеттік мерзімі {days} күн; мүшелердің кемінде {q} бөлігі дауыс береді."
            ),
            "ru" => format!(
                "единый передаваемый голос (шотландские правила, точная арифметика): мест — {seats}, срок полномочий — {days} дн.; голосуют не меньше {q} членов."
            ),
            _ => format!(
                "single transferable vote (Scottish rules, exact arithmetic) for {seats} seats, a {days}-day term; at least {q} of members vote."
            ),
        }
    }
}

/// The handle in a verifier key (its name).
fn handle_of(key: &str) -> &str {
    key.split('+').next().unwrap_or(key)
}

/// One English line describing a log entry's action (for `erkin log`).
pub fn action_summary(a: &Action) -> String {
    match a {
        Action::Genesis(g) => {
            format!("founded {:?} with {} founder(s)", g.name, g.founders.len())
        }
        Action::Statement(s) => format!("statement: {}", first_chars(&s.text, 80)),
        Action::Propose(p) => format!("proposes {:?}: {}", p.title, EN.motion(&p.motion)),
        Action::Vote(v) => match &v.ballot {
            Ballot::Ranked(r) => format!("votes on #{}: ranks {}", v.proposal, EN.ranking(r)),
            Ballot::Yes => format!("votes on #{}: yes", v.proposal),
            Ballot::No => format!("votes on #{}: no", v.proposal),
            Ballot::Abstain => format!("votes on #{}: abstain", v.proposal),
        },
        Action::Close(c) => format!("closes #{}", c.proposal),
        Action::RotateKey(_) => "rotates their key".into(),
        Action::Resign(_) => "resigns".into(),
        Action::StepDown(_) => "steps down from the board".into(),
        Action::Nominate(n) => format!("nominates {} in election #{}", n.handle, n.proposal),
        Action::Consent(c) => format!("consents to stand in election #{}", c.proposal),
        Action::Publish(p) => format!("publishes a/{}/ ({}): {}", p.slug, p.lang, p.title),
        Action::Correct(c) => format!(
            "corrects a/{}/ ({}): {}",
            c.slug,
            if c.major { "major" } else { "minor" },
            c.note.chars().take(60).collect::<String>()
        ),
        Action::Tick(_) => "records the log time".into(),
        Action::TipKey(k) => format!("publishes a tip key: {}", k.recipient),
        Action::SetMirrors(m) => format!("sets the mirror list ({} mirrors)", m.mirrors.len()),
        Action::BallotKey(_) => "registers a ballot key".into(),
        Action::Ballot(b) => format!("publishes a secret ballot on #{}", b.proposal),
        Action::Seal(s) => format!("seals the ballots held for #{}", s.proposal),
        Action::BallotBox(b) => format!("sets the ballot box: {}", b.recipient),
    }
}

// ---------------------------------------------------------------------------
// Elections: nominations, consent, "re-open nominations", by-elections and
// recall (the governance engineer's section). Every sentence in kk, ru, en;
// the English ones are what the command line prints.

/// How a ballot entry reads: a handle, or "re-open nominations".
fn ranked_name<'a>(w: &Words, name: &'a str) -> std::borrow::Cow<'a, str> {
    if name == REOPEN_NOMINATIONS {
        w.reopen_nominations().into()
    } else {
        name.into()
    }
}

impl Words {
    /// The ballot option "re-open nominations" (RON).
    pub fn reopen_nominations(&self) -> &'static str {
        match self.lang {
            "kk" => "кандидаттарды қайта ұсыну",
            "ru" => "заново выдвинуть кандидатов",
            _ => "re-open nominations",
        }
    }

    /// A ranking as a voter cast it ("saule > re-open nominations").
    pub fn ranking(&self, ranking: &[String]) -> String {
        ranking
            .iter()
            .map(|c| ranked_name(self, c).into_owned())
            .collect::<Vec<_>>()
            .join(" > ")
    }

    /// The charter's name for the recall rule.
    pub fn recall_label(&self) -> &'static str {
        match self.lang {
            "kk" => "Редакторды алқадан кері шақыру",
            "ru" => "Отозвать редактора из совета",
            _ => "Recall an editor",
        }
    }

    /// The nomination period of an election rule ("; nominations open at
    /// least 72 hours").
    pub fn nomination_period(&self, h: u32) -> String {
        match self.lang {
            "kk" => format!("; кандидат ұсыну кемінде {h} сағат"),
            "ru" => format!("; выдвижение кандидатов не меньше {h} ч."),
            _ => format!("; nominations open at least {h} hours"),
        }
    }

    /// An election, by-election or recall motion in a few words.
    fn election_motion(&self, m: &Motion) -> String {
        match (self.lang, m) {
            ("kk", Motion::Elect { seats, .. }) => {
                format!("редакция алқасын сайлау ({seats} орын), кандидаттар келісімімен ұсынылады")
            }
            ("kk", Motion::ByElection { seats, .. }) => {
                format!("редакция алқасының бос {seats} орнына қосымша сайлау")
            }
            ("kk", Motion::Recall { handle }) => {
                format!("{handle} редакция алқасынан кері шақыру (мүшелігі сақталады)")
            }
            ("ru", Motion::Elect { seats, .. }) => format!(
                "избрать редакционный совет (мест: {seats}) из выдвинутых кандидатов, давших согласие"
            ),
            ("ru", Motion::ByElection { seats, .. }) => {
                format!("довыборы в редакционный совет (свободных мест: {seats})")
            }
            ("ru", Motion::Recall { handle }) => {
                format!("отозвать {handle} из редакционного совета (членство сохраняется)")
            }
            (_, Motion::Elect { seats, .. }) => {
                format!("elect {seats} board seat(s) from the nominees who consent")
            }
            (_, Motion::ByElection { seats, .. }) => {
                format!("by-election for {seats} vacant board seat(s)")
            }
            (_, Motion::Recall { handle }) => {
                format!("recall {handle} from the board (they stay a member)")
            }
            (_, other) => self.motion(other),
        }
    }

    /// The effect of an election, by-election or recall.
    fn election_effect(&self, e: &Effect) -> String {
        let list = |seats: &[String]| seats.join(", ");
        let vacant = |n: u32| -> String {
            if n == 0 {
                return String::new();
            }
            match self.lang {
                "kk" => format!("; «кандидаттарды қайта ұсыну» жеңген {n} орын бос қалды"),
                "ru" => format!(
                    "; мест, оставшихся свободными по итогам «заново выдвинуть кандидатов»: {n}"
                ),
                _ => format!("; {n} seat(s) went to \"re-open nominations\" and stay vacant"),
            }
        };
        match (self.lang, e) {
            ("kk", Effect::BoardElected { seats, vacant: v, .. }) => {
                format!("редакция алқасына сайланғандар: {}{}", list(seats), vacant(*v))
            }
            ("kk", Effect::ByElected { seats, vacant: v, .. }) => {
                format!("қосымша сайлауда алқаға сайланғандар: {}{}", list(seats), vacant(*v))
            }
            ("kk", Effect::Recalled { handle }) => {
                format!("{handle} редакция алқасынан кері шақырылды; мүше болып қалады")
            }
            ("kk", Effect::TooFewCandidates { candidates, seats }) => format!(
                "сайлау өтпеді: {seats} орынға келісім берген кандидаттар саны {candidates}"
            ),
            ("ru", Effect::BoardElected { seats, vacant: v, .. }) => {
                format!("в редакционный совет избраны: {}{}", list(seats), vacant(*v))
            }
            ("ru", Effect::ByElected { seats, vacant: v, .. }) => {
                format!("на довыборах в совет избраны: {}{}", list(seats), vacant(*v))
            }
            ("ru", Effect::Recalled { handle }) => {
                format!("{handle} отозван(а) из редакционного совета и остаётся членом")
            }
            ("ru", Effect::TooFewCandidates { candidates, seats }) => format!(
                "выборы не состоялись: кандидатов, давших согласие, — {candidates}, а мест — {seats}"
            ),
            (_, Effect::BoardElected { seats, vacant: v, .. }) => {
                format!("elected {} to the board{}", list(seats), vacant(*v))
            }
            (_, Effect::ByElected { seats, vacant: v, .. }) => {
                format!("by-election: elected {} to the board{}", list(seats), vacant(*v))
            }
            (_, Effect::Recalled { handle }) => {
                format!("recalled {handle} from the board; they stay a member")
            }
            (_, Effect::TooFewCandidates { candidates, seats }) => format!(
                "failed: {candidates} consenting candidate(s) for {seats} seat(s); the election is void"
            ),
            (_, other) => self.effect(other),
        }
    }

    /// Why a passed recall or by-election could not take effect.
    fn election_no_effect(&self, why: &NoEffect) -> String {
        match (self.lang, why) {
            ("kk", NoEffect::NotOnBoard { handle }) => {
                format!("{handle} бұл орынды енді иеленбейді")
            }
            ("kk", NoEffect::NoVacancy { vacant }) => {
                format!("алқада бос орын жетпейді (бос орын: {vacant})")
            }
            ("ru", NoEffect::NotOnBoard { handle }) => {
                format!("{handle} уже не занимает это место в совете")
            }
            ("ru", NoEffect::NoVacancy { vacant }) => {
                format!("в совете не хватает свободных мест (свободно: {vacant})")
            }
            (_, NoEffect::NotOnBoard { handle }) => {
                format!("{handle} no longer holds that board seat")
            }
            (_, NoEffect::NoVacancy { vacant }) => {
                format!("too few vacant board seats ({vacant} vacant)")
            }
            (_, other) => self.no_effect(other),
        }
    }

    /// Why the fold refused an election entry (nominations, consent,
    /// by-elections, recall) or a secret ballot (a vote, ballot or close of
    /// a secret proposal), in this language; `None` for other refusals.
    pub fn election_refusal(&self, r: &Rejection) -> Option<String> {
        use Rejection::*;
        if let Some(said) = self.secret_ballot_refusal(r) {
            return Some(said);
        }
        Some(match (self.lang, r) {
            ("kk", NominationPeriodTooShort { min_hours, .. }) => format!(
                "кандидат ұсыну мерзімі тым қысқа: жарғы бойынша кемінде {min_hours} сағат"
            ),
            ("kk", NotAnElection(id)) => format!("№{id} ұсыныс сайлау емес: кандидат тек сайлауға ұсынылады"),
            ("kk", NominationsClosed { proposal, .. }) => {
                format!("№{proposal} сайлауына кандидат ұсыну аяқталды")
            }
            ("kk", NominationsOpen { proposal, .. }) => format!(
                "№{proposal} сайлауында кандидат ұсыну әлі жүріп жатыр; дауыс одан кейін беріледі"
            ),
            ("kk", NomineeNotEligible { handle, proposal }) => format!(
                "{handle} №{proposal} сайлауға түсе алмайды: тек ұсыныс кезіндегі мүшелер түседі"
            ),
            ("kk", AlreadyOnBoard { handle }) => {
                format!("{handle} алқада отыр, қосымша сайлауға түсе алмайды")
            }
            ("kk", AlreadyNominated { handle, proposal }) => {
                format!("{handle} №{proposal} сайлауына бұрын ұсынылған")
            }
            ("kk", NotNominated { handle, proposal }) => format!(
                "{handle} №{proposal} сайлауына ұсынылмаған; келісім ұсыныстан кейін беріледі"
            ),
            ("kk", AlreadyConsented { handle, proposal }) => {
                format!("{handle} №{proposal} сайлауға түсуге келісімін бұрын берген")
            }
            ("kk", TooManyNominees { max }) => {
                format!("бір сайлауға ең көбі {max} кандидат ұсынылады")
            }
            ("kk", NoConsent { handle }) => format!(
                "{handle} ұсынылған, бірақ келісім бермеген: тек келісім берген кандидаттарды таңдауға болады"
            ),
            ("kk", NoVacancy { asked, vacant }) => format!(
                "{asked} орынға қосымша сайлау үшін сонша бос орын керек; бос орын: {vacant}"
            ),
            ("kk", NotOnBoard { handle }) => {
                format!("{handle} алқада отырмайды, оны кері шақыруға болмайды")
            }
            ("ru", NominationPeriodTooShort { min_hours, .. }) => format!(
                "слишком короткий срок выдвижения: устав требует не меньше {min_hours} ч."
            ),
            ("ru", NotAnElection(id)) => {
                format!("предложение №{id} — не выборы: кандидатов выдвигают только на выборах")
            }
            ("ru", NominationsClosed { proposal, .. }) => {
                format!("выдвижение кандидатов на выборах №{proposal} закончено")
            }
            ("ru", NominationsOpen { proposal, .. }) => format!(
                "выдвижение кандидатов на выборах №{proposal} ещё идёт; голосуют после него"
            ),
            ("ru", NomineeNotEligible { handle, proposal }) => format!(
                "{handle} не может баллотироваться на выборах №{proposal}: только члены на момент предложения"
            ),
            ("ru", AlreadyOnBoard { handle }) => {
                format!("{handle} уже в совете и не может баллотироваться на довыборах")
            }
            ("ru", AlreadyNominated { handle, proposal }) => {
                format!("{handle} уже выдвинут(а) на выборах №{proposal}")
            }
            ("ru", NotNominated { handle, proposal }) => format!(
                "{handle} не выдвинут(а) на выборах №{proposal}; согласие дают на выдвижение (или выдвиньте себя)"
            ),
            ("ru", AlreadyConsented { handle, proposal }) => {
                format!("{handle} уже дал(а) согласие баллотироваться на выборах №{proposal}")
            }
            ("ru", TooManyNominees { max }) => {
                format!("на одних выборах не больше {max} выдвинутых")
            }
            ("ru", NoConsent { handle }) => format!(
                "{handle} выдвинут(а), но не дал(а) согласия: в бюллетене только кандидаты, давшие согласие"
            ),
            ("ru", NoVacancy { asked, vacant }) => format!(
                "для довыборов на {asked} мест(а) нужно столько же свободных; свободно: {vacant}"
            ),
            ("ru", NotOnBoard { handle }) => {
                format!("{handle} не занимает место в совете, отозвать нельзя")
            }
            (_, NominationPeriodTooShort { min_hours, .. }) => format!(
                "nomination period too short: the charter requires at least {min_hours} hours of nominations"
            ),
            (_, NotAnElection(id)) => {
                format!("proposal #{id} is not an election; only elections take nominations")
            }
            (_, NominationsClosed { proposal, .. }) => {
                format!("nominations for election #{proposal} have closed")
            }
            (_, NominationsOpen { proposal, .. }) => format!(
                "nominations for election #{proposal} are still open; ballots are cast after they close"
            ),
            (_, NomineeNotEligible { handle, proposal }) => format!(
                "{handle} cannot stand in election #{proposal}: only the members at the time of the proposal can"
            ),
            (_, AlreadyOnBoard { handle }) => {
                format!("{handle} already holds a board seat and cannot stand in this by-election")
            }
            (_, AlreadyNominated { handle, proposal }) => {
                format!("{handle} is already nominated in election #{proposal}")
            }
            (_, NotNominated { handle, proposal }) => format!(
                "{handle} is not nominated in election #{proposal}; consent follows a nomination (or nominate yourself)"
            ),
            (_, AlreadyConsented { handle, proposal }) => {
                format!("{handle} has already consented to stand in election #{proposal}")
            }
            (_, TooManyNominees { max }) => format!("an election takes at most {max} nominations"),
            (_, NoConsent { handle }) => format!(
                "{handle} was nominated but has not consented to stand; only candidates who consented can be ranked"
            ),
            (_, NoVacancy { asked, vacant }) => format!(
                "a by-election for {asked} seat(s) needs that many vacant seats; {vacant} are vacant"
            ),
            (_, NotOnBoard { handle }) => {
                format!("{handle} holds no current board seat, so cannot be recalled")
            }
            _ => return None,
        })
    }
}

impl Words {
    /// Why the fold refused a secret ballot, a vote on a secret proposal or
    /// its close (docs/BALLOT.md §6), in this language; `None` for other
    /// refusals.
    pub fn secret_ballot_refusal(&self, r: &Rejection) -> Option<String> {
        use Rejection::*;
        let proof = |reason: &BallotError| {
            matches!(
                reason,
                BallotError::BadProof | BallotError::WrongScope | BallotError::UnknownRoot
            )
        };
        Some(match (self.lang, r) {
            ("kk", SecretBallot { proposal }) => format!(
                "№{proposal} ұсыныс жасырын дауыспен шешіледі: ашық дауыс сіздің қалай дауыс бергеніңізді жариялар еді; жасырын бюллетень беріңіз"
            ),
            ("kk", BallotOnOpenVote { proposal }) => format!(
                "№{proposal} ұсыныс бойынша дауыс ашық беріледі: жасырын бюллетень қабылданбайды"
            ),
            ("kk", BallotNotByLogKey) => {
                "жасырын бюллетеньді мүше қол қоймайды, оны журнал кілті жариялайды".into()
            }
            ("kk", SecretCloseByMember { proposal }) => format!(
                "№{proposal} жасырын дауыс беруді тек секвенсер (журнал кілті) мерзімі біткенде жабады"
            ),
            ("kk", BallotTooEarly { proposal, .. }) => format!(
                "№{proposal} ұсыныс бойынша жасырын бюллетеньдер тек дауыс беру аяқталғанда жарияланады"
            ),
            ("kk", BadBallot { reason }) if proof(reason) => {
                "бюллетеньнің дәлелі расталмады: ол бұл ұсыныстың сайлаушыларынан емес немесе өзгертілген".into()
            }
            ("kk", BadBallot { .. }) => {
                "бюллетень бұзылған: өрістерінің бірі дұрыс пішімде емес".into()
            }
            ("kk", BallotSeqZero) => "бюллетеньнің реттік нөмірі (seq) 1-ден басталады".into(),
            ("kk", BallotNotAtLogTime { .. }) => {
                "жасырын бюллетень журнал уақытымен белгіленеді: басқа уақыт оның қашан келгенін көрсетер еді".into()
            }
            ("kk", StaleRoot { proposal }) => format!(
                "бюллетень №{proposal} ұсыныстың сайлаушылар ағаштарының ешқайсысына жасалмаған"
            ),
            ("kk", BallotUnsorted { proposal }) => format!(
                "№{proposal} бюллетеньдері (дәуір, хэш) ретімен, әрқайсысы бір рет жариялануы керек"
            ),
            ("kk", BallotRunOpen { proposal }) => format!(
                "№{proposal} бюллетеньдері жариялануда: олардан кейін тек келесі бюллетень не жабу жазбасы келе алады"
            ),
            ("kk", BallotSeqNotAbove { proposal, seq, previous }) => format!(
                "№{proposal} бойынша осы нуллификатордың келесі бюллетені кейінгі дәуірде және seq {previous}-ден үлкен болуы керек (мұнда {seq})"
            ),
            ("kk", BallotOverflow { proposal, nullifiers, leaves }) => format!(
                "№{proposal} бойынша {nullifiers} түрлі дауыс берушінің бюллетені бар, ал дауыс бере алатындар тек {leaves}: бюллетень жалған (сенімді баптау бұзылған болуы мүмкін)"
            ),
            ("kk", SealNotByLogKey) => "мөрді мүше емес, тек секвенсер (журнал кілті) басады".into(),
            ("kk", BadSeal) => "мөрдің міндеттемесі 64 кіші он алтылық цифр болуы керек".into(),
            ("kk", MissingSeal { proposal }) => format!(
                "бұл жазба №{proposal} жасырын дауыс берудің сайлаушылар ағашын өзгертеді: алдымен №{proposal} мөрі келуі керек"
            ),
            ("kk", SealNotFollowed { proposal }) => format!(
                "№{proposal} мөрінен кейін оның ағашын өзгертетін жазба келуі керек"
            ),
            ("kk", SealMismatch { proposal }) => format!(
                "жабу жазбасының тұздары №{proposal} мөрлерін жарияланған бюллетеньдермен ашпайды"
            ),
            ("kk", SecretElectorate { .. }) => {
                "жасырын дауыс берудің сайлаушылар ағашын құру мүмкін емес".into()
            }
            ("kk", BallotBoxNotByLogKey) => {
                "бюллетень жәшігін мүше емес, тек секвенсер (журнал кілті) жариялайды".into()
            }
            ("kk", BadBallotBox { .. }) => {
                "бюллетень жәшігі age X25519 алушысы емес".into()
            }
            ("ru", SecretBallot { proposal }) => format!(
                "предложение №{proposal} решается тайным голосованием: открытый голос раскрыл бы, как вы голосовали; подайте тайный бюллетень"
            ),
            ("ru", BallotOnOpenVote { proposal }) => format!(
                "по предложению №{proposal} голосуют открыто: тайные бюллетени не принимаются"
            ),
            ("ru", BallotNotByLogKey) => {
                "тайный бюллетень не подписывает член: его публикует ключ журнала".into()
            }
            ("ru", SecretCloseByMember { proposal }) => format!(
                "тайное голосование №{proposal} закрывает только секвенсор (ключ журнала), по истечении срока"
            ),
            ("ru", BallotTooEarly { proposal, .. }) => format!(
                "тайные бюллетени по предложению №{proposal} публикуются только по окончании голосования"
            ),
            ("ru", BadBallot { reason }) if proof(reason) => {
                "доказательство бюллетеня не сходится: он не от избирателей этого предложения или изменён".into()
            }
            ("ru", BadBallot { .. }) => {
                "бюллетень повреждён: одно из полей в неверном формате".into()
            }
            ("ru", BallotSeqZero) => "порядковый номер бюллетеня (seq) начинается с 1".into(),
            ("ru", BallotNotAtLogTime { .. }) => {
                "тайный бюллетень датируется временем журнала: другая дата выдала бы, когда он поступил".into()
            }
            ("ru", StaleRoot { proposal }) => format!(
                "бюллетень составлен не по одному из деревьев избирателей предложения №{proposal}"
            ),
            ("ru", BallotUnsorted { proposal }) => format!(
                "бюллетени №{proposal} публикуются по порядку (эпоха, хэш), каждый один раз"
            ),
            ("ru", BallotRunOpen { proposal }) => format!(
                "идёт публикация бюллетеней №{proposal}: за ними может следовать только следующий бюллетень или закрытие"
            ),
            ("ru", BallotSeqNotAbove { proposal, seq, previous }) => format!(
                "следующий бюллетень с этим нуллификатором по №{proposal} должен быть в более поздней эпохе и с seq больше {previous} (здесь {seq})"
            ),
            ("ru", BallotOverflow { proposal, nullifiers, leaves }) => format!(
                "по №{proposal} бюллетени от {nullifiers} разных голосующих, а голосовать могли только {leaves}: бюллетень подделан (доверенная настройка могла быть нарушена)"
            ),
            ("ru", SealNotByLogKey) => "печать ставит только секвенсор (ключ журнала), а не член".into(),
            ("ru", BadSeal) => "обязательство печати — 64 строчные шестнадцатеричные цифры".into(),
            ("ru", MissingSeal { proposal }) => format!(
                "эта запись меняет дерево избирателей тайного голосования №{proposal}: прямо перед ней должна стоять печать №{proposal}"
            ),
            ("ru", SealNotFollowed { proposal }) => format!(
                "за печатью №{proposal} должна следовать запись, меняющая его дерево"
            ),
            ("ru", SealMismatch { proposal }) => format!(
                "соли в записи о закрытии не открывают печати №{proposal} над опубликованными бюллетенями"
            ),
            ("ru", SecretElectorate { .. }) => {
                "невозможно построить дерево избирателей тайного голосования".into()
            }
            ("ru", BallotBoxNotByLogKey) => {
                "урну для бюллетеней публикует только секвенсор (ключ журнала), а не член".into()
            }
            ("ru", BadBallotBox { .. }) => {
                "урна для бюллетеней — не получатель age X25519".into()
            }
            (_, SecretBallot { proposal }) => format!(
                "proposal #{proposal} is decided by secret ballot: an open vote would publish how you voted; cast a secret ballot instead"
            ),
            (_, BallotOnOpenVote { proposal }) => format!(
                "proposal #{proposal} is an open vote: it takes members' signed votes, not secret ballots"
            ),
            (_, BallotNotByLogKey) => {
                "a secret ballot is not signed by a member: the log key publishes it".into()
            }
            (_, SecretCloseByMember { proposal }) => format!(
                "only the sequencer (the log key) closes secret vote #{proposal}, at its deadline"
            ),
            (_, BallotTooEarly { proposal, .. }) => format!(
                "secret ballots on proposal #{proposal} are published only when its vote closes"
            ),
            (_, BadBallot { reason }) if proof(reason) => {
                "the ballot's proof does not hold: it is not from this proposal's electorate, or it was altered".into()
            }
            (_, BadBallot { .. }) => {
                "the ballot is malformed: one of its fields is not in the right form".into()
            }
            (_, BallotSeqZero) => "a ballot's sequence number (seq) starts at 1".into(),
            (_, BallotNotAtLogTime { .. }) => {
                "a secret ballot is dated at the log time: any other date could tell when it arrived".into()
            }
            (_, StaleRoot { proposal }) => format!(
                "the ballot was not made against any of proposal #{proposal}'s electorate trees"
            ),
            (_, BallotUnsorted { proposal }) => format!(
                "the ballots of #{proposal} must be published in (epoch, hash) order, each once"
            ),
            (_, BallotRunOpen { proposal }) => format!(
                "the ballots of #{proposal} are being published: only its next ballot or its close may follow"
            ),
            (_, BallotSeqNotAbove { proposal, seq, previous }) => format!(
                "a later ballot with this nullifier on #{proposal} needs a later epoch and a seq above {previous} (this one has {seq})"
            ),
            (_, BallotOverflow { proposal, nullifiers, leaves }) => format!(
                "#{proposal} has ballots from {nullifiers} distinct voters but only {leaves} members could cast one: a forged ballot (the trusted setup may be broken)"
            ),
            (_, SealNotByLogKey) => "a seal is the sequencer's (the log key's), never a member's".into(),
            (_, BadSeal) => "a seal's commitment must be 64 lowercase hex digits".into(),
            (_, MissingSeal { proposal }) => format!(
                "this entry changes the electorate tree of secret vote #{proposal}: a seal of #{proposal} must come right before it"
            ),
            (_, SealNotFollowed { proposal }) => format!(
                "the seal of #{proposal} must be followed by the entry that changes its tree"
            ),
            (_, SealMismatch { proposal }) => format!(
                "the close's salts do not open the seals of #{proposal} over the ballots published"
            ),
            (_, SecretElectorate { .. }) => {
                "the electorate tree of a secret vote cannot be built".into()
            }
            (_, BallotBoxNotByLogKey) => {
                "the ballot box is the sequencer's (the log key's), never a member's".into()
            }
            (_, BadBallotBox { .. }) => "the ballot box is not an age X25519 recipient".into(),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod election_words {
    use super::*;

    const LANGS: [&Words; 3] = [&KK, &RU, &EN];

    /// Each sentence in the three languages: present, and different.
    fn three(say: impl Fn(&Words) -> String) {
        let all: Vec<String> = LANGS.iter().map(|w| say(w)).collect();
        assert!(all.iter().all(|s| !s.is_empty()), "{all:?}");
        assert!(
            all[0] != all[2] && all[1] != all[2] && all[0] != all[1],
            "{all:?}"
        );
    }

    #[test]
    fn every_election_refusal_is_said_in_kk_ru_and_en() {
        use Rejection::*;
        let h = || "saule".to_string();
        for r in [
            NominationPeriodTooShort {
                min_hours: 72,
                nominations_close: 1,
                earliest: 2,
            },
            NotAnElection(3),
            NominationsClosed {
                proposal: 3,
                nominations_close: 1,
                time: 2,
            },
            NominationsOpen {
                proposal: 3,
                nominations_close: 2,
                time: 1,
            },
            NomineeNotEligible {
                handle: h(),
                proposal: 3,
            },
            AlreadyOnBoard { handle: h() },
            AlreadyNominated {
                handle: h(),
                proposal: 3,
            },
            NotNominated {
                handle: h(),
                proposal: 3,
            },
            AlreadyConsented {
                handle: h(),
                proposal: 3,
            },
            TooManyNominees { max: 100 },
            NoConsent { handle: h() },
            NoVacancy {
                asked: 2,
                vacant: 1,
            },
            NotOnBoard { handle: h() },
        ] {
            three(|w| w.election_refusal(&r).expect("an election refusal"));
        }
        assert_eq!(EN.election_refusal(&Rejection::Duplicate), None);
    }

    #[test]
    fn every_secret_ballot_refusal_is_said_in_kk_ru_and_en() {
        use Rejection::*;
        for r in [
            SecretBallot { proposal: 3 },
            BallotOnOpenVote { proposal: 3 },
            BallotNotByLogKey,
            SecretCloseByMember { proposal: 3 },
            BallotTooEarly {
                proposal: 3,
                closes_at: 2,
                time: 1,
            },
            BadBallot {
                reason: BallotError::BadProof,
            },
            BadBallot {
                reason: BallotError::NonCanonical,
            },
            BallotSeqZero,
            BallotNotAtLogTime {
                time: 1,
                log_time: 2,
            },
            StaleRoot { proposal: 3 },
            BallotUnsorted { proposal: 3 },
            BallotRunOpen { proposal: 3 },
            BallotSeqNotAbove {
                proposal: 3,
                seq: 1,
                previous: 2,
            },
            BallotOverflow {
                proposal: 3,
                nullifiers: 7,
                leaves: 6,
            },
            SecretElectorate {
                reason: BallotError::TooManyLeaves,
            },
            SealNotByLogKey,
            BadSeal,
            MissingSeal { proposal: 3 },
            SealNotFollowed { proposal: 3 },
            SealMismatch { proposal: 3 },
            BallotBoxNotByLogKey,
            BadBallotBox {
                reason: erkin_core::recipient::RecipientError::NotAge,
            },
        ] {
            three(|w| {
                w.secret_ballot_refusal(&r)
                    .expect("a secret-ballot refusal")
            });
            // The API's sentence for it (the server sends election_refusal's).
            three(|w| w.election_refusal(&r).expect("said by election_refusal"));
        }
        // A proof that fails and a malformed field are told apart.
        let said = |reason| EN.secret_ballot_refusal(&BadBallot { reason }).unwrap();
        assert_ne!(said(BallotError::BadProof), said(BallotError::BadEncoding));
        assert_eq!(EN.secret_ballot_refusal(&Rejection::Duplicate), None);
        // An amendment undone at its close by the entrenched secrecy.
        three(|w| {
            w.effect(&Effect::CouldNotTakeEffect {
                why: NoEffect::SecretEntrenched {
                    field: "elect.secret".into(),
                },
            })
        });
        // A secret rule says so, in every language; an open one says nothing more.
        let mut c = erkin_core::charter::Charter::default();
        let open: Vec<String> = LANGS.iter().map(|w| w.rule_in_full(&c.remove)).collect();
        c.remove.secret = true;
        three(|w| w.rule_in_full(&c.remove));
        for (w, o) in LANGS.iter().zip(&open) {
            let secret = w.rule_in_full(&c.remove);
            assert!(
                secret.starts_with(o.as_str()) && secret.len() > o.len(),
                "{secret}"
            );
        }
    }

    #[test]
    fn every_election_motion_and_effect_is_said_in_kk_ru_and_en() {
        let seats = || vec!["saule".to_string()];
        for m in [
            Motion::Elect {
                seats: 3,
                nominations_close: 1,
            },
            Motion::ByElection {
                seats: 1,
                nominations_close: 1,
            },
            Motion::Recall {
                handle: "saule".into(),
            },
        ] {
            three(|w| w.motion(&m));
        }
        for e in [
            Effect::BoardElected {
                seats: seats(),
                term_ends: 1,
                vacant: 1,
            },
            Effect::ByElected {
                seats: seats(),
                term_ends: 1,
                vacant: 0,
            },
            Effect::Recalled {
                handle: "saule".into(),
            },
            Effect::TooFewCandidates {
                candidates: 1,
                seats: 3,
            },
            Effect::CouldNotTakeEffect {
                why: NoEffect::NotOnBoard {
                    handle: "saule".into(),
                },
            },
            Effect::CouldNotTakeEffect {
                why: NoEffect::NoVacancy { vacant: 0 },
            },
        ] {
            three(|w| w.effect(&e));
        }
        three(|w| w.reopen_nominations().to_string());
        three(|w| w.recall_label().to_string());
        three(|w| w.nomination_period(72));
        // A vacant seat is said; none is not.
        assert!(EN
            .effect(&Effect::BoardElected {
                seats: seats(),
                term_ends: 1,
                vacant: 1
            })
            .contains("re-open nominations"));
        assert_eq!(
            EN.ranking(&["saule".into(), REOPEN_NOMINATIONS.into()]),
            "saule > re-open nominations"
        );
    }
}
