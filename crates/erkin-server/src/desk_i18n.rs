//! Every sentence the desk shows, in Kazakh, Russian and English, by key.
//! The browser fetches one language's table (`desk/api/messages/<lang>`);
//! the desk's script holds keys only. Refusals are keyed by the API's
//! stable codes: `refused_<code>` for an entry the server refused (the
//! fold's `Rejection::code` and the members' API's own), `<code>` for the
//! desk's own API.
//!
//! (The governance sentences — motions, tallies, effects — are
//! `erkin_views::i18n`'s, used for the proposals document.)

use std::collections::BTreeMap;

/// (key, [kk, ru, en]).
const MESSAGES: &[(&str, [&str; 3])] = &[
    ("desk_title", ["Мүшелер үстелі", "Рабочий стол членов", "Members' desk"]),
    ("language", ["Тіл", "Язык", "Language"]),
    ("nav_key", ["Кілт", "Ключ", "Key"]),
    ("nav_write", ["Жазу", "Писать", "Write"]),
    ("nav_govern", ["Басқару", "Управление", "Govern"]),
    ("key_heading", ["Сіздің кілтіңіз", "Ваш ключ", "Your key"]),
    ("key_here", [
        "Кілтіңіз осы браузерде сақтаулы. Ол бұл құрылғыдан ешқашан шықпайды.",
        "Ваш ключ хранится в этом браузере. Он никогда не покидает это устройство.",
        "This browser holds your key. It never leaves this device.",
    ]),
    ("your_handle", ["Лақап атыңыз", "Ваше имя", "Handle"]),
    ("your_verifier_key", [
        "Ашық кілтіңіз (мүшелікке қабылдану үшін мүшелерге беріңіз)",
        "Ваш открытый ключ (передайте его членам, чтобы вас приняли)",
        "Your public key (give it to members to be admitted)",
    ]),
    ("sign_in", ["Кіру", "Войти", "Sign in"]),
    ("forget_key", ["Осы браузердегі кілтті ұмыту", "Забыть ключ в этом браузере", "Forget the key in this browser"]),
    ("make_key_heading", ["Жаңа кілт жасау", "Создать новый ключ", "Make a new key"]),
    ("handle_label", [
        "Лақап атыңыз (журналдағы жария атыңыз)",
        "Ваше имя (публичное имя в журнале)",
        "Your handle (your public name in the log)",
    ]),
    ("passphrase_label", ["Сақтық көшірменің құпия сөз тіркесі", "Парольная фраза для резервной копии", "Passphrase for the backup file"]),
    ("passphrase_again_label", ["Құпия сөз тіркесін қайталаңыз", "Повторите парольную фразу", "The passphrase again"]),
    ("make_key_button", ["Кілт жасап, сақтық көшірмесін жүктеу", "Создать ключ и скачать резервную копию", "Make the key and download its backup"]),
    ("open_key_heading", ["Кілт файлын ашу", "Открыть файл ключа", "Open a key file"]),
    ("key_file_label", ["Кілт файлы (erkin key new жасаған)", "Файл ключа (созданный erkin key new)", "Key file (from erkin key new)"]),
    ("passphrase_open_label", ["Оның құпия сөз тіркесі", "Его парольная фраза", "Its passphrase"]),
    ("open_key_button", ["Кілтті ашу", "Открыть ключ", "Open the key"]),
    ("write_heading", ["Жазу", "Писать", "Write"]),
    ("drafts_heading", ["Жобалар", "Черновики", "Drafts"]),
    ("new_draft", ["Жаңа жоба", "Новый черновик", "New draft"]),
    ("f_title", ["Тақырып", "Заголовок", "Title"]),
    ("f_lang", ["Мақала тілі", "Язык статьи", "Language of the article"]),
    ("f_slug", ["Мекенжай (slug)", "Адрес (slug)", "Address (slug)"]),
    ("f_summary", ["Қысқаша мазмұны", "Краткое содержание", "Summary"]),
    ("f_tags", ["Тегтер, үтір арқылы", "Теги через запятую", "Tags, separated by commas"]),
    ("f_authors", ["Авторлар (мүшелердің аттары), үтір арқылы", "Авторы (имена членов) через запятую", "Authors (members' handles), separated by commas"]),
    ("f_translation", ["Қай мақаланың аудармасы (slug), бар болса", "Перевод статьи (slug), если есть", "Translation of (slug), if any"]),
    ("f_body", ["Мәтін (Markdown)", "Текст (Markdown)", "Text (Markdown)"]),
    ("preview", ["Алдын ала қарау", "Предпросмотр", "Preview"]),
    ("preview_heading", ["Алдын ала қарау", "Предпросмотр", "Preview"]),
    ("hand_off", ["Редакторларға беру", "Передать редакторам", "Hand to the editors"]),
    ("publish", ["Жариялау", "Опубликовать", "Publish"]),
    ("govern_heading", ["Ұсыныстар", "Предложения", "Proposals"]),
    ("propose_heading", ["Ұсыныс енгізу", "Внести предложение", "Make a proposal"]),
    ("p_kind", ["Түрі", "Вид", "Kind"]),
    ("kind_admit", ["Мүшелікке қабылдау", "Принять в члены", "Admit a member"]),
    ("kind_remove", ["Мүшеліктен шығару", "Исключить из членов", "Remove a member"]),
    ("kind_resolution", ["Қарар", "Резолюция", "Resolution"]),
    ("p_title", ["Тақырып", "Заголовок", "Title"]),
    ("p_arg", [
        "Оның ашық кілті, аты немесе қарар мәтіні",
        "Открытый ключ, имя или текст резолюции",
        "Their public key, handle, or the resolution's text",
    ]),
    ("p_days", ["Дауыс беру күндері", "Дней голосования", "Days of voting"]),
    ("propose_button", ["Ұсыну", "Предложить", "Propose"]),
    ("bad_handle", [
        "Лақап атта бос орын да, «+» белгісі де болмауы керек (1–255 таңба).",
        "Имя не должно содержать пробелов и знака «+» (1–255 символов).",
        "A handle has no spaces and no '+' (1 to 255 characters).",
    ]),
    ("weak_passphrase", ["Құпия сөз тіркесі тым қысқа: кемінде 8 таңба.", "Парольная фраза слишком короткая: не меньше 8 символов.", "The passphrase is too short: use at least 8 characters."]),
    ("passphrases_differ", ["Құпия сөз тіркестері сәйкес емес.", "Парольные фразы не совпадают.", "The two passphrases differ."]),
    ("making_key", ["Кілт жасалуда…", "Создаём ключ…", "Making the key…"]),
    ("key_made", [
        "{handle} кілті жасалды. Сақтық көшірмені қауіпсіз жерде сақтаңыз.",
        "Ключ {handle} создан. Храните резервную копию в надёжном месте.",
        "The key {handle} is made. Keep the backup file somewhere safe.",
    ]),
    ("opening_key", ["Кілт ашылуда…", "Открываем ключ…", "Opening the key…"]),
    ("key_opened", ["{handle} кілті ашылды.", "Ключ {handle} открыт.", "The key {handle} is open."]),
    ("not_a_key_file", ["Бұл erkin кілт файлы емес.", "Это не файл ключа erkin.", "This is not an erkin key file."]),
    ("wrong_passphrase", ["Құпия сөз тіркесі қате.", "Неверная парольная фраза.", "The passphrase is wrong."]),
    ("log_key_changed", [
        "Басылымның кілті өзгерді ({pinned} орнына {served}). Ештеңеге қол қоймаңыз.",
        "Ключ издания изменился ({served} вместо {pinned}). Ничего не подписывайте.",
        "The publication's key changed ({served} instead of {pinned}). Sign nothing.",
    ]),
    ("signed_in", ["{handle} ретінде кірдіңіз.", "Вы вошли как {handle}.", "Signed in as {handle}."]),
    ("signed_in_editor", ["{handle} ретінде кірдіңіз (редактор).", "Вы вошли как {handle} (редактор).", "Signed in as {handle} (editor)."]),
    ("saved_here", ["Осы құрылғыда сақталды.", "Сохранено на этом устройстве.", "Saved on this device."]),
    ("saved_server", ["Серверде сақталды (жеке, журналда емес).", "Сохранено на сервере (лично, не в журнале).", "Saved on the server (private, not in the log)."]),
    ("untitled", ["Тақырыпсыз", "Без заголовка", "Untitled"]),
    ("handed_off", ["редакторларға берілді", "передан редакторам", "handed to the editors"]),
    ("handed_off_done", ["Жоба редакторларға берілді.", "Черновик передан редакторам.", "The draft is with the editors."]),
    ("receipt_ok", [
        "Журналға {index} нөмірімен жазылды; түбіртек басылым кілтімен тексерілді.",
        "Записано в журнал под номером {index}; квитанция проверена ключом издания.",
        "Recorded in the log at index {index}; the receipt checks out against the publication's key.",
    ]),
    ("receipt_not_genuine", [
        "Сервердің түбіртегі шынайы емес: {why} Жазбаға сенбеңіз.",
        "Квитанция сервера не подлинная: {why} Не полагайтесь на эту запись.",
        "The server's receipt is not genuine: {why} Do not rely on the entry.",
    ]),
    ("receipt_bad_checkpoint", ["бақылау нүктесіне басылым кілті қол қоймаған.", "контрольная точка не подписана ключом издания.", "the checkpoint is not signed by the publication's key."]),
    ("receipt_wrong_leaf", ["түбіртек басқа жазбаға арналған.", "квитанция выдана на другую запись.", "the receipt is for another entry."]),
    ("receipt_bad_proof", ["енгізу дәлелі жазбаны қол қойылған журналға орналастырмайды.", "доказательство включения не помещает запись в подписанный журнал.", "the inclusion proof does not place the entry in the signed log."]),
    ("published", ["{slug} жарияланды.", "{slug} опубликовано.", "{slug} is published."]),
    ("proposed_by", ["ұсынған: {handle}", "предложил(а): {handle}", "proposed by {handle}"]),
    ("open_until", ["{when} дейін ашық", "открыто до {when}", "open until {when}"]),
    ("vote_on", ["№{id} бойынша дауыс беру", "Голосование по №{id}", "Vote on #{id}"]),
    ("ballot_yes", ["Иә", "За", "Yes"]),
    ("ballot_no", ["Жоқ", "Против", "No"]),
    ("ballot_abstain", ["Қалыс", "Воздержаться", "Abstain"]),
    ("http_error", ["Сервер жауап бермеді; қайталап көріңіз.", "Сервер не ответил; попробуйте ещё раз.", "The server did not answer; try again."]),
    // Oneself.
    ("rotate_heading", ["Кілтті ауыстыру", "Заменить ключ", "Replace your key"]),
    ("rotate_text", [
        "Жаңа кілт осында жасалады; ауыстыруға қазіргі кілтіңіз қол қояды. Жаңа сақтық көшірмені жүктеп алып сақтаңыз: ескісі жұмыс істемей қалады.",
        "Новый ключ создаётся здесь; замену подписывает ваш нынешний ключ. Скачайте и сохраните новую резервную копию: старая перестанет работать.",
        "A new key is made here; your current key signs the change. Download and keep the new backup: the old one stops working.",
    ]),
    ("rotate_button", ["Кілтімді ауыстыру", "Заменить мой ключ", "Replace my key"]),
    ("key_rotated", [
        "Кілт ауыстырылды (журналда №{index}). Енді тек жаңа сақтық көшірме жарамды.",
        "Ключ заменён (в журнале №{index}). Теперь действует только новая резервная копия.",
        "Your key is replaced (log index {index}). Only the new backup works now.",
    ]),
    ("leave_heading", ["Алқадан шығу немесе мүшеліктен кету", "Уйти из совета или из издания", "Step down or leave"]),
    ("step_down_sure", [
        "Алқадағы орнымнан бас тартамын (мүше болып қаламын)",
        "Я хочу оставить место в совете (и остаться членом)",
        "I want to give up my board seat (I stay a member)",
    ]),
    ("step_down", ["Алқадан шығу", "Уйти из совета", "Step down from the board"]),
    ("stepped_down", ["Сіз алқадан шықтыңыз (журналда №{index}).", "Вы ушли из совета (в журнале №{index}).", "You stepped down from the board (log index {index})."]),
    ("resign_sure", ["Басылымнан кеткім келеді", "Я хочу выйти из издания", "I want to leave the publication"]),
    ("resign", ["Мүшеліктен шығу", "Выйти из членов", "Resign"]),
    ("resigned", ["Сіз басылымнан шықтыңыз (журналда №{index}).", "Вы вышли из издания (в журнале №{index}).", "You have resigned (log index {index})."]),
    ("confirm_first", ["Алдымен құсбелгі қойып, растаңыз.", "Сначала подтвердите, отметив флажок.", "Tick the box to confirm first."]),
    // Writing: bylines, images, corrections.
    ("f_bylines", [
        "Басқа авторлар (мүше емес адамдар), үтір арқылы",
        "Другие подписи (не члены издания) через запятую",
        "Other bylines (people who are not members), separated by commas",
    ]),
    ("image_legend", ["Сурет қосу", "Добавить изображение", "Add an image"]),
    ("f_image", ["Сурет (PNG, JPEG, GIF немесе WebP)", "Изображение (PNG, JPEG, GIF или WebP)", "Image (PNG, JPEG, GIF or WebP)"]),
    ("f_image_alt", [
        "Суретте не бар (оны көре алмайтын оқырмандар үшін)",
        "Что на изображении (для читателей, которые его не видят)",
        "What the image shows (for readers who cannot see it)",
    ]),
    ("insert_image", ["Жүктеп, мәтінге қою", "Загрузить и вставить", "Upload and insert"]),
    ("not_an_image", ["Тек PNG, JPEG, GIF немесе WebP суреттері қабылданады.", "Принимаются только изображения PNG, JPEG, GIF или WebP.", "Only PNG, JPEG, GIF or WebP images are taken."]),
    ("image_added", ["Сурет жүктелді ({id}…) және мәтінге қойылды.", "Изображение загружено ({id}…) и вставлено в текст.", "The image is uploaded ({id}…) and in the text."]),
    ("correct_legend", ["Жарияланған мақаланы түзету", "Исправить опубликованную статью", "Correct a published article"]),
    ("c_slug", ["Мақаланың мекенжайы (slug)", "Адрес статьи (slug)", "The article's address (slug)"]),
    ("open_article", ["Жоба ретінде ашу", "Открыть как черновик", "Open it as a draft"]),
    ("c_note", ["Оқырмандарға түзету туралы жазба", "Заметка об исправлении для читателей", "Correction note for readers"]),
    ("c_major", [
        "Маңызды түзету (мақаланың басында көрсетіледі)",
        "Существенное исправление (показывается в начале статьи)",
        "A major correction (shown at the top of the article)",
    ]),
    ("correct_button", ["Түзетуді жариялау", "Опубликовать исправление", "Publish the correction"]),
    ("correction_needs_note", ["Түзетуге оқырмандарға арналған жазба керек.", "Исправлению нужна заметка для читателей.", "A correction needs a note for readers."]),
    ("corrected", ["{slug} түзетілді.", "{slug} исправлено.", "{slug} is corrected."]),
    ("no_such_article", ["{slug} деген мақала жоқ.", "Статьи {slug} нет.", "There is no article {slug}."]),
    ("article_opened", ["{slug} жаңа жоба ретінде ашылды: түзетіп, жазбасын қосыңыз.", "{slug} открыта как новый черновик: исправьте и добавьте заметку.", "{slug} is open as a new draft: correct it and add a note."]),
    // Governance: motions, elections, closing.
    ("kind_elect", ["Алқаны сайлау", "Выборы совета", "Elect the board"]),
    ("kind_by_election", ["Бос орындарға қосымша сайлау", "Довыборы на свободные места", "By-election for vacant seats"]),
    ("kind_recall", ["Редакторды кері шақыру", "Отозвать редактора", "Recall an editor"]),
    ("kind_amend", ["Жарғыны өзгерту", "Изменить устав", "Change the charter"]),
    ("kind_retract", ["Мақаланы кері қайтару", "Отозвать статью", "Retract an article"]),
    ("kind_redact", ["Мақаланы не файлды өшіру", "Удалить статью или файл", "Redact an article or file"]),
    ("p_arg_admit", ["Оның ашық кілті", "Его или её открытый ключ", "Their public key"]),
    ("p_arg_remove", ["Мүшенің аты", "Имя члена", "The member's handle"]),
    ("p_arg_recall", ["Редактордың аты", "Имя редактора", "The editor's handle"]),
    ("p_arg_resolution", ["Қарардың мәтіні", "Текст резолюции", "The resolution's text"]),
    ("p_arg_retract", ["Мақаланың мекенжайы (slug)", "Адрес статьи (slug)", "The article's address (slug)"]),
    ("p_arg_redact", ["Мақаланың мекенжайы немесе файлдың идентификаторы", "Адрес статьи или идентификатор файла", "The article's address or the file's ID"]),
    ("p_reason", ["Себебі", "Причина", "Reason"]),
    ("p_seats", ["Толтырылатын орындар", "Мест заполнить", "Seats to fill"]),
    ("p_charter", [
        "Жаңа жарғы толығымен (JSON; керек мәндерді өзгертіңіз)",
        "Весь новый устав (JSON; измените нужные значения)",
        "The whole new charter (JSON; change the values you want)",
    ]),
    ("charter_not_json", ["Жарғы JSON ретінде оқылмады.", "Устав не читается как JSON.", "The charter does not read as JSON."]),
    ("p_ndays", ["Кандидат ұсыну күндері", "Дней выдвижения", "Days of nominations"]),
    ("proposed_done", ["Ұсыныс енгізілді: №{index}.", "Предложение внесено: №{index}.", "Proposal #{index} is made."]),
    ("board_now", ["Редакция алқасы: {board}", "Редакционный совет: {board}", "Editorial board: {board}"]),
    ("nominations_until", ["Кандидат ұсыну {when} дейін", "Выдвижение до {when}", "Nominations until {when}"]),
    ("nominee_consented", ["{handle} (ұсынған: {by}; келісті)", "{handle} (выдвинул(а): {by}; согласие дано)", "{handle} (nominated by {by}; consented)"]),
    ("nominee_waiting", ["{handle} (ұсынған: {by}; келісімін күтуде)", "{handle} (выдвинул(а): {by}; ждёт согласия)", "{handle} (nominated by {by}; not yet consented)"]),
    ("no_nominees", ["Әзірге ешкім ұсынылмаған.", "Пока никто не выдвинут.", "Nobody is nominated yet."]),
    ("stand", ["Өзімді ұсыну", "Выдвинуть себя", "Stand (nominate yourself)"]),
    ("consent", ["Сайлауға түсуге келісемін", "Согласиться баллотироваться", "Consent to stand"]),
    ("nominate_label", ["Мүшені ұсыну (аты)", "Выдвинуть члена (имя)", "Nominate a member (handle)"]),
    ("nominate", ["Ұсыну", "Выдвинуть", "Nominate"]),
    ("nominated_done", ["Ұсыныс журналға жазылды (№{index}).", "Выдвижение записано в журнал (№{index}).", "The nomination is in the log (index {index})."]),
    ("consented_done", ["Келісіміңіз журналға жазылды (№{index}).", "Ваше согласие записано в журнал (№{index}).", "Your consent is in the log (index {index})."]),
    ("rank_heading", ["Кандидаттарды қалауыңыз бойынша реттеңіз", "Расставьте кандидатов по предпочтению", "Rank the candidates, most preferred first"]),
    ("rank_help", [
        "Сүйреп апарыңыз немесе «Жоғары»/«Төмен» батырмаларын басыңыз (тізім элементінде Alt+↑/↓). Белгіні алып тастасаңыз, кандидат бюллетеньге кірмейді.",
        "Перетащите или нажмите «Выше»/«Ниже» (на элементе списка Alt+↑/↓). Снимите флажок, чтобы не включать кандидата в бюллетень.",
        "Drag, or press Up/Down (Alt+↑/↓ on an item). Untick a candidate to leave them off your ballot.",
    ]),
    ("ranking_label", ["Сіздің рейтингіңіз", "Ваш порядок предпочтений", "Your ranking"]),
    ("rank_up", ["Жоғары", "Выше", "Up"]),
    ("rank_down", ["Төмен", "Ниже", "Down"]),
    ("rank_up_who", ["{who} жоғары көтеру", "Поднять {who} выше", "Move {who} up"]),
    ("rank_down_who", ["{who} төмен түсіру", "Опустить {who} ниже", "Move {who} down"]),
    ("rank_include", ["{who} бюллетеньде", "{who} в бюллетене", "{who} on my ballot"]),
    ("rank_moved", ["{who}: {of} ішінен {at}-орын", "{who}: место {at} из {of}", "{who}: place {at} of {of}"]),
    ("rank_left_out", ["{who} бюллетеньге кірмейді", "{who} не в бюллетене", "{who} is left off the ballot"]),
    ("cast_ranked", ["Бюллетеньді жіберу", "Отправить бюллетень", "Cast this ballot"]),
    ("cast_blank", ["Бос бюллетень (қалыс)", "Пустой бюллетень (воздержаться)", "Blank ballot (abstain)"]),
    ("ballot_cast", ["Бюллетеніңіз журналға жазылды (№{index}).", "Ваш бюллетень записан в журнал (№{index}).", "Your ballot is in the log (index {index})."]),
    ("your_ranking", ["Сіздің бюллетеніңіз: {ranking}", "Ваш бюллетень: {ranking}", "Your ballot: {ranking}"]),
    ("count_caption", ["№{id} сайлаудың санағы", "Подсчёт выборов №{id}", "The count of election #{id}"]),
    ("elected_list", ["Сайланғандар: {elected}", "Избраны: {elected}", "Elected: {elected}"]),
    ("close_count", ["Жабу және санау", "Закрыть и подсчитать", "Close and count"]),
    ("closed_done", ["Ұсыныс жабылды (журналда №{index}).", "Предложение закрыто (в журнале №{index}).", "The proposal is closed (log index {index})."]),
    ("ballot_key_heading", ["Жасырын дауыс беруге арналған бюллетень кілті", "Ключ бюллетеня для тайного голосования", "Ballot key for secret votes"]),
    ("ballot_key_text", [
        "Жарғы жасырын өткізетін дауыс берулер сіздің кілтіңізден бөлек сақталатын жеке бюллетень кілтімен өтеді. Үстел оны осында жасайды, ашық бөлігін (кілтіңіздің қолтаңбасымен) тіркейді және құпиясын құпия сөз тіркесімен шифрланған файл ретінде жүктейді: кілтіңізден басқа сөз тіркесін таңдаңыз және файлды кілт файлынан бөлек сақтаңыз. Бұл браузер оны сақтамайды. Файлы мен оның сөз тіркесі бар адам сіздің жасырын қалай дауыс бергеніңізді біліп, сіздің орныңызға дауыс бере алады. Жаңа бюллетень кілті бұдан кейін енгізілген ұсыныстар үшін ескісін ауыстырады: бұрын енгізілген ұсыныстар жабылғанша ескі файлды сақтаңыз.",
        "Голосования, которые устав проводит тайно, проходят с отдельным ключом бюллетеня, который хранится отдельно от вашего ключа. Рабочий стол создаёт его здесь, регистрирует его открытую часть (с подписью вашего ключа) и скачивает его секрет файлом, зашифрованным парольной фразой: выберите другую фразу, чем для ключа, и храните файл отдельно от файла ключа. Этот браузер его не хранит. Тот, у кого есть файл и его фраза, может узнать, как вы голосовали тайно, и голосовать вместо вас. Новый ключ бюллетеня заменяет прежний для предложений, внесённых после этого: храните прежний файл, пока не закроются предложения, внесённые раньше.",
        "Votes the charter decides by secret ballot are cast with a ballot key of their own, kept apart from your key. The desk makes it here, registers its public part (signed with your key) and downloads its secret as a file encrypted with a passphrase: choose another passphrase than your key's, and keep the file apart from your key file. This browser does not keep it. Whoever has the file and its passphrase can find how you voted in secret, and vote in your place. A new ballot key replaces the old one for proposals made from then on: keep the old file until the proposals made before are closed.",
    ]),
    ("ballot_key_none", ["Сізде тіркелген бюллетень кілті жоқ.", "У вас нет зарегистрированного ключа бюллетеня.", "You have no ballot key registered."]),
    ("ballot_key_registered", ["Тіркелген бюллетень кілтіңіз: {key}…", "Ваш зарегистрированный ключ бюллетеня: {key}…", "Your registered ballot key: {key}…"]),
    ("ballot_pass_label", [
        "Бюллетень кілті файлының құпия сөз тіркесі (кілтіңіздікі емес)",
        "Парольная фраза для файла ключа бюллетеня (не та, что у ключа)",
        "Passphrase for the ballot key file (not your key's)",
    ]),
    ("ballot_key_button", [
        "Бюллетень кілтін жасап, тіркеп, файлын жүктеу",
        "Создать и зарегистрировать ключ бюллетеня и скачать его файл",
        "Make and register a ballot key, and download its file",
    ]),
    ("making_ballot_key", ["Бюллетень кілті жасалуда…", "Создаётся ключ бюллетеня…", "Making the ballot key…"]),
    ("ballot_key_done", [
        "Бюллетень кілтіңіз тіркелді (№{index} жазба), оның {file} файлы жүктелді. Файлды кілт файлынан бөлек сақтаңыз.",
        "Ключ бюллетеня зарегистрирован (запись №{index}), его файл {file} скачан. Храните файл отдельно от файла ключа.",
        "Your ballot key is registered (entry {index}) and its file {file} is downloaded. Keep the file apart from your key file.",
    ]),
    ("secret_vote_note", [
        "Бұл жасырын дауыс беру. Үстел жасырын бюллетень жібере алмайды: өзіңіздікін өз компьютеріңізден командалық жолмен, бюллетень кілті файлымен, мүмкін болса сервер мекенжайыңызды білмеуі үшін Tor арқылы жіберіңіз. Бұл жол қалай болса да қауіпсіздеу: үстел оны жіберетін серверден артық сенімді бола алмайды. Тек соңғы бюллетеніңіз есептеледі; бюллетеньдер дауыс беру жабылғанда жарияланады, және олардың кімдікі екенін ешкім білмейді.",
        "Это тайное голосование. Рабочий стол не умеет подавать тайные бюллетени: подайте свой со своего компьютера из командной строки с файлом ключа бюллетеня, по возможности через Tor, чтобы сервер не узнал ваш адрес. Этот путь и так надёжнее: рабочий стол не может быть надёжнее сервера, который его присылает. Засчитывается только последний бюллетень; бюллетени публикуются при закрытии голосования, и никто не узнаёт, чьи они.",
        "This vote is by secret ballot. The desk cannot cast secret ballots: cast yours from your own computer with the command line and your ballot key file, through Tor if you can, so that the server does not learn your address. That is the safer path anyway: a desk can be no more trustworthy than the server that sends it. Only your last ballot counts; the ballots are published when the vote closes, and nobody learns whose they are.",
    ]),
    ("secret_vote_command", ["Пәрмен:", "Команда:", "The command:"]),
    ("secret_vote_choice", [
        "CHOICE орнына: yes (иә), no (жоқ) немесе abstain (қалыс).",
        "Вместо CHOICE: yes (за), no (против) или abstain (воздержаться).",
        "For CHOICE: yes, no or abstain.",
    ]),
    ("secret_vote_ranking", [
        "RANKING орнына: кандидаттар өз ретіңізбен, үтір арқылы, бос орынсыз — {candidates} (+reopen: кандидаттарды ұсынуды қайта ашу).",
        "Вместо RANKING: кандидаты в вашем порядке через запятую без пробелов — {candidates} (+reopen: заново открыть выдвижение).",
        "For RANKING: the candidates in your order, separated by commas without spaces — {candidates} (+reopen: re-open nominations).",
    ]),
    ("secret_vote_no_key", [
        "Бұл ұсыныс енгізілгенде сізде тіркелген бюллетень кілті болмады, сондықтан онда жасырын бюллетень бере алмайсыз.",
        "Когда это предложение было внесено, у вас не было зарегистрированного ключа бюллетеня, поэтому в нём вы не можете подать тайный бюллетень.",
        "You had no registered ballot key when this proposal was made, so you cannot cast a secret ballot in it.",
    ]),
    ("refused_ballot_key_taken", [
        "Сервер жазбаны қабылдамады: бұл бюллетень кілті бұрын тіркелген (жаңасын жасаңыз).",
        "Сервер отклонил запись: этот ключ бюллетеня уже зарегистрирован (создайте новый).",
        "The server refused the entry: this ballot key is registered already (make a new one).",
    ]),
    ("refused_said", ["Сервер жазбаны қабылдамады: {why}.", "Сервер отклонил запись: {why}.", "The server refused the entry: {why}."]),
    ("refused_other", ["Сервер жазбаны қабылдамады ({code}).", "Сервер отклонил запись ({code}).", "The server refused the entry ({code})."]),
    // The desk's own API.
    ("no_session", ["Сіз кірмегенсіз немесе сессия аяқталды.", "Вы не вошли, или сессия истекла.", "You are not signed in, or the session expired."]),
    ("bad_challenge", ["Кіру сұрауы бұл серверден емес немесе бұзылған.", "Запрос на вход не от этого сервера или повреждён.", "The sign-in challenge is not this server's, or it is damaged."]),
    ("challenge_expired", ["Кіру сұрауының мерзімі өтті; қайта кіріңіз.", "Срок запроса на вход истёк; войдите снова.", "The sign-in challenge expired; sign in again."]),
    ("challenge_used", ["Бұл кіру сұрауы бұрын пайдаланылған.", "Этот запрос на вход уже использован.", "This sign-in challenge was already used."]),
    ("bad_signature", ["Қолтаңба тексерілмеді.", "Подпись не прошла проверку.", "The signature does not verify."]),
    ("not_a_member", [
        "Бұл кілт мүшенікі емес. Мүшелікке қабылдану үшін оны мүшелерге беріңіз: {key}",
        "Этот ключ не принадлежит члену. Передайте его членам, чтобы вас приняли: {key}",
        "This key is not a member's. Give it to members to be admitted: {key}",
    ]),
    ("busy", ["Сервер бос емес; сәлден соң қайталаңыз.", "Сервер занят; повторите чуть позже.", "The server is busy; try again shortly."]),
    ("not_found", ["Мұндай жоба жоқ.", "Такого черновика нет.", "There is no such draft."]),
    ("forbidden", ["Бұл жобаны тек авторы немесе (берілгеннен кейін) редактор өзгерте алады.", "Этот черновик может менять только автор или (после передачи) редактор.", "Only the draft's writer, or an editor once it is handed off, may change it."]),
    ("malformed", ["Сұрау бұзылған.", "Запрос повреждён.", "The request is malformed."]),
    ("too_large", ["Тым үлкен.", "Слишком большой объём.", "It is too large."]),
    ("storage", ["Сервер деректерді сақтай алмады; қайталаңыз.", "Сервер не смог сохранить данные; повторите.", "The server could not store it; try again."]),
    ("cross_site", ["Басқа сайттан келген сұрау қабылданбайды.", "Запросы с других сайтов не принимаются.", "Requests from another site are refused."]),
    // Refusals of an entry: the fold's codes and the members' API's.
    ("refused_bad_entry", ["Сервер жазбаны қабылдамады: оның пішімі дұрыс емес.", "Сервер отклонил запись: неверный формат.", "The server refused the entry: its format is wrong."]),
    ("refused_bad_genesis", ["Сервер жазбаны қабылдамады: басылымның негізін қалау жазбасы дұрыс емес.", "Сервер отклонил запись: неверная запись основания.", "The server refused the entry: the founding entry is wrong."]),
    ("refused_not_a_member", ["Сервер жазбаны қабылдамады: сіз бұл басылымның мүшесі емессіз.", "Сервер отклонил запись: вы не член этого издания.", "The server refused the entry: you are not a member of this publication."]),
    ("refused_retired_key", ["Сервер жазбаны қабылдамады: бұл кілт ауыстырылған.", "Сервер отклонил запись: этот ключ заменён.", "The server refused the entry: this key was replaced."]),
    ("refused_time_went_backwards", ["Сервер жазбаны қабылдамады: журнал уақыты кері жүрмейді.", "Сервер отклонил запись: время журнала не идёт назад.", "The server refused the entry: the log's time never goes backwards."]),
    ("refused_clock_skew", ["Сервер жазбаны қабылдамады: құрылғыңыздың сағаты тым алшақ.", "Сервер отклонил запись: часы вашего устройства слишком расходятся.", "The server refused the entry: your device's clock is too far off."]),
    ("refused_duplicate", ["Сервер жазбаны қабылдамады: ол журналда бар.", "Сервер отклонил запись: она уже есть в журнале.", "The server refused the entry: it is in the log already."]),
    ("refused_invalid_action", ["Сервер жазбаны қабылдамады: өрістердің бірі ережеге сай емес.", "Сервер отклонил запись: одно из полей не по правилам.", "The server refused the entry: one of its fields breaks the rules."]),
    ("refused_unknown_proposal", ["Сервер жазбаны қабылдамады: мұндай ұсыныс жоқ.", "Сервер отклонил запись: такого предложения нет.", "The server refused the entry: there is no such proposal."]),
    ("refused_proposal_closed", ["Сервер жазбаны қабылдамады: ұсыныс жабылған.", "Сервер отклонил запись: предложение закрыто.", "The server refused the entry: the proposal is closed."]),
    ("refused_voting_ended", ["Сервер жазбаны қабылдамады: дауыс беру аяқталды.", "Сервер отклонил запись: голосование окончено.", "The server refused the entry: voting has ended."]),
    ("refused_too_early", ["Сервер жазбаны қабылдамады: әлі ерте.", "Сервер отклонил запись: ещё рано.", "The server refused the entry: it is too early."]),
    ("refused_not_eligible", ["Сервер жазбаны қабылдамады: ұсыныс енгізілгенде сіз мүше емес едіңіз.", "Сервер отклонил запись: вы не были членом, когда внесли предложение.", "The server refused the entry: you were not a member when the proposal was made."]),
    ("refused_period_too_short", ["Сервер жазбаны қабылдамады: дауыс беру мерзімі тым қысқа.", "Сервер отклонил запись: срок голосования слишком короткий.", "The server refused the entry: the voting period is too short."]),
    ("refused_nomination_period_too_short", ["Сервер жазбаны қабылдамады: кандидаттарды ұсыну мерзімі тым қысқа.", "Сервер отклонил запись: срок выдвижения кандидатов слишком короткий.", "The server refused the entry: the nomination period is too short."]),
    ("refused_wrong_ballot", ["Сервер жазбаны қабылдамады: бюллетень бұл ұсынысқа сай емес.", "Сервер отклонил запись: бюллетень не подходит к этому предложению.", "The server refused the entry: the ballot does not fit this proposal."]),
    ("refused_bad_charter", ["Сервер жазбаны қабылдамады: жарғы ережеге сай емес.", "Сервер отклонил запись: устав не по правилам.", "The server refused the entry: the charter breaks the rules."]),
    ("refused_not_permitted", ["Сервер жазбаны қабылдамады: мұны істеуге құқығыңыз жоқ (мысалы, тек редакторлар жариялайды).", "Сервер отклонил запись: у вас нет на это права (например, публикуют только редакторы).", "The server refused the entry: you may not do this (for example, only editors publish)."]),
    ("refused_malformed", ["Сервер жазбаны қабылдамады: сұрау бұзылған.", "Сервер отклонил запись: запрос повреждён.", "The server refused the entry: the request is malformed."]),
    ("refused_unauthorized", ["Сервер файлды қабылдамады: мүшенің қолтаңбасы жоқ.", "Сервер отклонил файл: нет подписи члена.", "The server refused the file: no member's signature."]),
    ("refused_too_large", ["Сервер қабылдамады: тым үлкен.", "Сервер отклонил: слишком большой объём.", "The server refused it: too large."]),
    ("refused_rate_limited", ["Тым жиі; сәлден соң қайталаңыз.", "Слишком часто; повторите чуть позже.", "Too many at once; try again shortly."]),
    ("refused_busy", ["Сервер бос емес; сәлден соң қайталаңыз.", "Сервер занят; повторите чуть позже.", "The server is busy; try again shortly."]),
    ("refused_redacted", ["Сервер қабылдамады: бұл мазмұн алынып тасталған.", "Сервер отклонил: это содержание удалено.", "The server refused it: this content was redacted."]),
    ("refused_pending_full", ["Сервер қазір жаңа файлдар қабылдамайды; кейінірек қайталаңыз.", "Сервер сейчас не принимает новые файлы; повторите позже.", "The server takes no more files for now; try again later."]),
    // Refusals of a secret ballot (docs/BALLOT.md §8): the fold's codes
    // that fit and the intake's own.
    ("refused_secret_ballot", ["Сервер бюллетеньді қабылдамады: бұл ұсыныс бойынша дауыс ашық беріледі (немесе керісінше).", "Сервер отклонил бюллетень: по этому предложению голосуют открыто (или наоборот).", "The server refused the ballot: this proposal is voted on openly (or the other way round)."]),
    ("refused_bad_ballot", ["Сервер бюллетеньді қабылдамады: ол бұзылған немесе оның дәлелі расталмады.", "Сервер отклонил бюллетень: он повреждён или его доказательство не сходится.", "The server refused the ballot: it is damaged, or its proof does not hold."]),
    ("refused_stale_root", ["Сервер бюллетеньді қабылдамады: сайлаушылар тізімі өзгерді; көшірмені жаңартып, қайта дауыс беріңіз.", "Сервер отклонил бюллетень: список избирателей изменился; обновите копию и проголосуйте снова.", "The server refused the ballot: the electorate changed; refresh your copy and vote again."]),
    ("refused_ballot_overflow", ["Сервер бюллетеньді қабылдамады: дауыс берушілер бюллетень кілттерінен көп болып кетер еді.", "Сервер отклонил бюллетень: голосующих стало бы больше, чем ключей бюллетеня.", "The server refused the ballot: there would be more voters than ballot keys."]),
    ("refused_stale_ballot", ["Сервер бюллетеньді қабылдамады: сізде кейінірек бюллетень бар; қайта жіберіңіз.", "Сервер отклонил бюллетень: у вас уже есть более поздний бюллетень; отправьте снова.", "The server refused the ballot: a later ballot of yours is held; send it again."]),
    ("refused_revote_too_soon", ["Сервер бюллетеньді қабылдамады: сіздің бюллетеніңіз жаңа ғана қабылданды; бұл бюллетеньді он секундтан кейін қайта жіберіңіз (тек соңғысы есептеледі).", "Сервер отклонил бюллетень: ваш бюллетень принят только что; отправьте этот снова через десять секунд (считается только последний).", "The server refused the ballot: a ballot of yours was taken moments ago; send this one again in ten seconds (only your last ballot counts)."]),
    ("refused_bad_body", ["Сервер қабылдамады: жіберілген мазмұн оқылмады (бюллетень жәшігінің кілті өзгерген болуы мүмкін).", "Сервер отклонил: отправленное не читается (ключ урны для бюллетеней мог смениться).", "The server refused it: what was sent cannot be read (the ballot box's key may have changed)."]),
    ("refused_no_ballot_box", ["Бұл сервер жасырын бюллетеньдерді қабылдамайды.", "Этот сервер не принимает тайные бюллетени.", "This server takes no secret ballots."]),
    ("refused_blob_mismatch", ["Сервер қабылдамады: файл қолтаңбадағыдан өзгеше.", "Сервер отклонил: файл не совпадает с подписанным.", "The server refused it: the file is not the one signed for."]),
];

