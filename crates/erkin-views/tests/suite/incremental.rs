//! The incremental render: after every step of random sequences of
//! publications (with and without tags, translations, images, past dates),
//! corrections, retractions, redactions (of articles and of images),
//! statements, decisions and mirror lists, the files of a copy kept up to
//! date by rendering only what each step's entries can alter (and deleting
//! what it covered but did not make) are exactly the files of a whole
//! render of the same state: every path, every byte, nothing extra.

use std::collections::BTreeMap;

use crate::common::*;
use erkin_core::action::{
    Action, Ballot, Close, Correct, MirrorEntry, Motion, Propose, Publish, SetMirrors, Statement,
    Vote,
};
use erkin_core::blob::BlobId;
use erkin_testkit::Rng;
use erkin_views::{render_into, render_site_cached, BodyCache, Changes, SiteConfig};

fn png(w: u32, h: u32, shade: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, shade])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

type Copy = BTreeMap<String, Vec<u8>>;

/// A whole render; `cache` (its own, not the incremental one) spares
/// resizing the same images at every step.
fn whole(f: &Fixture, cache: &BodyCache) -> Copy {
    let reader = |id: &BlobId| f.blobs.get(id).cloned();
    render_site_cached(&f.state, &reader, &SiteConfig::for_state(&f.state), cache)
        .into_iter()
        .map(|x| (x.path, x.bytes))
        .collect()
}

/// Brings `copy` from the state before `actions` to `f`'s state by
/// rendering only what they can alter; returns how many files it made.
fn step(f: &Fixture, copy: &mut Copy, actions: &[Action], cache: &BodyCache) -> usize {
    let changes = Changes::of(actions, &f.state);
    let reader = |id: &BlobId| f.blobs.get(id).cloned();
    let mut made = Copy::new();
    let covered = render_into(
        &f.state,
        &reader,
        &SiteConfig::for_state(&f.state),
        cache,
        Some(&changes),
        &mut |x| {
            made.insert(x.path, x.bytes);
        },
    );
    copy.retain(|path, _| {
        made.contains_key(path) || !covered.iter().any(|p| path.starts_with(p.as_str()))
    });
    let n = made.len();
    copy.extend(made);
    n
}

fn differences(copy: &Copy, fresh: &Copy) -> Vec<String> {
    let mut out = Vec::new();
    for (p, b) in fresh {
        match copy.get(p) {
            None => out.push(format!("missing {p}")),
            Some(c) if c != b => out.push(format!("different {p}")),
            _ => {}
        }
    }
    for p in copy.keys() {
        if !fresh.contains_key(p) {
            out.push(format!("extra {p}"));
        }
    }
    out
}

const LANGS: [&str; 3] = ["kk", "ru", "en"];
const TAGS: [&str; 3] = ["economy", "courts", "energy"];

fn decide(f: &mut Fixture, motion: Motion) {
    let id = f.act(Action::Propose(Propose {
        title: "Decision".into(),
        closes_at: f.time() + 60 + 24 * 366 * 3600 - 1,
        motion,
    }));
    f.act(Action::Vote(Vote {
        proposal: id,
        ballot: Ballot::Yes,
    }));
    f.act(Action::Close(Close {
        proposal: id,
        salts: Vec::new(),
    }));
}

