//! The source inbox served on loopback: submissions, the codename round
//! trip, the tip readers' API and every bad input, against the real router,
//! real SQLite and real age.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use erkin_core::keys::SecretKey;
use erkin_testkit::{send, Reply};
use erkin_tips::client::{unpack, TipsClient};
use erkin_tips::{Cost, Limits, Reader, Readers, TipsConfig};

const ORIGIN: &str = "news.example";
const BOUNDARY: &str = "XyZzYboundary";

struct Inbox {
    addr: SocketAddr,
    dir: tempfile::TempDir,
    readers: Arc<RwLock<Readers>>,
    identity: age::x25519::Identity,
    member: SecretKey,
    _rt: tokio::runtime::Runtime,
}

fn start(limits: Limits) -> Inbox {
    let dir = tempfile::tempdir().unwrap();
    let identity = age::x25519::Identity::generate();
    let member = SecretKey::generate(&mut rand_core::OsRng, "aigerim").unwrap();
    let mut readers = Readers {
        origin: ORIGIN.into(),
        ..Readers::default()
    };
    readers.readers.insert(
        "aigerim".into(),
        Reader {
            key: member.verifier_key().clone(),
            recipient: Some(identity.to_public().to_string()),
        },
    );
    let readers = Arc::new(RwLock::new(readers));
    let config = TipsConfig {
        data_dir: dir.path().to_path_buf(),
        limits,
        // Cheap hashing for tests; the default is RFC 9106's.
        cost: Cost {
            memory_kib: 1024,
            passes: 1,
        },
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let tips = Arc::new(erkin_tips::Tips::open(&config, readers.clone()).unwrap());
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = erkin_tips::standalone_router(tips);
    rt.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Inbox {
        addr,
        dir,
        readers,
        identity,
        member,
        _rt: rt,
    }
}

struct Part<'a> {
    name: &'a [u8],
    file_name: Option<&'a [u8]>,
    body: &'a [u8],
}

fn multipart(parts: &[Part]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        out.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        out.extend_from_slice(b"Content-Disposition: form-data; name=\"");
        out.extend_from_slice(p.name);
        out.push(b'"');
        if let Some(f) = p.file_name {
            out.extend_from_slice(b"; filename=\"");
            out.extend_from_slice(f);
            out.extend_from_slice(b"\"\r\nContent-Type: application/octet-stream");
        }
        out.extend_from_slice(b"\r\n\r\n");
        out.extend_from_slice(p.body);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

fn post_form(addr: SocketAddr, lang: &str, body: &[u8]) -> Reply {
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    let len = body.len().to_string();
    send(
        addr,
        "POST",
        &format!("/tips/{lang}/submit"),
        &[("Content-Type", &ct), ("Content-Length", &len)],
        body,
    )
    .expect("the server answers")
}

fn post_codename(addr: SocketAddr, codename: &str) -> Reply {
    let body = format!("codename={}", codename.replace(' ', "+"));
    let len = body.len().to_string();
    send(
        addr,
        "POST",
        "/tips/en/return",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Content-Length", &len),
        ],
        body.as_bytes(),
    )
    .unwrap()
}

/// The codename shown on the page after a first submission.
fn codename_of(page: &str) -> String {
    let start = page.find("<code id=\"codename\">").expect("a codename") + 20;
    let end = start + page[start..].find("</code>").unwrap();
    page[start..end].to_string()
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn stored_tips(dir: &Path) -> Vec<std::path::PathBuf> {
    let tips = dir.join("tips");
    if !tips.exists() {
        return Vec::new();
    }
    files(&tips)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "age") || p.starts_with(tips.join("tmp")))
        .collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn client(inbox: &Inbox) -> TipsClient {
    TipsClient::new(
        &format!("http://{}", inbox.addr),
        ORIGIN,
        inbox.member.clone(),
        Duration::from_secs(30),
    )
}

