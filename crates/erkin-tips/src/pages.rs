//! The source's pages in kk, ru and en: plain HTML, no JavaScript, no
//! images, no styles from anywhere, every form posting to this server only.
//! The guidance follows SecureDrop's source interface: Tor Browser, not a
//! work device, what the newsroom can and cannot see, the codename on paper.

use maud::{html, Markup, DOCTYPE};

/// The languages the pages are written in; the first is `/tips/`.
pub const LANGS: [&str; 3] = ["kk", "ru", "en"];

/// The words of one language.
pub struct Words {
    pub lang: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub safety_title: &'static str,
    pub safety: [&'static str; 6],
    pub readers_title: &'static str,
    pub readers_none: &'static str,
    pub form_title: &'static str,
    pub message: &'static str,
    pub files: &'static str,
    pub send: &'static str,
    pub limit: &'static str,
    pub return_title: &'static str,
    pub codename: &'static str,
    pub open: &'static str,
    pub codename_title: &'static str,
    pub codename_keep: [&'static str; 3],
    pub received_title: &'static str,
    pub received: &'static str,
    pub replies_title: &'static str,
    pub no_replies: &'static str,
    pub more_title: &'static str,
    pub not_found_title: &'static str,
    pub not_found: &'static str,
    pub error_title: &'static str,
    pub back: &'static str,
    pub closed: &'static str,
    pub busy: &'static str,
    pub full: &'static str,
    pub too_large: &'static str,
    pub truncated: &'static str,
    pub wrong_type: &'static str,
    pub too_many_parts: &'static str,
    pub bad_name: &'static str,
    pub empty: &'static str,
    pub malformed: &'static str,
    pub failed: &'static str,
}

pub const KK: Words = Words {
    lang: "kk",
    title: "Редакцияға қауіпсіз хабар жіберу",
    intro: "Мұнда құжат не хабар жібере аласыз. Біз сіздің кім екеніңізді білмейміз және білгіміз келмейді.",
    safety_title: "Жібермес бұрын",
    safety: [
        "Tor Browser қолданыңыз (torproject.org), мүмкін болса, сізбен байланысы жоқ желіден: жұмыстан емес.",
        "Жұмыс компьютерін не телефонын, жұмыс берушіңіз басқаратын құрылғыны қолданбаңыз.",
        "Құжаттардан сізді көрсететін белгілерді алып тастаңыз: файл қасиеттеріндегі аттар, фотосуреттің орны, принтер нүктелері. Редакция да метадеректерді тазалайды, бірақ бәрін көре алмайды.",
        "Сервер IP мекенжайыңызды, браузеріңізді, нақты уақытты сақтамайды: тек шифрланған жіберілімді, оның күнін және дөңгелектенген өлшемін.",
        "Сізге кодтық сөз беріледі. Оны қағазға жазып, қауіпсіз жерде сақтаңыз: жауаптарымызды тек сол арқылы оқисыз. Біз оны қалпына келтіре алмаймыз.",
        "Біз қорғай алмайтын нәрселер: вирус жұққан не бақылаудағы құрылғыңыз, сізді көріп тұрған адам, сізді сатқан хабар оқушы.",
    ],
    readers_title: "Хабарыңызды кім оқи алады",
    readers_none: "Қазір ешкім: редакция хабар оқушыларын тағайындаған жоқ, сондықтан жіберу жабық.",
    form_title: "Жіберу",
    message: "Хабар",
    files: "Файлдар",
    send: "Шифрлап жіберу",
    limit: "Барлығы ең көбі",
    return_title: "Кодтық сөзіңіз бар ма?",
    codename: "Кодтық сөз",
    open: "Жауаптарды ашу",
    codename_title: "Жіберілді. Міне, сіздің кодтық сөзіңіз:",
    codename_keep: [
        "Оны қазір қағазға жазыңыз. Компьютерде не телефонда сақтамаңыз.",
        "Жауаптарымызды оқу және тағы жіберу үшін осы бетке оралып, оны енгізіңіз.",
        "Біз оны білмейміз және қалпына келтіре алмаймыз.",
    ],
    received_title: "Жіберілді",
    received: "Рахмет. Хабарыңыз шифрланып, сақталды.",
    replies_title: "Редакцияның жауаптары",
    no_replies: "Әзірге жауап жоқ.",
    more_title: "Тағы жіберу",
    not_found_title: "Табылмады",
    not_found: "Бұл кодтық сөзбен әңгіме табылмады. Сөздерді тексеріп, қайта көріңіз.",
    error_title: "Жіберілмеді",
    back: "Басты бетке",
    closed: "Қазір хабар қабылданбайды: хабар оқушысының кілті жоқ.",
    busy: "Сервер бос емес. Бірнеше минуттан соң қайталаңыз.",
    full: "Хабар жәшігі толы: редакция хабарларды алғанша жаңасы қабылданбайды. Кейін қайталаңыз.",
    too_large: "Жіберілім тым үлкен.",
    truncated: "Жіберілім толық келмеді (байланыс үзілді). Қайталаңыз.",
    wrong_type: "Сұраныс формадан келмеді.",
    too_many_parts: "Формада тым көп бөлік бар.",
    bad_name: "Файл атауы жарамсыз (тым ұзын не UTF-8 емес). Файлдың атын өзгертіп, қайталаңыз.",
    empty: "Жіберетін ештеңе жоқ: хабар жазыңыз не файл таңдаңыз.",
    malformed: "Форма бүлінген.",
    failed: "Сервер жіберілімді сақтай алмады. Кейін қайталаңыз.",
};

pub const RU: Words = Words {
    lang: "ru",
    title: "Безопасно отправить сообщение в редакцию",
    intro: "Здесь можно передать документ или сообщение. Мы не знаем, кто вы, и не хотим знать.",
    safety_title: "Прежде чем отправить",
    safety: [
        "Используйте Tor Browser (torproject.org), по возможности из сети, не связанной с вами: не с работы.",
        "Не используйте рабочий компьютер или телефон, или устройство, которым управляет работодатель.",
        "Уберите из документов то, что указывает на вас: имена в свойствах файла, место съёмки на фото, точки принтера. Редакция тоже очищает метаданные, но видит не всё.",
        "Сервер не хранит ваш IP-адрес, браузер и точное время: только зашифрованное сообщение, его день и округлённый размер.",
        "Вы получите кодовую фразу. Запишите её на бумаге и храните в надёжном месте: только по ней вы прочтёте наши ответы. Восстановить её мы не можем.",
        "От чего мы не защищаем: заражённое или контролируемое устройство, человек за вашим плечом, получатель сообщений, который вас выдаст.",
    ],
    readers_title: "Кто сможет прочитать ваше сообщение",
    readers_none: "Сейчас никто: редакция не назначила получателей сообщений, поэтому приём закрыт.",
    form_title: "Отправить",
    message: "Сообщение",
    files: "Файлы",
    send: "Зашифровать и отправить",
    limit: "Всего не больше",
    return_title: "У вас есть кодовая фраза?",
    codename: "Кодовая фраза",
    open: "Открыть ответы",
    codename_title: "Отправлено. Ваша кодовая фраза:",
    codename_keep: [
        "Запишите её сейчас на бумаге. Не храните её на компьютере или телефоне.",
        "Чтобы прочитать наши ответы и отправить ещё, вернитесь на эту страницу и введите её.",
        "Мы её не знаем и не можем восстановить.",
    ],
    received_title: "Отправлено",
    received: "Спасибо. Ваше сообщение зашифровано и сохранено.",
    replies_title: "Ответы редакции",
    no_replies: "Ответов пока нет.",
    more_title: "Отправить ещё",
    not_found_title: "Не найдено",
    not_found: "Разговор с этой кодовой фразой не найден. Проверьте слова и попробуйте снова.",
    error_title: "Не отправлено",
    back: "На главную",
    closed: "Сейчас сообщения не принимаются: нет ключа получателя.",
    busy: "Сервер занят. Повторите через несколько минут.",
    full: "Ящик переполнен: пока редакция не заберёт сообщения, новые не принимаются. Повторите позже.",
    too_large: "Сообщение слишком большое.",
    truncated: "Сообщение пришло не полностью (связь прервалась). Повторите.",
    wrong_type: "Запрос пришёл не из формы.",
    too_many_parts: "В форме слишком много частей.",
    bad_name: "Недопустимое имя файла (слишком длинное или не UTF-8). Переименуйте файл и повторите.",
    empty: "Нечего отправлять: напишите сообщение или выберите файл.",
    malformed: "Форма повреждена.",
    failed: "Сервер не смог сохранить сообщение. Повторите позже.",
};

pub const EN: Words = Words {
    lang: "en",
    title: "Send the newsroom a tip securely",
    intro: "Here you can hand us a document or a message. We do not know who you are, and we do not want to.",
    safety_title: "Before you send",
    safety: [
        "Use Tor Browser (torproject.org), if you can from a network not linked to you: not from work.",
        "Do not use a work computer or phone, or any device your employer manages.",
        "Remove what points to you from documents: names in file properties, the location in photos, printer dots. The newsroom cleans metadata too, but cannot see everything.",
        "The server keeps no IP address, browser or exact time: only the encrypted submission, its day and a rounded size.",
        "You will get a codename. Write it on paper and keep it safe: it is the only way to read our replies. We cannot recover it.",
        "What we cannot protect you from: an infected or watched device, someone looking over your shoulder, a tip reader who betrays you.",
    ],
    readers_title: "Who can read your tip",
    readers_none: "Nobody right now: the newsroom has no tip reader with a key, so the inbox is closed.",
    form_title: "Send",
    message: "Message",
    files: "Files",
    send: "Encrypt and send",
    limit: "In total at most",
    return_title: "Have a codename?",
    codename: "Codename",
    open: "Open replies",
    codename_title: "Sent. This is your codename:",
    codename_keep: [
        "Write it on paper now. Do not keep it on a computer or phone.",
        "To read our replies and send more, come back to this page and enter it.",
        "We do not know it and cannot recover it.",
    ],
    received_title: "Sent",
    received: "Thank you. Your tip was encrypted and kept.",
    replies_title: "Replies from the newsroom",
    no_replies: "No replies yet.",
    more_title: "Send more",
    not_found_title: "Not found",
    not_found: "No conversation has that codename. Check the words and try again.",
    error_title: "Not sent",
    back: "Back to the start",
    closed: "The inbox is closed: no tip reader has a key.",
    busy: "The server is busy. Try again in a few minutes.",
    full: "The inbox is full: it takes no more until the newsroom collects its tips. Try again later.",
    too_large: "The submission is too large.",
    truncated: "The submission arrived incomplete (the connection broke). Try again.",
    wrong_type: "The request did not come from the form.",
    too_many_parts: "The form has too many parts.",
    bad_name: "A file name is not allowed (too long or not UTF-8). Rename the file and try again.",
    empty: "Nothing to send: write a message or choose a file.",
    malformed: "The form is damaged.",
    failed: "The server could not keep the submission. Try again later.",
};

/// The words for `lang`, if it is one of [`LANGS`].
pub fn words(lang: &str) -> Option<&'static Words> {
    match lang {
        "kk" => Some(&KK),
        "ru" => Some(&RU),
        "en" => Some(&EN),
        _ => None,
    }
}

fn page(w: &Words, title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang=(w.lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                meta name="robots" content="noindex";
                title { (title) }
            }
            body {
                nav {
                    @for l in LANGS {
                        a href={ "/tips/" (l) "/" } hreflang=(l) lang=(l) { (l) } " "
                    }
                }
                main { (body) }
            }
        }
    }
    .into_string()
}

