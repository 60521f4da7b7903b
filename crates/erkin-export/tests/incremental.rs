//! An export from the copy's log size (the pages its new entries can alter,
//! recorded in the manifest's journal) leaves exactly the folder a fresh
//! export of the same state into an empty folder leaves — every path,
//! every byte, no extra file — after every step of seeded random sequences
//! of publications (tags, translations, images, past dates), corrections,
//! retractions, redactions of articles and images, statements and
//! resolutions; also after a journal group torn by a crash.

use std::collections::BTreeMap;
use std::path::Path;

use erkin_core::action::{
    Action, Ballot, Charter, Close, Correct, Motion, Propose, Publish, Statement, Vote,
};
use erkin_core::entry::EntryBody;
use erkin_core::keys::SecretKey;
use erkin_export::{export, JOURNAL_FILE, MANIFEST_FILE};
use erkin_store::Publication;
use erkin_testkit::Rng;

const T0: u64 = 1_790_000_000;

struct Press {
    p: Publication,
    log: SecretKey,
    member: SecretKey,
    now: u64,
}

impl Press {
    fn act(&mut self, actions: Vec<Action>) -> Vec<u64> {
        self.now += 120;
        let entries: Vec<Vec<u8>> = actions
            .into_iter()
            .map(|action| {
                self.p
                    .sign(
                        &EntryBody {
                            time: self.now,
                            action,
                        },
                        &self.member,
                    )
                    .unwrap()
            })
            .collect();
        let out = self.p.submit(&entries, self.now, &self.log).unwrap();
        out.results
            .into_iter()
            .map(|r| r.expect("accepted"))
            .collect()
    }

    fn decide(&mut self, motion: Motion) {
        let id = self.act(vec![Action::Propose(Propose {
            title: "Decision".into(),
            closes_at: self.now + 120 + 24 * 366 * 3600 - 1,
            motion,
        })])[0];
        self.act(vec![Action::Vote(Vote {
            proposal: id,
            ballot: Ballot::Yes,
        })]);
        self.act(vec![Action::Close(Close {
            proposal: id,
            salts: Vec::new(),
        })]);
    }
}

/// A 480 x 250 PNG (the demo's), made a distinct blob by `k` bytes after
/// its end (which decoders ignore).
fn png(k: usize) -> Vec<u8> {
    let mut bytes = include_bytes!("../../erkin/demo/articles/media/mirror-diagram.png").to_vec();
    bytes.extend(std::iter::repeat_n(0u8, k));
    bytes
}