/// One random step; returns what it did, for the failure message.
fn random_step(f: &mut Fixture, rng: &mut Rng, images: &[String], n: &mut usize) -> String {
    let slugs: Vec<String> = f.state.articles().map(|a| a.slug.clone()).collect();
    // A redacted image can no longer be published.
    let images: Vec<String> = images
        .iter()
        .filter(|id| !f.state.redacted().contains(*id))
        .cloned()
        .collect();
    let image_now = |rng: &mut Rng, percent: u64| {
        (!images.is_empty() && rng.chance(percent)).then(|| images[rng.below(images.len())].clone())
    };
    let roll = rng.below(100);
    if slugs.len() < 3 || roll < 55 {
        let i = *n;
        *n += 1;
        let lang = LANGS[rng.below(3)];
        let image = image_now(rng, 15);
        let text = match &image {
            Some(id) => format!("Story {i}.\n\n![Photo](blob:{id}.png)\n"),
            None => format!("Story {i}, plain."),
        };
        let body = f.blob(text.as_bytes());
        // A translation of an article in another language, now and then.
        let translation_of = if rng.chance(20) && !slugs.is_empty() {
            let o = &slugs[rng.below(slugs.len())];
            let oa = f.state.article(o).unwrap();
            let original = oa.translation_of.clone().unwrap_or(o.clone());
            let taken = f.state.articles().any(|a| {
                (a.slug == original || a.translation_of.as_deref() == Some(&original))
                    && a.lang == lang
            }) || f.state.retracted().contains(&original)
                || f.state.redacted().contains(&original);
            (!taken).then_some(original)
        } else {
            None
        };
        // Imported: dated in the past, so it lands among older ones.
        let first_published = rng
            .chance(15)
            .then(|| T0 - 3600 * (1 + rng.below(24 * 90) as u64));
        let tags: Vec<String> = (0..rng.below(3))
            .map(|_| TAGS[rng.below(3)].to_string())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let slug = format!("story-{i}");
        f.act(Action::Publish(Publish {
            slug: slug.clone(),
            lang: lang.into(),
            title: format!("Story {i}"),
            summary: format!("Summary {i}"),
            authors: if rng.chance(80) {
                vec![EDITOR.into()]
            } else {
                vec![]
            },
            bylines: vec![format!("Reporter {}", i % 3)],
            tags,
            body,
            media: image.into_iter().collect(),
            translation_of,
            first_published,
        }));
        if rng.chance(10) {
            f.advance(20 * 24 * 3600);
        }
        return format!("publish {slug}");
    }
    let slug = slugs[rng.below(slugs.len())].clone();
    match roll {
        55..=69 => {
            if f.state.retracted().contains(&slug) || f.state.redacted().contains(&slug) {
                return "nothing".into();
            }
            // A correction, perhaps adding or dropping an image.
            let image = image_now(rng, 40);
            let text = match &image {
                Some(id) => format!("Corrected {slug}.\n\n![Photo](blob:{id}.png)\n"),
                None => format!("Corrected {slug} {}.", rng.next_u64() % 1000),
            };
            let body = f.blob(text.as_bytes());
            f.act(Action::Correct(Correct {
                slug: slug.clone(),
                title: format!("{slug}, corrected"),
                summary: "Corrected".into(),
                body,
                media: image.into_iter().collect(),
                note: "A name was wrong.".into(),
                major: rng.chance(50),
            }));
            format!("correct {slug}")
        }
        70..=76 => {
            if f.state.retracted().contains(&slug) || f.state.redacted().contains(&slug) {
                return "nothing".into();
            }
            decide(
                f,
                Motion::Retract {
                    article: slug.clone(),
                    reason: "Wrong".into(),
                },
            );
            format!("retract {slug}")
        }
        77..=80 => {
            if f.state.redacted().contains(&slug) {
                return "nothing".into();
            }
            decide(
                f,
                Motion::Redact {
                    target: slug.clone(),
                    reason: "Harm".into(),
                },
            );
            format!("redact {slug}")
        }
        81..=82 => {
            // An image redacted wherever it is shown.
            let id = images[rng.below(images.len())].clone();
            let named = f
                .state
                .articles()
                .any(|a| a.blobs().any(|b| b.to_string() == id));
            if f.state.redacted().contains(&id) || !named {
                return "nothing".into();
            }
            decide(
                f,
                Motion::Redact {
                    target: id.clone(),
                    reason: "Privacy".into(),
                },
            );
            format!("redact blob {id}")
        }
        83..=90 => {
            f.act(Action::Statement(Statement {
                text: format!("Statement {}", rng.next_u64() % 1000),
            }));
            "statement".into()
        }
        91..=94 => {
            decide(
                f,
                Motion::Resolution {
                    text: "We meet on Fridays.".into(),
                },
            );
            "resolution".into()
        }
        95..=96 => {
            let count = rng.below(3);
            f.act(Action::SetMirrors(SetMirrors {
                mirrors: (0..count)
                    .map(|k| MirrorEntry {
                        url: format!("https://m{k}.example/{}/", rng.next_u64() % 5),
                        pins: vec![],
                    })
                    .collect(),
            }));
            format!("mirrors {count}")
        }
        _ => {
            f.advance(40 * 24 * 3600);
            f.act(Action::Statement(Statement {
                text: "A month later.".into(),
            }));
            "a month later".into()
        }
    }
}