fn send_form(w: &Words, max_mib: u64, codename: Option<&str>) -> Markup {
    html! {
        form method="post" action={ "/tips/" (w.lang) "/submit" } enctype="multipart/form-data" {
            @if let Some(c) = codename {
                input type="hidden" name="codename" value=(c);
            }
            p {
                label for="message" { (w.message) } br;
                textarea id="message" name="message" rows="12" cols="60" {}
            }
            p {
                label for="file" { (w.files) } br;
                input id="file" type="file" name="file" multiple;
                br;
                input type="file" name="file" aria-label=(w.files);
            }
            p { (w.limit) " " (max_mib) " MiB." }
            p { button type="submit" { (w.send) } }
        }
    }
}

/// The start page: guidance, who reads, the form, the way back.
pub fn index(w: &Words, readers: &[(String, String)], max_total: u64) -> String {
    let max_mib = max_total / (1024 * 1024);
    page(
        w,
        w.title,
        html! {
            h1 { (w.title) }
            p { (w.intro) }
            h2 { (w.safety_title) }
            ol { @for s in w.safety { li { (s) } } }
            h2 { (w.readers_title) }
            @if readers.is_empty() {
                p { (w.readers_none) }
            } @else {
                ul {
                    @for (handle, recipient) in readers {
                        li { bdi { (handle) } ": " code { (recipient) } }
                    }
                }
            }
            @if !readers.is_empty() {
                h2 { (w.form_title) }
                (send_form(w, max_mib, None))
            }
            h2 { (w.return_title) }
            form method="post" action={ "/tips/" (w.lang) "/return" } {
                p {
                    label for="codename" { (w.codename) } br;
                    input id="codename" type="password" name="codename" size="60" autocomplete="off";
                }
                p { button type="submit" { (w.open) } }
            }
        },
    )
}