#[test]
fn a_tip_is_ciphertext_only_and_opens_for_the_tip_reader() {
    let inbox = start(Limits::default());
    let secret_text = "The minister's contract is attached. Қол қойылған.";
    let file_a = b"PDF-like bytes: 8f3e2b1c9d the invoice number INV-77123".repeat(50);
    let file_b = vec![0xA5u8; 300_000];
    let body = multipart(&[
        Part {
            name: b"message",
            file_name: None,
            body: secret_text.as_bytes(),
        },
        Part {
            name: b"file",
            file_name: Some("invoice.pdf".as_bytes()),
            body: &file_a,
        },
        Part {
            name: b"file",
            file_name: Some("фото.jpg".as_bytes()),
            body: &file_b,
        },
    ]);
    let r = post_form(inbox.addr, "kk", &body);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert!(r.header("set-cookie").is_none());
    let codename = codename_of(&r.text());
    assert_eq!(codename.split(' ').count(), 7);

    // Ciphertext only, everywhere under the data directory.
    let stored = stored_tips(inbox.dir.path());
    assert_eq!(stored.len(), 1, "{stored:?}");
    for f in files(inbox.dir.path()) {
        let bytes = std::fs::read(&f).unwrap();
        for needle in [
            secret_text.as_bytes(),
            &file_a[..40],
            &file_b[..64],
            b"invoice.pdf",
            "фото".as_bytes(),
            codename.as_bytes(),
        ] {
            assert!(!contains(&bytes, needle), "{} holds plaintext", f.display());
        }
    }
    // Its size is its bucket's: 2 files and text fit in 512 KiB.
    let sealed = std::fs::read(&stored[0]).unwrap();
    assert_eq!(
        erkin_tips::seal::bucket_of(&sealed[..4096], sealed.len() as u64),
        Some(512 * 1024)
    );

    // The tip reader fetches and opens it on their own machine.
    let c = client(&inbox);
    let list = c.list().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        list[0].day.len(),
        10,
        "a day, never a time: {}",
        list[0].day
    );
    let ciphertext = c.download(&list[0].id).unwrap();
    assert_eq!(ciphertext, sealed);
    let out = tempfile::tempdir().unwrap();
    let written = unpack(
        &list[0].id,
        &ciphertext,
        &inbox.identity,
        &out.path().join("t"),
    )
    .unwrap();
    assert_eq!(written.len(), 3);
    let read = |p: &str| std::fs::read(out.path().join("t").join(p)).unwrap();
    assert_eq!(read("message.txt"), secret_text.as_bytes());
    assert_eq!(read("files/01-invoice.pdf"), file_a);
    assert_eq!(read("files/02-фото.jpg"), file_b);

    // Somebody else's identity cannot.
    let stranger = age::x25519::Identity::generate();
    assert!(matches!(
        unpack(&list[0].id, &ciphertext, &stranger, &out.path().join("s")),
        Err(erkin_tips::client::ClientError::Decrypt { .. })
    ));
}

#[test]
fn the_codename_opens_replies_and_a_wrong_one_looks_unknown() {
    let inbox = start(Limits::default());
    let r = post_form(
        inbox.addr,
        "en",
        &multipart(&[Part {
            name: b"message",
            file_name: None,
            body: b"first tip",
        }]),
    );
    let codename = codename_of(&r.text());
    let c = client(&inbox);
    let thread = c.list().unwrap()[0].thread.clone();
    c.reply(&thread, "Thank you. Can you send page 2?").unwrap();

    // The reply is ciphertext on the server.
    for f in files(inbox.dir.path()) {
        let bytes = std::fs::read(&f).unwrap();
        assert!(!contains(&bytes, b"page 2"), "{}", f.display());
    }

    // The source reads it with the codename (typed loosely).
    let page = post_codename(inbox.addr, &format!("  {}  ", codename.to_uppercase()));
    assert_eq!(page.status, 200);
    assert!(
        page.text().contains("Can you send page 2?"),
        "{}",
        page.text()
    );

    // Wrong (one word changed), unknown (another codename) and not a
    // codename at all: the same answer.
    let mut words: Vec<&str> = codename.split(' ').collect();
    let swapped = if words[6] == "zoom" { "abacus" } else { "zoom" };
    words[6] = swapped;
    let wrong = post_codename(inbox.addr, &words.join(" "));
    let unknown = post_codename(inbox.addr, &erkin_tips::codename::generate());
    let garbage = post_codename(inbox.addr, "not a codename");
    assert_eq!(wrong.status, 404);
    assert_eq!((wrong.status, &wrong.body), (unknown.status, &unknown.body));
    assert_eq!((wrong.status, &wrong.body), (garbage.status, &garbage.body));
    assert!(!wrong.text().contains("page 2"));

    // Sending more with the codename joins the same thread; with a wrong
    // one nothing is kept.
    let more = |c: &str| {
        post_form(
            inbox.addr,
            "en",
            &multipart(&[
                Part {
                    name: b"codename",
                    file_name: None,
                    body: c.as_bytes(),
                },
                Part {
                    name: b"message",
                    file_name: None,
                    body: b"page 2",
                },
            ]),
        )
    };
    assert_eq!(more(&codename).status, 200);
    assert_eq!(more(&words.join(" ")).status, 404);
    let list = c.list().unwrap();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|t| t.thread == thread));
    assert_eq!(stored_tips(inbox.dir.path()).len(), 2);
}