/// Every file of a copy but the export's own record.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let path = e.path();
            if e.file_type().unwrap().is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if rel != MANIFEST_FILE && rel != JOURNAL_FILE {
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

fn differences(copy: &BTreeMap<String, Vec<u8>>, fresh: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let mut out = Vec::new();
    for (p, b) in fresh {
        match copy.get(p) {
            None => out.push(format!("missing {p}")),
            Some(c) if c != b => out.push(format!("different {p}")),
            _ => {}
        }
    }
    out.extend(
        copy.keys()
            .filter(|p| !fresh.contains_key(*p))
            .map(|p| format!("extra {p}")),
    );
    out
}

const LANGS: [&str; 3] = ["kk", "ru", "en"];
const TAGS: [&str; 3] = ["economy", "courts", "energy"];

fn random_step(x: &mut Press, rng: &mut Rng, images: &[String], n: &mut usize) -> String {
    let state = x.p.state();
    let slugs: Vec<String> = state.articles().map(|a| a.slug.clone()).collect();
    let withdrawn = |s: &str| state.retracted().contains(s) || state.redacted().contains(s);
    let images: Vec<String> = images
        .iter()
        .filter(|id| !state.redacted().contains(*id))
        .cloned()
        .collect();
    let roll = rng.below(100);
    if slugs.len() < 3 || roll < 55 {
        let i = *n;
        *n += 1;
        let lang = LANGS[rng.below(3)];
        let image =
            (!images.is_empty() && rng.chance(20)).then(|| images[rng.below(images.len())].clone());
        let text = match &image {
            Some(id) => format!("Story {i}.\n\n![Photo](blob:{id}.png)\n"),
            None => format!("Story {i}, plain."),
        };
        let body = x.p.put_blob(text.as_bytes(), 1 << 20).unwrap().to_string();
        let translation_of = if !slugs.is_empty() && rng.chance(20) {
            let o = &slugs[rng
                .below(slugs.len().max(1))
                .min(slugs.len().saturating_sub(1))];
            state.article(o).and_then(|oa| {
                let original = oa.translation_of.clone().unwrap_or(o.clone());
                let taken = state.articles().any(|a| {
                    (a.slug == original || a.translation_of.as_deref() == Some(&original))
                        && a.lang == lang
                });
                (!taken && !withdrawn(&original)).then_some(original)
            })
        } else {
            None
        };
        let first_published = rng
            .chance(15)
            .then(|| T0 - 3600 * (1 + rng.below(2000) as u64));
        let tags: Vec<String> = (0..rng.below(3))
            .map(|_| TAGS[rng.below(3)].to_string())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let slug = format!("story-{i}");
        x.act(vec![Action::Publish(Publish {
            slug: slug.clone(),
            lang: lang.into(),
            title: format!("Story {i}"),
            summary: format!("Summary {i}"),
            authors: vec!["saule".into()],
            bylines: vec![],
            tags,
            body,
            media: image.into_iter().collect(),
            translation_of,
            first_published,
        })]);
        if rng.chance(10) {
            x.now += 20 * 24 * 3600;
        }
        return format!("publish {slug}");
    }
    let slug = slugs[rng.below(slugs.len())].clone();
    match roll {
        55..=69 if !withdrawn(&slug) => {
            let image = (!images.is_empty() && rng.chance(40))
                .then(|| images[rng.below(images.len())].clone());
            let text = match &image {
                Some(id) => format!("Corrected {slug}.\n\n![Photo](blob:{id}.png)\n"),
                None => format!("Corrected {slug} {}.", rng.next_u64() % 1000),
            };
            let body = x.p.put_blob(text.as_bytes(), 1 << 20).unwrap().to_string();
            x.act(vec![Action::Correct(Correct {
                slug: slug.clone(),
                title: format!("{slug}, corrected"),
                summary: "Corrected".into(),
                body,
                media: image.into_iter().collect(),
                note: "A name was wrong.".into(),
                major: rng.chance(50),
            })]);
            format!("correct {slug}")
        }
        70..=76 if !withdrawn(&slug) => {
            x.decide(Motion::Retract {
                article: slug.clone(),
                reason: "Wrong".into(),
            });
            format!("retract {slug}")
        }
        77..=80 if !state.redacted().contains(&slug) => {
            x.decide(Motion::Redact {
                target: slug.clone(),
                reason: "Harm".into(),
            });
            format!("redact {slug}")
        }
        81..=83 => {
            let Some(id) = images.first().cloned() else {
                return "nothing".into();
            };
            let named = state
                .articles()
                .any(|a| a.blobs().any(|b| b.to_string() == id));
            if !named {
                return "nothing".into();
            }
            x.decide(Motion::Redact {
                target: id.clone(),
                reason: "Privacy".into(),
            });
            format!("redact blob {id}")
        }
        84..=93 => {
            x.act(vec![Action::Statement(Statement {
                text: format!("Statement {}", rng.next_u64() % 1000),
            })]);
            "statement".into()
        }
        94..=97 => {
            x.decide(Motion::Resolution {
                text: "We meet on Fridays.".into(),
            });
            "resolution".into()
        }
        _ => {
            x.now += 40 * 24 * 3600;
            "a month later".into()
        }
    }
}

impl Press {
    /// A one-member publication founded at `T0` in `dir`.
    fn found(dir: &std::path::Path) -> Self {
        let log = SecretKey::generate(&mut rand_core::OsRng, "export.example/a").unwrap();
        let member = SecretKey::generate(&mut rand_core::OsRng, "saule").unwrap();
        let p = Publication::found(
            dir,
            "Incremental",
            &log,
            &[member.verifier_key().clone()],
            Charter::default(),
            T0,
        )
        .unwrap();
        Press {
            p,
            log,
            member,
            now: T0,
        }
    }
}

fn run(seed: u64, steps: usize) {
    let tmp = tempfile::tempdir().unwrap();
    let mut x = Press::found(&tmp.path().join("d"));
    let images: Vec<String> = (0..2)
        .map(|k| x.p.put_blob(&png(k), 1 << 22).unwrap().to_string())
        .collect();
    let out = tmp.path().join("out");
    export(&x.p, &out).unwrap();
    let mut rng = Rng(seed);
    let mut n = 0;
    let mut from_lists = 0;
    for i in 0..steps {
        let did = random_step(&mut x, &mut rng, &images, &mut n);
        if rng.chance(10) {
            // A crash while the journal's group was appended: a torn line.
            use std::io::Write;
            let mut j = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(out.join(JOURNAL_FILE))
                .unwrap();
            j.write_all(b"0123abcd 12 a/torn").unwrap();
        }
        // As `erkin export` does every other step: opened without its
        // articles, only those the new pages show fetched.
        let stats = if i % 2 == 0 {
            let mut lazily = Publication::open_lazily(&tmp.path().join("d")).unwrap();
            erkin_export::export_lazily(&mut lazily, &out, &mut |_| {}).unwrap()
        } else {
            export(&x.p, &out).unwrap()
        };
        from_lists += usize::from(stats.from_lists);
        let fresh = tmp.path().join(format!("fresh-{i}"));
        export(&x.p, &fresh).unwrap();
        let diff = differences(&tree(&out), &tree(&fresh));
        assert!(
            diff.is_empty(),
            "seed {seed}, step {i} ({did}): the copy kept up to date differs from a fresh export: {diff:?}"
        );
        std::fs::remove_dir_all(&fresh).unwrap();
    }
    // The runs of new articles were made from the store's lists.
    assert!(
        from_lists > 0,
        "seed {seed}: no export was made from the lists"
    );
    eprintln!("seed {seed}: {from_lists} of {steps} exports made from the lists");
    // Nothing new: nothing written, the record untouched.
    let journal = std::fs::read(out.join(JOURNAL_FILE)).ok();
    let again = export(&x.p, &out).unwrap();
    assert_eq!((again.written, again.deleted), (0, 0), "{again:?}");
    assert_eq!(std::fs::read(out.join(JOURNAL_FILE)).ok(), journal);
}

#[test]
fn an_export_kept_up_to_date_equals_a_fresh_one_after_every_step() {
    for seed in [7, 8] {
        run(seed, 35);
    }
}

/// One new article costs its pages, not the archive's: the files written
/// do not grow with the number of articles before it.
#[test]
fn one_new_article_writes_as_many_files_at_twice_the_archive() {
    let tmp = tempfile::tempdir().unwrap();
    let mut x = Press::found(&tmp.path().join("d"));
    let publish = |x: &mut Press, i: usize| {
        let body =
            x.p.put_blob(format!("Story {i}.").as_bytes(), 1 << 20)
                .unwrap();
        Action::Publish(Publish {
            slug: format!("s-{i}"),
            lang: "en".into(),
            title: format!("Story {i}"),
            summary: String::new(),
            authors: vec!["saule".into()],
            bylines: vec![],
            tags: vec!["news".into()],
            body: body.to_string(),
            media: vec![],
            translation_of: None,
            first_published: None,
        })
    };
    let out = tmp.path().join("out");
    let mut written = Vec::new();
    let mut i = 0;
    for total in [299, 599] {
        let batch: Vec<Action> = (i..total).map(|k| publish(&mut x, k)).collect();
        i = total;
        x.act(batch);
        export(&x.p, &out).unwrap();
        let one = vec![publish(&mut x, i)];
        i += 1;
        x.act(one);
        written.push(export(&x.p, &out).unwrap().written);
    }
    assert_eq!(written[0], written[1], "{written:?}");
    assert!(written[0] < 40, "{written:?}");
}

/// `up_to_date` says a copy needs nothing only when its record is of the
/// log's size and its checkpoint is this log's at that size; and then it
/// says what an export would have (nothing written, the checkpoint
/// unchanged), asked of a publication that has read no article.
#[test]
fn up_to_date_only_of_this_logs_copy_at_its_size() {
    use erkin_export::up_to_date;
    let tmp = tempfile::tempdir().unwrap();
    let mut x = Press::found(&tmp.path().join("d"));
    let body = x.p.put_blob(b"Story.", 1 << 20).unwrap().to_string();
    x.act(vec![Action::Publish(Publish {
        slug: "story".into(),
        lang: "en".into(),
        title: "Story".into(),
        summary: String::new(),
        authors: vec!["saule".into()],
        bylines: vec![],
        tags: vec![],
        body,
        media: vec![],
        translation_of: None,
        first_published: None,
    })]);
    let out = tmp.path().join("out");
    // No copy, no record.
    assert_eq!(up_to_date(&x.p, &out).unwrap(), None);
    export(&x.p, &out).unwrap();
    let nothing_new = export(&x.p, &out).unwrap();
    assert_eq!(up_to_date(&x.p, &out).unwrap(), Some(nothing_new));
    let lazily = Publication::open_lazily(&tmp.path().join("d")).unwrap();
    assert!(!lazily.state().articles_read());
    assert_eq!(
        up_to_date(&lazily, &out).unwrap(),
        Some(erkin_export::ExportStats {
            written: 0,
            unchanged: 1,
            deleted: 0,
            from_lists: false,
        })
    );
    assert!(!lazily.state().articles_read());
    drop(lazily);
    // Behind the log by one statement.
    x.act(vec![Action::Statement(Statement {
        text: "Later.".into(),
    })]);
    assert_eq!(up_to_date(&x.p, &out).unwrap(), None);
    export(&x.p, &out).unwrap();
    assert!(up_to_date(&x.p, &out).unwrap().is_some());
    // Its checkpoint damaged.
    let cp = out.join("checkpoint");
    let good = std::fs::read(&cp).unwrap();
    let mut bad = good.clone();
    let last = bad.len() - 2;
    bad[last] ^= 1;
    std::fs::write(&cp, &bad).unwrap();
    assert_eq!(up_to_date(&x.p, &out).unwrap(), None);
    std::fs::write(&cp, &good).unwrap();
    // Another publication's copy at the same size.
    let mut y = Press::found(&tmp.path().join("other"));
    while y.p.state().size() < x.p.state().size() {
        y.act(vec![Action::Statement(Statement {
            text: "Filler.".into(),
        })]);
    }
    assert_eq!(y.p.state().size(), x.p.state().size());
    let theirs = tmp.path().join("theirs");
    export(&y.p, &theirs).unwrap();
    assert!(up_to_date(&y.p, &theirs).unwrap().is_some());
    assert_eq!(up_to_date(&x.p, &theirs).unwrap(), None);
}

/// Every file of a folder, the export's own record included.
fn whole_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = tree(dir);
    for record in [MANIFEST_FILE, JOURNAL_FILE] {
        if let Ok(bytes) = std::fs::read(dir.join(record)) {
            out.insert(record.to_string(), bytes);
        }
    }
    out
}