/// After a first submission: the codename, once.
pub fn codename(w: &Words, codename: &str) -> String {
    page(
        w,
        w.codename_title,
        html! {
            h1 { (w.codename_title) }
            p { strong { code id="codename" { (codename) } } }
            ul { @for s in w.codename_keep { li { (s) } } }
            p { a href={ "/tips/" (w.lang) "/" } { (w.back) } }
        },
    )
}

/// After sending more to a conversation.
pub fn received(w: &Words) -> String {
    page(
        w,
        w.received_title,
        html! {
            h1 { (w.received_title) }
            p { (w.received) }
            p { a href={ "/tips/" (w.lang) "/" } { (w.back) } }
        },
    )
}

/// A conversation: the replies (day, text) and a form to send more.
pub fn conversation(
    w: &Words,
    replies: &[(String, String)],
    codename: &str,
    max_total: u64,
) -> String {
    page(
        w,
        w.replies_title,
        html! {
            h1 { (w.replies_title) }
            @if replies.is_empty() {
                p { (w.no_replies) }
            }
            @for (day, text) in replies {
                article {
                    p { time datetime=(day) { (day) } }
                    pre dir="auto" { (text) }
                }
            }
            h2 { (w.more_title) }
            (send_form(w, max_total / (1024 * 1024), Some(codename)))
            p { a href={ "/tips/" (w.lang) "/" } { (w.back) } }
        },
    )
}

/// No conversation for the codename (wrong, unknown or malformed alike).
pub fn not_found(w: &Words) -> String {
    page(
        w,
        w.not_found_title,
        html! {
            h1 { (w.not_found_title) }
            p { (w.not_found) }
            p { a href={ "/tips/" (w.lang) "/" } { (w.back) } }
        },
    )
}

/// A refusal, in words.
pub fn error(w: &Words, sentence: &str) -> String {
    page(
        w,
        w.error_title,
        html! {
            h1 { (w.error_title) }
            p id="error" { (sentence) }
            p { a href={ "/tips/" (w.lang) "/" } { (w.back) } }
        },
    )
}
