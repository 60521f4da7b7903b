//! The reader interface's words in Kazakh, Russian and English.

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
};

/// The words for a language code, English for anything unknown.
pub fn words(lang: &str) -> &'static Words {
    match lang {
        "kk" => &KK,
        "ru" => &RU,
        _ => &EN,
    }
}