#[test]
fn bad_input_gets_a_clear_4xx_and_nothing_is_kept() {
    let limits = Limits {
        max_total: 1024 * 1024,
        max_message: 64 * 1024,
        ..Limits::default()
    };
    let inbox = start(limits);
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    let ok_part = |body: &'static [u8]| Part {
        name: b"message",
        file_name: None,
        body,
    };

    // Oversize, with a length declared...
    let big = vec![b'x'; 2 * 1024 * 1024];
    let r = post_form(
        inbox.addr,
        "en",
        &multipart(&[Part {
            name: b"file",
            file_name: Some(b"big.bin"),
            body: &big,
        }]),
    );
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(r.text().contains("too large"));
    // ...and chunked, without one.
    let mut chunked = Vec::new();
    let whole = multipart(&[Part {
        name: b"file",
        file_name: Some(b"big.bin"),
        body: &big,
    }]);
    for chunk in whole.chunks(8192) {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let r = send(
        inbox.addr,
        "POST",
        "/tips/en/submit",
        &[("Content-Type", &ct), ("Transfer-Encoding", "chunked")],
        &chunked,
    )
    .unwrap();
    assert_eq!(r.status, 413, "{}", r.text());

    // Truncated: the body ends in the middle of a file.
    let whole = multipart(&[
        ok_part(b"hello"),
        Part {
            name: b"file",
            file_name: Some(b"a.txt"),
            body: &[b'y'; 5000],
        },
    ]);
    let cut = &whole[..whole.len() - 3000];
    let r = post_form(inbox.addr, "en", cut);
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("incomplete"));

    // The wrong content type.
    let body = multipart(&[ok_part(b"hello")]);
    let len = body.len().to_string();
    let r = send(
        inbox.addr,
        "POST",
        "/tips/en/submit",
        &[
            ("Content-Type", "application/json"),
            ("Content-Length", &len),
        ],
        &body,
    )
    .unwrap();
    assert_eq!(r.status, 415, "{}", r.text());

    // A flood of tiny parts: about 11,000 in 900 KiB (a million would only
    // take longer to send), refused at the 65th, the rest never read.
    let mut many = Vec::new();
    for _ in 0..1_000_000 {
        many.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"message\"\r\n\r\nx\r\n"
            )
            .as_bytes(),
        );
        if many.len() > 900 * 1024 {
            break;
        }
    }
    many.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    let r = post_form(inbox.addr, "en", &many);
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(r.text().contains("too many parts"));

    // A file name that is not UTF-8, and one too long.
    let r = post_form(
        inbox.addr,
        "en",
        &multipart(&[Part {
            name: b"file",
            file_name: Some(b"caf\xe9\xff.pdf"),
            body: b"data",
        }]),
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("not UTF-8"));
    let long = vec![b'n'; 5000];
    let r = post_form(
        inbox.addr,
        "en",
        &multipart(&[Part {
            name: b"file",
            file_name: Some(&long),
            body: b"data",
        }]),
    );
    assert_eq!(r.status, 400, "{}", r.text());

    // A typed message over its own limit.
    let long_message = vec![b'm'; limits.max_message + 1];
    let r = post_form(
        inbox.addr,
        "en",
        &multipart(&[Part {
            name: b"message",
            file_name: None,
            body: &long_message,
        }]),
    );
    assert_eq!(r.status, 413, "{}", r.text());

    // Nothing to send, and a field the form does not have.
    let r = post_form(inbox.addr, "en", &multipart(&[ok_part(b"   ")]));
    assert_eq!(r.status, 400);
    let r = post_form(
        inbox.addr,
        "en",
        &multipart(&[Part {
            name: b"email",
            file_name: None,
            body: b"me@example.org",
        }]),
    );
    assert_eq!(r.status, 400);

    // Not a byte was kept.
    assert_eq!(
        stored_tips(inbox.dir.path()),
        Vec::<std::path::PathBuf>::new()
    );
    assert!(client(&inbox).list().unwrap().is_empty());

    // And it still takes a good tip.
    let r = post_form(inbox.addr, "en", &multipart(&[ok_part(b"fine")]));
    assert_eq!(r.status, 200);
}