/// `state` as a publication opened from its snapshot has it: its articles
/// kept as the rows read back, each decoded only when read.
fn through_snapshot(state: &erkin_core::state::State) -> erkin_core::state::State {
    let snap = erkin_core::snapshot::encode(state);
    // The replay set's base, if the snapshot does not write it again.
    let held = erkin_core::snapshot::held_base(state);
    // Every article's row (a state read from a snapshot encodes only the
    // rows changed since).
    let rows: Vec<(String, Vec<u8>)> = state
        .articles()
        .map(|a| (a.slug.clone(), erkin_core::snapshot::article_bytes(a)))
        .collect();
    erkin_core::snapshot::decode(
        &snap.bytes,
        rows.iter().map(|(s, b)| (s.as_str(), b.as_slice())),
        state.log_key(),
        snap.size,
        &snap.digest,
        snap.base()
            .or(held.as_ref().map(|(at, b)| (*at, b.as_slice()))),
    )
    .expect("a snapshot reads back")
}

fn run(seed: u64, steps: usize) {
    let mut f = Fixture::new("Erkin Habar");
    let images: Vec<String> = (0..3).map(|k| f.blob(&png(700, 400, 40 * k))).collect();
    let mut rng = Rng(seed);
    let mut n = 0;
    let fresh_cache = BodyCache::default();
    let mut copy = whole(&f, &fresh_cache);
    let cache = BodyCache::default();
    let mut made = 0;
    for i in 0..steps {
        let from = f.actions.len();
        let did = random_step(&mut f, &mut rng, &images, &mut n);
        let actions = f.actions[from..].to_vec();
        made += step(&f, &mut copy, &actions, &cache);
        let fresh = whole(&f, &fresh_cache);
        let diff = differences(&copy, &fresh);
        assert!(
            diff.is_empty(),
            "seed {seed}, step {i} ({did}): the incremental copy differs from a whole render: {diff:?}"
        );
        // Now and then the state is reopened from its snapshot, as the
        // server and the CLI open it: its articles read back as rows, the
        // lists made from the rows' listings, the later steps' articles
        // beside them. The site is the same, to the byte.
        if i % 10 == 9 {
            f.state = through_snapshot(&f.state);
            let reopened = whole(&f, &fresh_cache);
            let diff = differences(&reopened, &fresh);
            assert!(
                diff.is_empty(),
                "seed {seed}, step {i}: the state read from its snapshot renders another site: {diff:?}"
            );
        }
    }
    // It did render less than the whole site each time.
    assert!(
        made < steps * whole(&f, &fresh_cache).len() / 2,
        "{made} files made"
    );
}

#[test]
fn an_incremental_render_gives_the_files_of_a_whole_one_after_every_step() {
    for seed in [1, 2, 3, 4] {
        run(seed, 70);
    }
}