/// A whole export written by several threads leaves the folder one thread
/// leaves — every path, every byte, the same record and the same counts —
/// into an empty folder and over an older copy (files replaced, unchanged
/// and deleted), with images, translations, corrections and redactions.
#[test]
fn a_whole_export_on_several_threads_equals_one_on_one_thread() {
    use erkin_export::export_whole_with;
    let tmp = tempfile::tempdir().unwrap();
    let mut x = Press::found(&tmp.path().join("d"));
    let images: Vec<String> = (0..2)
        .map(|k| x.p.put_blob(&png(k), 1 << 22).unwrap().to_string())
        .collect();
    // (Longer runs of these steps can leave the member no editor: `run`
    // keeps to 35 steps.)
    let mut rng = Rng(7);
    let mut n = 0;
    let (one, many) = (tmp.path().join("one"), tmp.path().join("many"));
    for round in 0..2 {
        for _ in 0..17 {
            random_step(&mut x, &mut rng, &images, &mut n);
        }
        let by_one = export_whole_with(&x.p, &one, &mut |_| {}, 1).unwrap();
        let by_many = export_whole_with(&x.p, &many, &mut |_| {}, 4).unwrap();
        assert_eq!(by_one, by_many, "round {round}");
        assert!(by_one.written > 0, "round {round}: {by_one:?}");
        if round > 0 {
            assert!(by_one.unchanged > 0, "round {round}: {by_one:?}");
        }
        let (a, b) = (whole_tree(&one), whole_tree(&many));
        assert!(a.contains_key(MANIFEST_FILE));
        assert!(
            a.keys().any(|p| p.starts_with("media/")),
            "round {round}: no image in the copy: the test would not cover them"
        );
        let diff = differences(&b, &a);
        assert!(diff.is_empty(), "round {round}: {diff:?}");
        assert_eq!(a, b, "round {round}");
    }
    // And both equal an export into an empty folder by the default path.
    let fresh = tmp.path().join("fresh");
    export(&x.p, &fresh).unwrap();
    let diff = differences(&tree(&many), &tree(&fresh));
    assert!(diff.is_empty(), "{diff:?}");
}

