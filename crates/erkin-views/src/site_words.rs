//! The reader site's own words in Kazakh, Russian and English — archive,
//! pagination, labels, dates, the governance pages, the mirrors page — kept
//! apart from `i18n.rs` (whose governance sentences the command line shares)
//! so the two can change independently. Sentences with values are methods.

use erkin_core::action::Ballot;

pub struct SiteWords {
    pub archive: &'static str,
    pub newer: &'static str,
    pub older: &'static str,
    pub pages: &'static str,
    pub corrected: &'static str,
    pub major_correction: &'static str,
    pub recorded: &'static str,
    pub editor_date: &'static str,
    pub language: &'static str,
    pub top_story: &'static str,
    pub sections: &'static str,
    pub all_in: &'static str,
    pub not_found: &'static str,
    pub not_found_text: &'static str,
    pub front_page: &'static str,
    pub proposal: &'static str,
    pub opened: &'static str,
    pub voting_until: &'static str,
    pub closed: &'static str,
    pub votes: &'static str,
    pub outcome: &'static str,
    pub rule_in_force: &'static str,
    pub not_voted: &'static str,
    /// A secret vote still open: what a reader can and cannot see.
    pub secret_ballots_at_close: &'static str,
    pub count: &'static str,
    pub quota: &'static str,
    pub stage: &'static str,
    pub candidate: &'static str,
    pub first_preferences: &'static str,
    pub non_transferable: &'static str,
    pub elected: &'static str,
    pub member: &'static str,
    pub member_since: &'static str,
    pub editor: &'static str,
    pub statements: &'static str,
    pub no_statements: &'static str,
    pub articles: &'static str,
    pub what_is_copy: &'static str,
    pub get_erkin: &'static str,
    pub steps: [&'static str; 3],
    pub bundle: &'static str,
    pub bundle_text: &'static str,
    pub known_copies: &'static str,
    pub this_copy: &'static str,
    /// What each kind of mirror is, shown beside its address.
    pub mirror_https: &'static str,
    pub mirror_onion: &'static str,
    pub mirror_bundle: &'static str,
    /// Before a mirror's certificate fingerprints.
    pub mirror_pins: &'static str,
    /// How the list is made and how to read through it.
    pub mirrors_signed: &'static str,
    pub read_with_erkin: &'static str,
    /// The tip readers' section: its title and what it is for.
    pub tip_readers: &'static str,
    pub tip_readers_text: &'static str,
    pub key_label: &'static str,
    pub revision_of: &'static str,
    pub by_editor: &'static str,
    pub difference: &'static str,
    pub removed: &'static str,
    pub added: &'static str,
    pub full_text: &'static str,
    pub major_note: &'static str,
    pub times_in: &'static str,
}

pub const KK: SiteWords = SiteWords {
    archive: "Мұрағат",
    newer: "← Жаңалары",
    older: "Ескілері →",
    pages: "Беттер",
    corrected: "Түзетілді",
    major_correction: "Елеулі түзету",
    recorded: "журналға жазылды",
    editor_date: "күнін редактор көрсеткен",
    language: "Тіл",
    top_story: "Басты жаңалық",
    sections: "Айдарлар",
    all_in: "Барлығы",
    not_found: "Бет табылмады",
    not_found_text: "Мұндай бет бұл көшірмеде жоқ.",
    front_page: "Басты бет",
    proposal: "Ұсыныс",
    opened: "ашылды",
    voting_until: "дауыс беру мерзімі",
    closed: "жабылды",
    votes: "Дауыстар",
    outcome: "Нәтиже",
    rule_in_force: "Күшіндегі ереже",
    not_voted: "дауыс бермеді",
    secret_ballots_at_close: "Бюллетеньдер жасырын: олар тек дауыс беру жабылғанда жарияланады, кім дауыс бергені ешқайда жазылмайды.",
    count: "Дауыс санау кезеңдері",
    quota: "Квота",
    stage: "Кезең",
    candidate: "Кандидат",
    first_preferences: "бірінші таңдаулар",
    non_transferable: "берілмейтін дауыстар",
    elected: "сайланды",
    member: "Мүше",
    member_since: "мүше болған уақыты",
    editor: "редакция алқасының мүшесі",
    statements: "Мәлімдемелер",
    no_statements: "Мәлімдеме жоқ.",
    articles: "Мақалалар",
    what_is_copy: "Бұл сайт — басылымның толық көшірмесі: беттер, қол қойылған журнал және әр мақаланың файлдары. Көшірмені кез келген адам сақтап, таратып, басылымның кілтімен тексере алады — сайт бұғатталса да.",
    get_erkin: "Тексеру үшін erkin бағдарламасы керек (бір файл, ашық бастапқы код).",
    steps: [
        "Көшірмені жүктеп алыңыз: сайттың бүкіл қалтасын немесе бума файлын (.tar.gz).",
        "Төмендегі кілтті көшіріп алыңыз (оны басқа арнадан да салыстырыңыз).",
        "Пәрменді іске қосыңыз: erkin verify КӨШІРМЕ --key КІЛТ. «genuine» деген жауап көшірменің түпнұсқа екенін білдіреді.",
    ],
    bundle: "Бума",
    bundle_text: "Бүкіл көшірме бір файлда: erkin bundle БУМА.tar.gz пәрменімен жасалады, кез келген tar бағдарламасымен ашылады, erkin mirror БУМА.tar.gz ҚАЛТА пәрменімен тексеріліп көшіріледі.",
    known_copies: "Белгілі көшірмелер",
    this_copy: "осы көшірме",
    mirror_https: "сайт (HTTPS)",
    mirror_onion: "Tor арқылы (onion)",
    mirror_bundle: "бума файлы",
    mirror_pins: "Сертификат саусақ ізі (SHA-256)",
    tip_readers: "Хабар оқушылары",
    tip_readers_text: "Редакцияның хабар жәшігі (/tips/) әр хабарды тек осы кілттерге шифрлайды. Мүшелер оларды дауыс беріп тағайындайды, тізім қол қойылған журналда тұр: жібермес бұрын хабар бетіндегі кілттерді осы тізіммен салыстырыңыз.",
    mirrors_signed: "Бұл тізімді редакторлар басылымның қол қойылған журналына жазады, сондықтан көшірме иесі оны жасыра алмайды. Көшірмелердің кез келгені бұғатталуы мүмкін — онда келесісін қолданыңыз; әрқайсысын кілтпен тексеруге болады.",
    read_with_erkin: "Бұғаттауды айналып оқу: erkin read КІЛТ пәрмені белгілі көшірмелерді тексеріп, жұмыс істейтін түпнұсқасын құрылғыңызға сақтайды да, браузерде ашады.",
    key_label: "Басылымның тексеру кілті (толық)",
    revision_of: "Нұсқа",
    by_editor: "редактор",
    difference: "Алдыңғы нұсқамен айырмашылық",
    removed: "алынды",
    added: "қосылды",
    full_text: "Толық мәтін",
    major_note: "Бұл түзету мәтіннің көп бөлігін ауыстырды",
    times_in: "Уақыт",
};

pub const RU: SiteWords = SiteWords {
    archive: "Архив",
    newer: "← Новее",
    older: "Старее →",
    pages: "Страницы",
    corrected: "Исправлено",
    major_correction: "Существенное исправление",
    recorded: "записано в журнал",
    editor_date: "дату указал редактор",
    language: "Язык",
    top_story: "Главное",
    sections: "Рубрики",
    all_in: "Все материалы",
    not_found: "Страница не найдена",
    not_found_text: "Такой страницы в этой копии нет.",
    front_page: "Главная",
    proposal: "Предложение",
    opened: "открыто",
    voting_until: "голосование до",
    closed: "закрыто",
    votes: "Голоса",
    outcome: "Итог",
    rule_in_force: "Действующее правило",
    not_voted: "не голосовал(а)",
    secret_ballots_at_close: "Бюллетени тайные: они публикуются только при закрытии голосования, кто голосовал, нигде не записывается.",
    count: "Подсчёт по этапам",
    quota: "Квота",
    stage: "Этап",
    candidate: "Кандидат",
    first_preferences: "первые предпочтения",
    non_transferable: "непередаваемые голоса",
    elected: "избран(а)",
    member: "Член кооператива",
    member_since: "член с",
    editor: "член редакционного совета",
    statements: "Заявления",
    no_statements: "Заявлений нет.",
    articles: "Статьи",
    what_is_copy: "Этот сайт — полная копия издания: страницы, подписанный журнал и файлы каждой статьи. Любой может сохранить копию, раздавать её и проверить ключом издания — даже если сайт заблокируют.",
    get_erkin: "Для проверки нужна программа erkin (один файл, открытый исходный код).",
    steps: [
        "Скачайте копию: всю папку сайта или файл-архив (.tar.gz).",
        "Скопируйте ключ ниже (и сверьте его по другому каналу).",
        "Выполните: erkin verify КОПИЯ --key КЛЮЧ. Ответ «genuine» значит, что копия подлинная.",
    ],
    bundle: "Архив копии",
    bundle_text: "Вся копия одним файлом: создаётся командой erkin bundle АРХИВ.tar.gz, открывается любой программой tar, проверяется и разворачивается командой erkin mirror АРХИВ.tar.gz ПАПКА.",
    known_copies: "Известные копии",
    this_copy: "эта копия",
    mirror_https: "сайт (HTTPS)",
    mirror_onion: "через Tor (onion)",
    mirror_bundle: "файл-архив",
    mirror_pins: "Отпечатки сертификата (SHA-256)",
    tip_readers: "Получатели сообщений источников",
    tip_readers_text: "Ящик для сообщений редакции (/tips/) шифрует каждое сообщение только этими ключами. Их назначают члены голосованием, список записан в подписанном журнале: перед отправкой сверьте ключи на странице ящика с этим списком.",
    mirrors_signed: "Этот список редакторы записывают в подписанный журнал издания, поэтому владелец копии не может его подделать. Любую копию могут заблокировать — тогда берите следующую; каждую можно проверить ключом.",
    read_with_erkin: "Чтение в обход блокировок: команда erkin read КЛЮЧ проверяет известные копии, сохраняет рабочую подлинную копию на вашем устройстве и открывает её в браузере.",
    key_label: "Ключ проверки издания (полностью)",
    revision_of: "Версия",
    by_editor: "редактор",
    difference: "Отличия от предыдущей версии",
    removed: "удалено",
    added: "добавлено",
    full_text: "Полный текст",
    major_note: "Это исправление заменило большую часть текста",
    times_in: "Время",
};

pub const EN: SiteWords = SiteWords {
    archive: "Archive",
    newer: "← Newer",
    older: "Older →",
    pages: "Pages",
    corrected: "Corrected",
    major_correction: "Major correction",
    recorded: "recorded in the log",
    editor_date: "date given by the editor",
    language: "Language",
    top_story: "Top story",
    sections: "Sections",
    all_in: "All articles",
    not_found: "Page not found",
    not_found_text: "This copy has no such page.",
    front_page: "Front page",
    proposal: "Proposal",
    opened: "opened",
    voting_until: "voting until",
    closed: "closed",
    votes: "Votes",
    outcome: "Outcome",
    rule_in_force: "Rule in force",
    not_voted: "did not vote",
    secret_ballots_at_close: "Ballots are secret: they are published only when the vote closes, and who voted is recorded nowhere.",
    count: "The count, stage by stage",
    quota: "Quota",
    stage: "Stage",
    candidate: "Candidate",
    first_preferences: "first preferences",
    non_transferable: "non-transferable",
    elected: "elected",
    member: "Member",
    member_since: "member since",
    editor: "on the editorial board",
    statements: "Statements",
    no_statements: "No statements.",
    articles: "Articles",
    what_is_copy: "This site is a complete copy of the publication: its pages, its signed log and every article's files. Anyone may keep a copy, pass it on and check it against the publication's key — even if this site is blocked.",
    get_erkin: "Checking needs the erkin program (one file, open source).",
    steps: [
        "Download a copy: the site's whole folder, or a bundle file (.tar.gz).",
        "Copy the key below (and compare it through another channel).",
        "Run: erkin verify COPY --key KEY. The answer \"genuine\" means the copy is the publication's own.",
    ],
    bundle: "Bundle",
    bundle_text: "The whole copy in one file: made with erkin bundle BUNDLE.tar.gz, opened by any tar program, checked and unpacked with erkin mirror BUNDLE.tar.gz DIR.",
    known_copies: "Known copies",
    this_copy: "this copy",
    mirror_https: "website (HTTPS)",
    mirror_onion: "through Tor (onion)",
    mirror_bundle: "bundle file",
    mirror_pins: "Certificate fingerprints (SHA-256)",
    tip_readers: "Tip readers",
    tip_readers_text: "The newsroom's source inbox (/tips/) encrypts every tip to these keys only. Members appoint the tip readers by vote and the list is in the signed log: before you send, compare the keys on the inbox's page with this list.",
    mirrors_signed: "Editors record this list in the publication's signed log, so whoever hosts a copy cannot forge it. Any copy may be blocked — then take the next; each can be checked with the key.",
    read_with_erkin: "Reading around blocking: erkin read KEY checks the known copies, keeps a working genuine one on your device and opens it in your browser.",
    key_label: "The publication's verifier key (in full)",
    revision_of: "Revision",
    by_editor: "editor",
    difference: "Difference from the previous revision",
    removed: "removed",
    added: "added",
    full_text: "Full text",
    major_note: "This correction replaced most of the text",
    times_in: "Times",
};

pub fn site_words(lang: &str) -> &'static SiteWords {
    match lang {
        "kk" => &KK,
        "ru" => &RU,
        _ => &EN,
    }
}