#[test]
fn without_tip_readers_the_inbox_is_closed() {
    let inbox = start(Limits::default());
    inbox.readers.write().unwrap().readers.clear();
    let page = send(inbox.addr, "GET", "/tips/en/", &[], b"").unwrap();
    assert!(
        page.text().contains("the inbox is closed"),
        "{}",
        page.text()
    );
    let r = post_form(
        inbox.addr,
        "en",
        &multipart(&[Part {
            name: b"message",
            file_name: None,
            body: b"anyone?",
        }]),
    );
    assert_eq!(r.status, 503);
    assert!(stored_tips(inbox.dir.path()).is_empty());
}

#[test]
fn only_tip_readers_use_the_api() {
    let inbox = start(Limits::default());
    let r = send(inbox.addr, "GET", "/tips/api/v1/tips", &[], b"").unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["code"], "auth_missing");
    let stranger = SecretKey::generate(&mut rand_core::OsRng, "stranger").unwrap();
    let c = TipsClient::new(
        &format!("http://{}", inbox.addr),
        ORIGIN,
        stranger,
        Duration::from_secs(30),
    );
    match c.list() {
        Err(erkin_tips::client::ClientError::Refused { status, error }) => {
            assert_eq!(status, 403);
            assert_eq!(error.code, "not_tip_reader");
        }
        other => panic!("{:?}", other.map(|l| l.len())),
    }
}

#[test]
fn pages_are_plain_html_in_three_languages() {
    let inbox = start(Limits::default());
    for (lang, words) in [
        ("kk", "Tor Browser"),
        ("ru", "кодовую фразу"),
        ("en", "codename"),
    ] {
        let r = send(inbox.addr, "GET", &format!("/tips/{lang}/"), &[], b"").unwrap();
        assert_eq!(r.status, 200);
        let text = r.text();
        assert!(text.contains(&format!("<html lang=\"{lang}\"")));
        assert!(text.contains(words), "{lang}");
        assert!(!text.contains("<script"));
        assert!(text.contains(&inbox.identity.to_public().to_string()));
        assert_eq!(
            r.header("content-security-policy"),
            Some(erkin_tips::web::TIPS_CSP)
        );
    }
}

#[test]
fn a_full_inbox_refuses_rather_than_filling_the_disk() {
    let inbox = start(Limits {
        max_total: 1024 * 1024,
        max_stored: 1024 * 1024 + 32 * 1024,
        ..Limits::default()
    });
    let tip = |body: &'static [u8]| {
        post_form(
            inbox.addr,
            "en",
            &multipart(&[Part {
                name: b"message",
                file_name: None,
                body,
            }]),
        )
    };
    assert_eq!(tip(b"first").status, 200);
    let r = tip(b"second");
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(r.text().contains("inbox is full"));
    assert_eq!(stored_tips(inbox.dir.path()).len(), 1);
    // Once a reader deletes what they fetched, it takes tips again.
    let c = client(&inbox);
    let id = c.list().unwrap()[0].id.clone();
    c.delete(&id).unwrap();
    assert!(stored_tips(inbox.dir.path()).is_empty());
    assert_eq!(tip(b"third").status, 200);
}