/// A level-1 tile written as a level-0 tile fills is still the log's after
/// the next entries, until the next level-0 tile fills: the export after a
/// copy made at exactly that size keeps it. (It deleted it as a superseded partial tile of the old
/// size: the copy's checkpoint then named a tile the copy lacked until 256
/// entries later.) The full tile's emptied `.p` folder goes, as a fresh
/// copy has none.
#[test]
fn a_tile_written_as_a_level_zero_tile_fills_stays_after_the_next_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let mut x = Press::found(&tmp.path().join("d"));
    let out = tmp.path().join("out");
    let say = |x: &mut Press, n: usize| {
        let statements = (0..n)
            .map(|i| {
                Action::Statement(Statement {
                    text: format!("Statement {i} at {}", x.now),
                })
            })
            .collect();
        x.act(statements);
    };
    // Two level-0 tiles full, each exported at exactly that size (a batch
    // may bring a tick along: one statement at a time near the end, and
    // the next tile if one passes it), having been exported a few entries
    // short of it, and again one entry later.
    let mut full = 256;
    // Entries a batch brings beside its statements (a tick), as seen.
    let mut extra = 0;
    let mut ends = 0;
    let mut short = false;
    while ends < 2 {
        let size = x.p.store().size();
        if size > full {
            full += 256;
            short = false;
            assert!(full <= 2048, "no export at a tile's end");
            continue;
        }
        if size == full {
            export(&x.p, &out).unwrap();
            let level1 = format!("tile/1/000.p/{}", full / 256);
            assert!(out.join(&level1).is_file());
            say(&mut x, 1);
            export(&x.p, &out).unwrap();
            assert!(
                out.join(&level1).is_file(),
                "the level-1 tile of the checkpoint's tree was deleted"
            );
            let last = full / 256 - 1;
            assert!(!out.join(format!("tile/0/{last:03}.p")).exists());
            assert!(!out.join(format!("tile/entries/{last:03}.p")).exists());
            let fresh = tmp.path().join(format!("fresh-{full}"));
            export(&x.p, &fresh).unwrap();
            // (The level-1 tile the filling replaced is gone too.)
            let diff = differences(&tree(&out), &tree(&fresh));
            assert!(diff.is_empty(), "at {full}: {diff:?}");
            ends += 1;
            full += 256;
            short = false;
            continue;
        }
        let left = (full - size) as usize;
        if left <= 6 && !short {
            export(&x.p, &out).unwrap();
            short = true;
        }
        let n = if left > 6 {
            (left - 6).min(50)
        } else {
            left.saturating_sub(extra).max(1)
        };
        say(&mut x, n);
        extra = (x.p.store().size() - size) as usize - n;
    }
    let fresh = tmp.path().join("fresh");
    export(&x.p, &fresh).unwrap();
    let diff = differences(&tree(&out), &tree(&fresh));
    assert!(diff.is_empty(), "{diff:?}");
}