impl SiteWords {
    fn lang(&self) -> &'static str {
        if std::ptr::eq(self, &KK) {
            "kk"
        } else if std::ptr::eq(self, &RU) {
            "ru"
        } else {
            "en"
        }
    }

    /// "Page 2" (no total: a numbered page never changes when the list
    /// grows).
    pub fn page(&self, n: usize) -> String {
        match self.lang() {
            "kk" => format!("{n}-бет"),
            "ru" => format!("Страница {n}"),
            _ => format!("Page {n}"),
        }
    }

    /// "12 articles".
    pub fn articles_count(&self, n: usize) -> String {
        match self.lang() {
            "kk" => format!("{n} мақала"),
            "ru" => format!("статей: {n}"),
            _ if n == 1 => "1 article".into(),
            _ => format!("{n} articles"),
        }
    }

    /// A ballot in words.
    pub fn ballot(&self, b: &Ballot) -> String {
        let (yes, no, abstain) = match self.lang() {
            "kk" => ("иә", "жоқ", "қалыс"),
            "ru" => ("за", "против", "воздержался(ась)"),
            _ => ("yes", "no", "abstain"),
        };
        match b {
            Ballot::Yes => yes.into(),
            Ballot::No => no.into(),
            Ballot::Abstain => abstain.into(),
            Ballot::Ranked(r) if r.is_empty() => abstain.into(),
            Ballot::Ranked(r) => r.join(" › "),
        }
    }

    /// An election's ballots ("5 ballots, 1 blank").
    /// A closed secret vote's turnout: how many cast a ballot, never who.
    pub fn secret_turnout(&self, turnout: u64, electorate: u64) -> String {
        match self.lang() {
            "kk" => format!("{electorate} мүшенің {turnout}-і жасырын бюллетень берді; кімнің бергені жазылмайды."),
            "ru" => format!("Тайные бюллетени подали {turnout} из {electorate} членов; кто именно, не записывается."),
            _ => format!("{turnout} of {electorate} members cast a secret ballot; who did is recorded nowhere."),
        }
    }

    pub fn ballots(&self, ranked: u64, blank: u64) -> String {
        match self.lang() {
            "kk" => format!("бюллетеньдер: {ranked}, бос: {blank}"),
            "ru" => format!("бюллетеней: {ranked}, пустых: {blank}"),
            _ => format!("{ranked} ballots, {blank} blank"),
        }
    }

    /// A count stage's heading: first preferences, a surplus, an exclusion.
    pub fn surplus_of(&self, who: &str) -> String {
        match self.lang() {
            "kk" => format!("{who} артық дауыстары берілді"),
            "ru" => format!("передан избыток {who}"),
            _ => format!("surplus of {who} transferred"),
        }
    }

    pub fn exclusion_of(&self, who: &str) -> String {
        match self.lang() {
            "kk" => format!("{who} шығарылды"),
            "ru" => format!("исключён(а) {who}"),
            _ => format!("{who} excluded"),
        }
    }

    /// "words changed: 64 %".
    pub fn changed_share(&self, pct: u32) -> String {
        match self.lang() {
            "kk" => format!("сөздердің {pct} %-ы өзгерді"),
            "ru" => format!("изменено {pct} % слов"),
            _ => format!("{pct} % of the words changed"),
        }
    }

    /// "Times are Almaty time (UTC+5)".
    pub fn zone_note(&self, zone: &str, offset: &str) -> String {
        match self.lang() {
            "kk" => format!("Уақыт {zone} белдеуі бойынша ({offset})"),
            "ru" => format!("Время — {zone} ({offset})"),
            _ => format!("Times are {zone} time ({offset})"),
        }
    }
}