/// Several steps' entries at once (a copy many batches behind) give the
/// same files as a whole render too.
#[test]
fn a_copy_many_steps_behind_is_brought_up_to_date_in_one_render() {
    let mut f = Fixture::new("Erkin Habar");
    let images: Vec<String> = (0..3).map(|k| f.blob(&png(700, 400, 40 * k))).collect();
    let mut rng = Rng(11);
    let mut n = 0;
    let fresh_cache = BodyCache::default();
    let mut copy = whole(&f, &fresh_cache);
    let cache = BodyCache::default();
    for round in 0..6 {
        let from = f.actions.len();
        for _ in 0..25 {
            random_step(&mut f, &mut rng, &images, &mut n);
        }
        let actions = f.actions[from..].to_vec();
        step(&f, &mut copy, &actions, &cache);
        let diff = differences(&copy, &whole(&f, &fresh_cache));
        assert!(diff.is_empty(), "round {round}: {diff:?}");
    }
}

/// Nothing new: nothing rendered.
#[test]
fn no_entries_render_nothing() {
    let mut f = Fixture::new("Erkin Habar");
    f.publish(Article::new("one", "One", b"Body."));
    let reader = |id: &BlobId| f.blobs.get(id).cloned();
    let mut made = 0;
    let covered = render_into(
        &f.state,
        &reader,
        &SiteConfig::for_state(&f.state),
        &BodyCache::default(),
        Some(&Changes::default()),
        &mut |_| made += 1,
    );
    assert_eq!((made, covered.len()), (0, 0));
}

/// The sitemap is an index of shards of 1,000 articles counted from the
/// oldest: the 1,001st article starts a second shard, and publishing it
/// rewrites that shard and the index, not the first shard.
#[test]
fn the_sitemap_is_sharded_from_the_oldest_article() {
    let mut f = Fixture::new("Erkin Habar");
    for i in 0..1000 {
        let body = f.blob(format!("Story {i}.").as_bytes());
        f.act(Action::Publish(Publish {
            slug: format!("s-{i}"),
            lang: "en".into(),
            title: format!("Story {i}"),
            summary: String::new(),
            authors: vec![],
            bylines: vec!["Staff".into()],
            tags: vec![],
            body,
            media: vec![],
            translation_of: None,
            first_published: None,
        }));
    }
    let cache = BodyCache::default();
    let mut copy = whole(&f, &cache);
    let index = String::from_utf8(copy["sitemap.xml"].clone()).unwrap();
    assert!(index.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"));
    assert!(index.contains("<loc>https://news.example/erkin/sitemap/pages.xml</loc>"));
    assert!(index.contains("<loc>https://news.example/erkin/sitemap/1.xml</loc>"));
    assert!(!index.contains("sitemap/2.xml"));
    let first = copy["sitemap/1.xml"].clone();
    assert_eq!(
        String::from_utf8_lossy(&first).matches("<url>").count(),
        1000
    );
    let from = f.actions.len();
    f.publish(Article::new("newest", "Newest", b"New."));
    let actions = f.actions[from..].to_vec();
    let changes = Changes::of(&actions, &f.state);
    let reader = |id: &BlobId| f.blobs.get(id).cloned();
    let mut made = Vec::new();
    render_into(
        &f.state,
        &reader,
        &SiteConfig::for_state(&f.state),
        &BodyCache::default(),
        Some(&changes),
        &mut |x| made.push(x.path),
    );
    assert!(made.contains(&"sitemap.xml".to_string()));
    assert!(made.contains(&"sitemap/2.xml".to_string()));
    assert!(!made.contains(&"sitemap/1.xml".to_string()), "{made:?}");
    step(&f, &mut copy, &actions, &BodyCache::default());
    assert_eq!(differences(&copy, &whole(&f, &cache)), Vec::<String>::new());
    assert_eq!(copy["sitemap/1.xml"], first);
    let second = String::from_utf8(copy["sitemap/2.xml"].clone()).unwrap();
    assert_eq!(second.matches("<url>").count(), 1);
    assert!(second.contains("/a/newest/</loc>"));
    assert!(String::from_utf8_lossy(&copy["sitemap.xml"]).contains("sitemap/2.xml</loc>"));
}