/// New articles in an archive whose lists are longer than the pages show
/// (numbered pages, a second sitemap shard, months of hundreds, a tag given
/// twice): made from the store's lists — only the newest items each list's
/// pages due show, the rest counted — every copy equals a fresh export,
/// when the new articles are the newest and when one is dated back (a
/// page deep in its lists), a translation of an old article, or shows an
/// old article's image; several at once, ties in the same second, and
/// across a page's and a sitemap shard's boundary.
#[test]
fn new_articles_in_a_long_archive_are_made_from_the_lists_as_a_fresh_export_makes_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    let mut x = Press::found(&dir);
    let image = x.p.put_blob(&png(0), 1 << 22).unwrap().to_string();
    let mut n = 0;
    let story = |x: &mut Press, i: usize, back: Option<u64>, original: Option<String>| {
        let text = if i.is_multiple_of(97) {
            format!("Story {i}.\n\n![Photo](blob:{image}.png)\n")
        } else {
            format!("Story {i}.")
        };
        let body = x.p.put_blob(text.as_bytes(), 1 << 20).unwrap();
        let tags = match i % 4 {
            0 => vec!["news".to_string(), "news".to_string()],
            1 => vec!["news".to_string(), format!("t{}", i % 7)],
            2 => vec![format!("t{}", i % 7)],
            _ => vec![],
        };
        Action::Publish(Publish {
            slug: format!("s-{i:05}"),
            lang: if original.is_some() {
                "ru"
            } else {
                LANGS[i % 2]
            }
            .into(),
            title: format!("Story {i}"),
            summary: String::new(),
            authors: vec!["saule".into()],
            bylines: vec![],
            tags,
            body: body.to_string(),
            media: if i.is_multiple_of(97) {
                vec![image.parse().unwrap()]
            } else {
                vec![]
            },
            translation_of: original,
            // `None`: dated when it is published.
            first_published: back,
        })
    };
    // 990 articles: the lists run to numbered pages, one sitemap shard;
    // the last 150 in the month the new ones join.
    while n < 840 {
        let batch: Vec<Action> = (n..(n + 330).min(840))
            // Spread over some forty months, oldest first.
            .map(|i| story(&mut x, i, Some(T0 - 3600 * 24 * (1200 - i as u64)), None))
            .collect();
        n += batch.len();
        x.act(batch);
    }
    let busy: Vec<Action> = (n..n + 150)
        .map(|i| story(&mut x, i, Some(T0 - 7200 * (990 - i as u64)), None))
        .collect();
    n += 150;
    x.act(busy);
    let out = tmp.path().join("out");
    export(&x.p, &out).unwrap();
    let mut from_lists = 0;
    let mut steps = 0;
    let mut check = |x: &mut Press, what: &str, lazily: bool| {
        let stats = if lazily {
            let mut p = Publication::open_lazily(&dir).unwrap();
            erkin_export::export_lazily(&mut p, &out, &mut |_| {}).unwrap()
        } else {
            export(&x.p, &out).unwrap()
        };
        from_lists += usize::from(stats.from_lists);
        steps += 1;
        let fresh = tmp.path().join("fresh");
        export(&x.p, &fresh).unwrap();
        let diff = differences(&tree(&out), &tree(&fresh));
        assert!(
            diff.is_empty(),
            "{what}: the copy differs from a fresh export: {diff:?}"
        );
        std::fs::remove_dir_all(&fresh).unwrap();
        stats.from_lists
    };
    // One new article, the newest: from the lists.
    let a = story(&mut x, n, None, None);
    n += 1;
    x.act(vec![a]);
    assert!(check(&mut x, "one newest article", true));
    // Three at once, in the same second (ties in slug order).
    let batch: Vec<Action> = (n..n + 3).map(|i| story(&mut x, i, None, None)).collect();
    n += 3;
    x.act(batch);
    assert!(check(&mut x, "three in one second", false));
    // A translation of an old article, and one showing an old image.
    let t = story(&mut x, n, None, Some("s-00004".into()));
    n += 1;
    let i = story(&mut x, 97 * 11, None, None);
    x.act(vec![t, i]);
    assert!(check(&mut x, "a translation and an old image", true));
    // Dated back a few days, into the middle of its month's run: more of
    // its lists' items are read, still from the lists.
    for hours in [290, 281, 270, 262, 250, 241, 230, 150, 100, 52] {
        let b = story(&mut x, n, Some(T0 - 3600 * hours), None);
        n += 1;
        x.act(vec![b]);
        assert!(check(
            &mut x,
            &format!("dated back {hours} hours"),
            n.is_multiple_of(2)
        ));
    }
    // Dated back two years: its pages are deep in its lists.
    let b = story(&mut x, n, Some(T0 - 3600 * 24 * 700), None);
    n += 1;
    x.act(vec![b]);
    check(&mut x, "dated back", true);
    // Across a page boundary and the first sitemap shard's end, one at a
    // time.
    while n < 1004 {
        let a = story(&mut x, n, None, None);
        n += 1;
        x.act(vec![a]);
        assert!(check(&mut x, &format!("article {n}"), n.is_multiple_of(2)));
    }
    assert!(
        from_lists >= steps - 1,
        "{from_lists} of {steps} from the lists"
    );
}
