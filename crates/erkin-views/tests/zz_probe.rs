use std::time::Instant;
#[test]
fn probe() {
    for (name, md) in [
        ("bq", ">".repeat(5_000_000)),
        ("bq2", "> ".repeat(2_500_000)),
        ("brackets", "[".repeat(100_000)),
        ("brackets2", "[a](".repeat(100_000)),
        ("list", "- ".repeat(100_000)),
        ("div", "<div>".repeat(100_000)),
        ("emph", "*a ".repeat(100_000)),
    ] {
        let t = Instant::now();
        let (html, _) = erkin_views::markdown::render(&md, "../../");
        eprintln!("{name}: {} bytes out in {:?}", html.len(), t.elapsed());
        eprintln!("  head: {}", &html[..html.len().min(200)]);
    }
    for md in [
        "<img src=\"\\\\tracker.example/p.gif\">",
        "<img src=\"/&#9;/tracker.example/p.gif\">",
        "<img src=\"/\\tracker.example/p.gif\">",
        "<image src=//t.example/x>",
        "<img src=\"&#x2F;&#x2F;t.example/p.gif\">",
    ] {
        eprintln!("{md} => {}", erkin_views::markdown::render(md, "../../").0);
    }
}