/// One language's table, or None for a language the desk does not speak.
pub fn messages(lang: &str) -> Option<BTreeMap<String, String>> {
    let i = ["kk", "ru", "en"].iter().position(|l| *l == lang)?;
    let mut table: BTreeMap<String, String> = MESSAGES
        .iter()
        .map(|(k, v)| (k.to_string(), v[i].to_string()))
        .collect();
    // The count's words are the reader site's (erkin_views), not a copy.
    let w = erkin_views::i18n::words(lang);
    let sw = erkin_views::site_words::site_words(lang);
    for (k, v) in [
        ("reopen_nominations", w.reopen_nominations().to_string()),
        ("count_heading", sw.count.to_string()),
        ("quota", format!("{}: {{quota}}", sw.quota)),
        ("candidate", sw.candidate.to_string()),
        ("stage_n", format!("{} {{n}}", sw.stage)),
        ("elected", sw.elected.to_string()),
        ("non_transferable", sw.non_transferable.to_string()),
    ] {
        table.insert(k.to_string(), v);
    }
    Some(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key the desk's page names (`data-msg`) or its script asks
    /// for (`t("…")`, `say(…, "…")`) is in the table in all three languages,
    /// and every code the fold can refuse with has a sentence.
    #[test]
    fn the_table_covers_the_desk_and_every_refusal() {
        let en = messages("en").unwrap();
        let page = include_str!("../../../desk/src/index.html");
        let script = [
            include_str!("../../../desk/src/app.js"),
            include_str!("../../../desk/src/rank.js"),
        ]
        .concat();
        let mut wanted: Vec<String> = Vec::new();
        for part in page.split("data-msg=\"").skip(1) {
            wanted.push(part.split('"').next().unwrap().to_string());
        }
        for marker in [
            " t(\"",
            "{t(\"",
            "$(\"status\"), \"",
            "$(\"save-state\"), \"",
        ] {
            for part in script.split(marker).skip(1) {
                let key = part.split('"').next().unwrap();
                if key.chars().all(|c| c.is_ascii_lowercase() || c == '_') && !key.is_empty() {
                    wanted.push(key.to_string());
                }
            }
        }
        // The fold's codes (docs/FORMATS.md) and the members' API's own.
        const CODES: &[&str] = &[
            "bad_entry",
            "bad_genesis",
            "not_a_member",
            "retired_key",
            "time_went_backwards",
            "clock_skew",
            "duplicate",
            "invalid_action",
            "unknown_proposal",
            "proposal_closed",
            "voting_ended",
            "too_early",
            "not_eligible",
            "period_too_short",
            "nomination_period_too_short",
            "wrong_ballot",
            "bad_charter",
            "not_permitted",
            "malformed",
            "unauthorized",
            "too_large",
            "rate_limited",
            "busy",
            "redacted",
            "pending_full",
            "blob_mismatch",
            "ballot_key_taken",
            "secret_ballot",
            "bad_ballot",
            "stale_root",
            "ballot_overflow",
            "stale_ballot",
            "revote_too_soon",
            "bad_body",
            "no_ballot_box",
        ];
        for code in CODES {
            wanted.push(format!("refused_{code}"));
        }
        let missing: Vec<&String> = wanted.iter().filter(|k| !en.contains_key(*k)).collect();
        assert!(missing.is_empty(), "no message for {missing:?}");
        let (kk, ru) = (messages("kk").unwrap(), messages("ru").unwrap());
        for (k, v) in &en {
            assert!(
                !v.is_empty() && !kk[k].is_empty() && !ru[k].is_empty(),
                "{k}"
            );
            assert_ne!(kk[k], *v, "{k} is not translated into Kazakh");
        }
        assert!(messages("de").is_none());
    }

    /// The count's words are the reader site's own, not a copy.
    #[test]
    fn the_counts_words_are_the_views() {
        for lang in ["kk", "ru", "en"] {
            let m = messages(lang).unwrap();
            let sw = erkin_views::site_words::site_words(lang);
            assert_eq!(m["count_heading"], sw.count);
            assert_eq!(m["quota"], format!("{}: {{quota}}", sw.quota));
            assert_eq!(
                m["reopen_nominations"],
                erkin_views::i18n::words(lang).reopen_nominations()
            );
        }
    }
}
