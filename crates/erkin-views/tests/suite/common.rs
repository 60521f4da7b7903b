//! Shared by `hostile.rs` and `chromium.rs`: a publication to render hostile
//! articles into, the hostile corpus itself, and structural checks over the
//! rendered HTML (parsed with html5ever, as a browser would parse it).
//!
//! Not every test binary uses every helper.
#![allow(dead_code)]

use std::collections::HashMap;

use erkin_core::action::{Action, Charter, Correct, Genesis, Publish, Tick};
use erkin_core::blob::BlobId;
use erkin_core::entry::{sign_entry, EntryBody};
use erkin_core::keys::SecretKey;
use erkin_core::state::State;
use erkin_views::{render_site, File, SiteConfig};
use html5ever::tendril::TendrilSink;
use markup5ever_rcdom::{Handle, NodeData, RcDom};

// ---------------------------------------------------------------------------
// A publication under test.

pub const ORIGIN: &str = "news.example/erkin";
pub const T0: u64 = 1_764_345_600;

/// Fixed test keys (made once with `SecretKey::generate`): the renderer's
/// tests need signed entries but no randomness and no extra dependencies.
const LOG_KEY: &str =
    "PRIVATE+KEY+news.example/erkin+3d148f43+AYQmvVRVtt432Iggh1HYT+2fIFYsWUYdquChTIoz4NjT";
/// A founder, so an editor (founders are the first board).
const EDITOR_KEY: &str =
    "PRIVATE+KEY+aigerim+c479f203+AZkUQ/e7t7bcol97KYzeSGDy8S8cleqBoSpfc4sTC4vv";
pub const EDITOR: &str = "aigerim";

pub struct Fixture {
    pub state: State,
    pub blobs: HashMap<BlobId, Vec<u8>>,
    editor: SecretKey,
    log: SecretKey,
    time: u64,
    /// Every action applied after the founding, ticks included, in order.
    pub actions: Vec<Action>,
}

/// What an article is published with; everything but the body has defaults.
pub struct Article<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub summary: &'a str,
    pub bylines: Vec<String>,
    pub body: &'a [u8],
}

impl<'a> Article<'a> {
    pub fn new(slug: &'a str, title: &'a str, body: &'a [u8]) -> Self {
        Self {
            slug,
            title,
            summary: "",
            bylines: Vec::new(),
            body,
        }
    }
}

impl Fixture {
    /// A publication called `name` with one founder, who can publish.
    pub fn new(name: &str) -> Self {
        Self::with_charter(name, Charter::default())
    }

    /// The same under `charter` (its first language is the site's).
    pub fn with_charter(name: &str, charter: Charter) -> Self {
        let log = SecretKey::parse(LOG_KEY).expect("fixed log key");
        let editor = SecretKey::parse(EDITOR_KEY).expect("fixed editor key");
        let body = EntryBody {
            time: T0,
            action: Action::Genesis(Genesis {
                name: name.into(),
                log_key: log.verifier_key().to_string(),
                founders: vec![editor.verifier_key().to_string()],
                charter,
            }),
        };
        let bytes = sign_entry(ORIGIN, &body, &log).expect("sign genesis");
        let (state, _) = State::genesis(log.verifier_key(), &bytes).expect("genesis");
        Self {
            state,
            blobs: HashMap::new(),
            editor,
            log,
            time: T0,
            actions: Vec::new(),
        }
    }

    /// Signs `action` as the founder, a minute after the last entry, and
    /// applies it; returns its log index.
    pub fn act(&mut self, action: Action) -> u64 {
        let editor = self.editor.clone();
        self.act_as(&editor, action)
    }

    /// The same, signed by `key` (a member's).
    pub fn act_as(&mut self, key: &SecretKey, action: Action) -> u64 {
        self.time += 60;
        // The sequencer's tick first: rules are judged by the log time.
        let tick = sign_entry(
            ORIGIN,
            &EntryBody {
                time: self.time,
                action: Action::Tick(Tick {}),
            },
            &self.log,
        )
        .expect("sign tick");
        self.state.apply(&tick).expect("a tick forward is accepted");
        self.actions.push(Action::Tick(Tick {}));
        self.actions.push(action.clone());
        let bytes = sign_entry(
            ORIGIN,
            &EntryBody {
                time: self.time,
                action,
            },
            key,
        )
        .expect("sign entry");
        match self.state.apply(&bytes) {
            Ok(applied) => applied.index,
            Err(e) => panic!("entry rejected: {e:?}"),
        }
    }

    /// The same, signed by the log key (the sequencer's own entries: a
    /// secret vote's close).
    pub fn act_as_log(&mut self, action: Action) -> u64 {
        let log = self.log.clone();
        self.act_as(&log, action)
    }

    /// Moves the clock on by `secs` (the next entry's tick records it).
    pub fn advance(&mut self, secs: u64) {
        self.time += secs;
    }

    /// The log time of the last entry.
    pub fn time(&self) -> u64 {
        self.time
    }

    pub fn blob(&mut self, bytes: &[u8]) -> String {
        let id = BlobId::of(bytes);
        self.blobs.insert(id, bytes.to_vec());
        id.to_string()
    }

    pub fn publish(&mut self, a: Article) {
        let body = self.blob(a.body);
        self.act(Action::Publish(Publish {
            slug: a.slug.into(),
            lang: "en".into(),
            title: a.title.into(),
            summary: a.summary.into(),
            authors: vec![EDITOR.into()],
            bylines: a.bylines,
            tags: vec!["hostile".into()],
            body,
            media: vec![],
            translation_of: None,
            first_published: None,
        }));
    }

    pub fn correct(
        &mut self,
        slug: &str,
        title: &str,
        summary: &str,
        body: &[u8],
        note: &str,
        major: bool,
    ) {
        let body = self.blob(body);
        self.act(Action::Correct(Correct {
            slug: slug.into(),
            title: title.into(),
            summary: summary.into(),
            body,
            media: vec![],
            note: note.into(),
            major,
        }));
    }

    pub fn render(&self) -> Vec<File> {
        let reader = |id: &BlobId| self.blobs.get(id).cloned();
        render_site(&self.state, &reader, &SiteConfig::for_state(&self.state))
    }
}

pub fn article_path(slug: &str) -> String {
    format!("a/{slug}/index.html")
}

/// The rendered article page of `slug`, as text.
pub fn page<'f>(files: &'f [File], slug: &str) -> &'f str {
    let path = article_path(slug);
    let file = files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no {path} among the rendered files"));
    std::str::from_utf8(&file.bytes).expect("pages are UTF-8")
}

// ---------------------------------------------------------------------------
// The hostile corpus.

/// What every payload runs if it ever executes: it changes the DOM (never an
/// alert, which a headless browser would not show), and is written so that the
/// strings it produces (`PWNED`, `data-pwned`) never appear in its own text.
pub const JS: &str = "document.title='PW'+'NED';document.body.setAttribute('data-'+'pwned','1')";

pub struct Case {
    pub name: &'static str,
    pub md: String,
}

/// A well-formed media reference's hex, for the `blob:` cases.
pub const HEX: &str = "abababababababababababababababababababababababababababababababab";

pub fn corpus() -> Vec<Case> {
    let j = JS;
    let hex = HEX;
    let cases: Vec<(&'static str, String)> = vec![
        // -- <script> in many spellings ------------------------------------
        ("script plain", format!("<script>{j}</script>")),
        ("script uppercase", format!("<SCRIPT>{j}</SCRIPT>")),
        (
            "script mixed case with type",
            format!("<ScRiPt type=\"text/javascript\">{j}</sCrIpT>"),
        ),
        (
            "script src data url",
            format!("<script src=\"data:text/javascript,{j}\"></script>"),
        ),
        (
            "script split by nested script",
            format!("<scr<script>ipt>{j}</scr</script>ipt>"),
        ),
        (
            "script slash attribute",
            format!("<script/xss>{j}</script>"),
        ),
        (
            "script newline inside tags",
            format!("<script\n>{j}</script\n>"),
        ),
        (
            "script double open bracket",
            format!("<<script>{j}//<</script>"),
        ),
        (
            "script null byte in name",
            format!("<scr\0ipt>{j}</scr\0ipt>"),
        ),
        ("script inside svg", format!("<svg><script>{j}</script></svg>")),
        (
            "script inside svg by href",
            format!(
                "<svg><script href=\"data:,{j}\"></script><script xlink:href=\"data:,{j}\"></script></svg>"
            ),
        ),
        (
            "script inside mathml",
            format!("<math><mtext><script>{j}</script></mtext></math>"),
        ),
        (
            "script inside html comment",
            format!("<!-- <script>{j}</script> -->\n\ntext after the comment"),
        ),
        (
            "script after abrupt comment",
            format!("<!--><script>{j}</script>-->"),
        ),
        (
            "script in conditional comment",
            format!("<!--[if gte IE 4]><script>{j}</script><![endif]-->"),
        ),
        ("script in cdata", format!("<![CDATA[<script>{j}</script>]]>")),
        (
            "script in svg cdata",
            format!("<svg><![CDATA[</svg><script>{j}</script>]]></svg>"),
        ),
        (
            "script in table cell",
            format!("| a |\n|---|\n| <script>{j}</script> |"),
        ),
        (
            "script in link text",
            format!("[<script>{j}</script>](https://example.org/)"),
        ),
        (
            "script in footnote",
            format!("note[^x]\n\n[^x]: <script>{j}</script>"),
        ),
        (
            "script in raw-text elements",
            format!(
                "<xmp><script>{j}</script></xmp><noembed><script>{j}</script></noembed>\
                 <noframes><script>{j}</script></noframes><textarea><script>{j}</script></textarea>\
                 <title><script>{j}</script></title><noscript><script>{j}</script></noscript>"
            ),
        ),
        (
            "script in template",
            format!("<template><script>{j}</script><img src=x onerror=\"{j}\"></template>"),
        ),
        (
            "html head body injection",
            format!(
                "<html><head><script>{j}</script></head><body onload=\"{j}\"><p>in</p></body></html>"
            ),
        ),
        (
            "end tags then script",
            format!("</div></article></main></body></html><script>{j}</script>\n\nafter"),
        ),
        // -- mutation XSS: sanitizer and browser parse differently ---------
        (
            "mxss noscript title",
            format!("<noscript><p title=\"</noscript><img src=x onerror={j}>\"></noscript>"),
        ),
        (
            "mxss svg style",
            format!("<svg></p><style><a id=\"</style><img src=1 onerror={j}>\">"),
        ),
        (
            "mxss math mglyph style",
            format!(
                "<math><mtext><table><mglyph><style><img src=x onerror={j}></style></mglyph></table></mtext></math>"
            ),
        ),
        (
            "mxss form math",
            format!(
                "<form><math><mtext></form><form><mglyph><style></math><img src onerror={j}>"
            ),
        ),
        (
            "mxss select template style",
            format!(
                "<select><template><style><!--</style><a rel=\"--></style></template></select><img src=x onerror={j}>\">"
            ),
        ),
        // -- event handler attributes --------------------------------------
        ("img onerror", format!("<img src=x onerror=\"{j}\">")),
        ("img onerror uppercase", format!("<IMG SRC=x ONERROR=\"{j}\">")),
        ("img onerror slashes", format!("<img/src=x/onerror=\"{j}\">")),
        (
            "img onerror spaced",
            format!("<img src=x onerror  =  \"{j}\" >"),
        ),
        (
            "img onerror entity encoded",
            "<img src=x onerror=\"&#x64;&#x6f;cument.title='PW'+'NED'\">".to_string(),
        ),
        ("body onload", format!("<body onload=\"{j}\">")),
        (
            "svg onload and animate onbegin",
            format!(
                "<svg onload=\"{j}\"></svg><svg><animate onbegin=\"{j}\" attributeName=x dur=1s></svg>"
            ),
        ),
        (
            "onclick and onmouseover",
            format!(
                "<div onclick=\"{j}\" onmouseover=\"{j}\">hover</div><b onmouseover=\"{j}\">b</b>"
            ),
        ),
        (
            "input onfocus autofocus",
            format!("<input onfocus=\"{j}\" autofocus>"),
        ),
        (
            "details ontoggle",
            format!("<details open ontoggle=\"{j}\"><summary>s</summary>d</details>"),
        ),
        (
            "media onerror",
            format!("<video><source onerror=\"{j}\"></video><audio src=x onerror=\"{j}\"></audio>"),
        ),
        (
            "marquee onstart",
            format!("<marquee onstart=\"{j}\">m</marquee>"),
        ),
        (
            "select and textarea autofocus",
            format!(
                "<select autofocus onfocus=\"{j}\"></select><textarea autofocus onfocus=\"{j}\"></textarea>"
            ),
        ),
        (
            "focusin pointer animation",
            format!(
                "<p id=x tabindex=1 onfocusin=\"{j}\">p</p>\
                 <a href=\"#x\" onpointerenter=\"{j}\" onanimationstart=\"{j}\">a</a>"
            ),
        ),
        (
            "handlers on allowed tags",
            format!(
                "<a href=\"https://example.org/\" onclick=\"{j}\">a</a>\
                 <table onmouseover=\"{j}\"><tr><td onclick=\"{j}\">c</td></tr></table>\
                 <ol start=1 onload=\"{j}\"><li onclick=\"{j}\">i</li></ol>"
            ),
        ),
        (
            "broken quotes around script",
            format!("<img \"\"\"><script>{j}</script>\">"),
        ),
        (
            "attribute breakout",
            format!("<a href=\"https://example.org/\" title=\"><script>{j}</script>\">a</a>"),
        ),
        // -- javascript:, vbscript:, data: URLs ------------------------------
        ("md link javascript", format!("[x](javascript:{j})")),
        ("md link mixed case", format!("[x](JaVaScRiPt:{j})")),
        ("md link tab entity", format!("[x](jav&#x09;ascript:{j})")),
        ("md link newline entity", format!("[x](jav&#x0A;ascript:{j})")),
        (
            "md link entity-encoded letters",
            format!("[x](&#106;avascript:{j}) [y](&#x6A;&#x61;vascript:{j})"),
        ),
        ("md link leading space", format!("[x](< javascript:{j}>)")),
        ("md link colon entity", format!("[x](javascript&colon;{j})")),
        ("md link percent colon", format!("[x](javascript%3A{j})")),
        (
            "md link vbscript",
            "[x](vbscript:msgbox(1)) [y](VBScript:msgbox(1))".to_string(),
        ),
        (
            "md link data",
            format!(
                "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) \
                 [y](DATA:text/html,<script>{j}</script>)"
            ),
        ),
        (
            "raw link newline in scheme",
            format!("<a href=\"java\nscript:{j}\">x</a>"),
        ),
        (
            "raw link tab entities",
            format!("<a href=\"java&#x09;script:{j}\">x</a><a href=\"jav&#9;ascript:{j}\">y</a>"),
        ),
        (
            "raw link control characters",
            format!(
                "<a href=\"&#x01;javascript:{j}\">x</a><a href=\" &#14; javascript:{j}\">y</a>"
            ),
        ),
        (
            "raw link fully entity-encoded",
            format!(
                "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;{j}\">x</a>"
            ),
        ),
        (
            "raw link colon named entity",
            format!("<a href=\"javascript&colon;{j}\">x</a>"),
        ),
        (
            "raw link vbscript and data",
            format!(
                "<a href=\"vbscript:msgbox(1)\">x</a>\
                 <a href=\"data:text/html,&lt;script&gt;{j}&lt;/script&gt;\">y</a>"
            ),
        ),
        (
            "autolinks",
            format!("<javascript:{j}> <JAVASCRIPT:{j}> <vbscript:msgbox(1)> <data:text/html,x>"),
        ),
        (
            "reference links",
            format!(
                "[x][r] and [y]\n\n[r]: javascript:{j}\n[y]: <jav&#x09;ascript:{j}> \"t\""
            ),
        ),
        (
            "reference image",
            format!("![x][img]\n\n[img]: javascript:{j}"),
        ),
        (
            "md images javascript data vbscript",
            format!(
                "![x](javascript:{j}) ![y](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+) \
                 ![z](vbscript:x)"
            ),
        ),
        (
            "raw images javascript and data",
            format!(
                "<img src=\"javascript:{j}\"><img src=\"data:image/svg+xml,<svg onload=alert(1)>\">\
                 <img src=\"jav&#x09;ascript:{j}\"><img src=\"DATA:image/png;base64,iVBORw0KGgo=\">"
            ),
        ),
        (
            "zero width space in scheme",
            format!("[x](java\u{200B}script:{j}) <a href=\"java&#x200B;script:{j}\">y</a>"),
        ),
        // -- elements that embed, navigate, submit or restyle ----------------
        (
            "iframes",
            format!(
                "<iframe src=\"javascript:parent.{j}\"></iframe>\
                 <iframe srcdoc=\"<script>parent.{j}</script>\"></iframe>\
                 <IFRAME SRC=https://tracker.example/></IFRAME>"
            ),
        ),
        (
            "frameset",
            format!("<frameset><frame src=\"javascript:{j}\"></frameset>"),
        ),
        (
            "object",
            format!(
                "<object data=\"javascript:{j}\"></object>\
                 <object data=\"data:text/html,<script>{j}</script>\"><param name=x value=y></object>"
            ),
        ),
        (
            "embed and applet",
            format!(
                "<embed src=\"javascript:{j}\"><embed src=\"https://tracker.example/x.swf\">\
                 <applet code=x archive=https://tracker.example/a.jar></applet>"
            ),
        ),
        (
            "form input formaction",
            format!(
                "<form action=\"javascript:{j}\"><input type=submit formaction=\"javascript:{j}\">\
                 <button formaction=\"javascript:{j}\">go</button>\
                 <input type=image src=\"https://tracker.example/i.png\"></form>"
            ),
        ),
        (
            "isindex and keygen",
            format!("<isindex action=javascript:{j}><keygen autofocus onfocus=\"{j}\">"),
        ),
        (
            "meta refresh",
            format!(
                "<meta http-equiv=\"refresh\" content=\"0;url=javascript:{j}\">\
                 <meta http-equiv=refresh content=\"0; url=https://tracker.example/\">"
            ),
        ),
        (
            "base href",
            format!("<base href=\"javascript:{j}//\"><base href=\"https://tracker.example/\">"),
        ),
        (
            "link elements",
            "<link rel=stylesheet href=http://tracker.example/s.css>\
             <link rel=prefetch href=//tracker.example/p>\
             <link rel=import href=https://tracker.example/i.html>"
                .to_string(),
        ),
        (
            "style element import expression",
            format!(
                "<style>@import 'http://tracker.example/s.css'; \
                 body{{background:url(http://tracker.example/bg.png)}} p{{width:expression({j})}}</style>"
            ),
        ),
        (
            "style attributes",
            format!(
                "<p style=\"background:url(http://tracker.example/p.gif)\">p</p>\
                 <div style=\"width:expression({j})\">d</div>\
                 <a href=\"https://example.org/\" style=\"position:fixed;top:0;left:0;width:100%;height:100%\">overlay</a>"
            ),
        ),
        (
            "svg foreignObject",
            format!(
                "<svg><foreignObject><img src=x onerror=\"{j}\">\
                 <iframe src=\"javascript:{j}\"></iframe></foreignObject></svg>"
            ),
        ),
        (
            "svg links and set",
            format!(
                "<svg><a xlink:href=\"javascript:{j}\"><text x=0 y=20>x</text></a>\
                 <set attributeName=href to=\"javascript:{j}\"/>\
                 <use href=\"data:image/svg+xml,<svg id='x'/>#x\"/></svg>"
            ),
        ),
        (
            "mathml links",
            format!(
                "<math href=\"javascript:{j}\"><mi xlink:href=\"javascript:{j}\">x</mi>\
                 <maction actiontype=statusline xlink:href=\"javascript:{j}\">y</maction></math>"
            ),
        ),
        // -- trackers: anything the reader's browser would fetch by itself ---
        (
            "img remote",
            "<img src=https://tracker.example/pixel.gif><img src=\"HTTP://TRACKER.EXAMPLE/P.GIF\">"
                .to_string(),
        ),
        (
            "img srcset and picture",
            "<img src=\"ok.png\" srcset=\"https://tracker.example/p.gif 1x, //tracker.example/q.gif 2x\">\
             <picture><source srcset=\"https://tracker.example/p.webp\"><img src=ok.png></picture>"
                .to_string(),
        ),
        (
            "img protocol-relative",
            "<img src=//tracker.example/x.png><img src=\"  //tracker.example/x.png\">\
             <img src=\"&#x2F;&#x2F;tracker.example/x.png\">"
                .to_string(),
        ),
        (
            "img backslash host",
            "<img src=\"\\\\tracker.example/p.gif\"><img src=\"/\\tracker.example/p.gif\">\
             <img src=\"\\/tracker.example/p.gif\">"
                .to_string(),
        ),
        (
            "img tab-split slashes",
            "<img src=\"/&#9;/tracker.example/p.gif\"><img src=\"/\n/tracker.example/q.gif\">"
                .to_string(),
        ),
        (
            "md image remote",
            "![pixel](https://tracker.example/pixel.gif) ![p2](HTTPS://tracker.example/p.gif \"t\")"
                .to_string(),
        ),
        (
            "md image protocol-relative",
            "![x](//tracker.example/x.png) ![y](<//tracker.example/y.png>)".to_string(),
        ),
        (
            "md image reference remote",
            "![x][t]\n\n[t]: //tracker.example/ref.png".to_string(),
        ),
        (
            "other fetching attributes",
            "<video poster=\"https://tracker.example/p.jpg\" src=\"https://tracker.example/v.mp4\"></video>\
             <table background=\"https://tracker.example/bg.gif\"><tr><td background=\"//tracker.example/td.gif\">c</td></tr></table>\
             <image src=\"//tracker.example/image.png\">\
             <img lowsrc=\"//tracker.example/l.png\" dynsrc=\"//tracker.example/d.avi\">"
                .to_string(),
        ),
        (
            "blob reference tricks",
            format!(
                "![a](blob:../../etc/passwd.png) ![b](blob:javascript:{j}) \
                 ![c](BLOB:{hex}.png) ![d](blob:{hex}.svg)"
            ),
        ),
        // -- text that must stay text ----------------------------------------
        (
            "bidi overrides in link text",
            "[\u{202E}gpj.exe](https://example.org/a) [\u{200F}\u{202B}x\u{202C}](https://example.org/b)"
                .to_string(),
        ),
        (
            "look-alike link text",
            format!(
                "[раураl.com](https://example.org/) [ｊａｖａｓｃｒｉｐｔ:alert](https://example.org/) \
                 [x](ｊａｖａｓｃｒｉｐｔ:{j})"
            ),
        ),
        ("script in code span", format!("`<script>{j}</script>`")),
        (
            "script in code block",
            format!("```html\n<script>{j}</script>\n```"),
        ),
        // -- nesting and broken markup ----------------------------------------
        (
            "nested blockquotes 500",
            format!("{} deep <img src=x onerror=\"{j}\">", ">".repeat(500)),
        ),
        (
            "nested lists 500",
            format!("{}deep <img src=x onerror=\"{j}\">", "1. ".repeat(500)),
        ),
        (
            "nested emphasis 500",
            format!("{}a{}", "*".repeat(500), "*".repeat(500)),
        ),
        (
            "unclosed and broken tags",
            format!(
                "<img src=x onerror=\"{j}\"\n\n<a href=\"javascript:{j}\n\n\
                 <div <script>{j}</script>\n\n<p>unclosed <b><i>\n\n"
            ),
        ),
        // Last on purpose where pages concatenate cases: these swallow what
        // follows them (the checks in chromium.rs place them).
        ("script unclosed", format!("<script>{j}")),
        ("plaintext", format!("<plaintext><script>{j}</script>")),
    ];
    cases
        .into_iter()
        .map(|(name, md)| Case { name, md })
        .collect()
}

// ---------------------------------------------------------------------------
// Structural checks.

pub fn parse(html: &str) -> RcDom {
    html5ever::parse_document(RcDom::default(), Default::default()).one(html)
}

/// One element of a parsed document.
pub struct El {
    pub handle: Handle,
    /// Local name, lowercase (as the HTML parser produced it).
    pub name: String,
    /// Namespace URL (HTML, SVG or MathML).
    pub ns: String,
    /// Attribute names with their prefix (`xlink:href`), and values.
    pub attrs: Vec<(String, String)>,
    pub in_head: bool,
}

impl El {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

const HTML_NS: &str = "http://www.w3.org/1999/xhtml";

/// Every element, in document order (iteratively: inputs nest deeply).
/// Template contents are walked too.
pub fn elements(dom: &RcDom) -> Vec<El> {
    let mut out = Vec::new();
    let mut stack: Vec<(Handle, bool)> = vec![(dom.document.clone(), false)];
    while let Some((node, in_head)) = stack.pop() {
        let mut child_in_head = in_head;
        if let NodeData::Element {
            name,
            attrs,
            template_contents,
            ..
        } = &node.data
        {
            let local = name.local.to_string();
            child_in_head = in_head || local == "head";
            out.push(El {
                handle: node.clone(),
                name: local,
                ns: name.ns.to_string(),
                attrs: attrs
                    .borrow()
                    .iter()
                    .map(|a| {
                        let n = match &a.name.prefix {
                            Some(p) => format!("{p}:{}", a.name.local),
                            None => a.name.local.to_string(),
                        };
                        (n, a.value.to_string())
                    })
                    .collect(),
                in_head: child_in_head,
            });
            if let Some(t) = template_contents.borrow().as_ref() {
                stack.push((t.clone(), child_in_head));
            }
        }
        for c in node.children.borrow().iter().rev() {
            stack.push((c.clone(), child_in_head));
        }
    }
    out
}

/// All text under `node`.
pub fn text(node: &Handle) -> String {
    let mut out = String::new();
    let mut stack = vec![node.clone()];
    while let Some(n) = stack.pop() {
        if let NodeData::Text { contents } = &n.data {
            out.push_str(&contents.borrow());
        }
        for c in n.children.borrow().iter().rev() {
            stack.push(c.clone());
        }
    }
    out
}

/// Elements a Markdown body may never produce.
pub const FORBIDDEN: [&str; 25] = [
    "script", "iframe", "object", "embed", "form", "input", "button", "meta", "base", "link",
    "style", "svg", "math", "frame", "frameset", "applet", "textarea", "select", "template",
    "noscript", "video", "audio", "source", "picture", "image",
];

/// What markdown.rs allows through, plus what the parser adds around a
/// fragment (html, head, body).
const BODY_ALLOWED: [&str; 37] = [
    "html",
    "head",
    "body",
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "div",
    "em",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "section",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
];

/// Attributes that hold a URL a click or the page itself may follow.
const URL_ATTRS: [&str; 16] = [
    "href",
    "xlink:href",
    "src",
    "srcset",
    "action",
    "formaction",
    "poster",
    "background",
    "data",
    "cite",
    "ping",
    "lowsrc",
    "dynsrc",
    "codebase",
    "longdesc",
    "to",
];

/// Attributes whose URL the browser fetches without a click.
const FETCH_ATTRS: [&str; 7] = [
    "src",
    "srcset",
    "poster",
    "background",
    "data",
    "lowsrc",
    "dynsrc",
];

const BAD_SCHEMES: [&str; 5] = ["javascript:", "vbscript:", "data:", "livescript:", "mocha:"];

/// As the dangerous-scheme check sees a URL: trimmed, lowercased, with every
/// ASCII whitespace and control character removed (browsers drop tabs and
/// newlines anywhere in a URL and C0 controls and spaces around it).
pub fn normalize_url(v: &str) -> String {
    v.trim()
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_ascii_control())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Whether a browser resolves `v` within the page's own origin: no scheme and
/// no authority. Backslashes count as slashes, as browsers parse http(s) and
/// file URLs.
pub fn is_local_url(v: &str) -> bool {
    let n = normalize_url(v).replace('\\', "/");
    if n.starts_with("//") {
        return false;
    }
    let first = n.split(['/', '?', '#']).next().unwrap_or("");
    !first.contains(':')
}

fn check_attrs(label: &str, el: &El, out: &mut Vec<String>) {
    for (name, value) in &el.attrs {
        let lname = name.to_ascii_lowercase();
        if lname.starts_with("on") {
            out.push(format!(
                "{label}: <{}> has event handler {name}={value:?}",
                el.name
            ));
        }
        if lname == "style" {
            out.push(format!("{label}: <{}> has style={value:?}", el.name));
        }
        if URL_ATTRS.contains(&lname.as_str()) {
            let n = normalize_url(value);
            if let Some(s) = BAD_SCHEMES.iter().find(|s| n.starts_with(*s)) {
                out.push(format!(
                    "{label}: <{} {name}={value:?}> is a {s} URL",
                    el.name
                ));
            }
        }
        if FETCH_ATTRS.contains(&lname.as_str()) {
            // srcset is a list of "url descriptor" pairs.
            let urls: Vec<&str> = if lname == "srcset" {
                value
                    .split(',')
                    .filter_map(|c| c.split_whitespace().next())
                    .collect()
            } else {
                vec![value.as_str()]
            };
            for u in urls {
                if !is_local_url(u) {
                    out.push(format!(
                        "{label}: <{} {name}={value:?}> loads from another host",
                        el.name
                    ));
                }
            }
        }
    }
}

/// Checks HTML produced by `markdown::render`. Returns every violation found.
pub fn check_body_html(label: &str, html: &str) -> Vec<String> {
    let dom = parse(html);
    let mut out = Vec::new();
    for el in elements(&dom) {
        if FORBIDDEN.contains(&el.name.as_str()) {
            out.push(format!("{label}: forbidden element <{}>", el.name));
        } else if !BODY_ALLOWED.contains(&el.name.as_str()) {
            out.push(format!("{label}: unexpected element <{}>", el.name));
        }
        if el.ns != HTML_NS {
            out.push(format!(
                "{label}: <{}> in foreign namespace {}",
                el.name, el.ns
            ));
        }
        check_attrs(label, &el, &mut out);
    }
    out
}

/// What a page's structure is, once checked.
pub struct PageFacts {
    pub dom: RcDom,
    /// The JSON-LD block, parsed, if the page has one that parses.
    pub json_ld: Option<serde_json::Value>,
}

/// Checks a whole rendered page: the only script is one JSON-LD block in the
/// head (if `json_ld` is expected) whose text is JSON, the CSP meta element is
/// there, nothing in the body embeds, runs, submits or restyles, and nothing
/// anywhere loads from another host.
pub fn check_page(label: &str, html: &str, expect_json_ld: bool) -> (PageFacts, Vec<String>) {
    let dom = parse(html);
    let els = elements(&dom);
    let mut out = Vec::new();
    let mut json_ld = None;
    let mut scripts = 0;
    let mut csp = false;
    for el in &els {
        let name = el.name.as_str();
        check_attrs(label, el, &mut out);
        if el.ns != HTML_NS {
            out.push(format!("{label}: <{name}> in foreign namespace {}", el.ns));
        }
        match name {
            "script" => {
                scripts += 1;
                let ty = el.attr("type").unwrap_or("");
                if !el.in_head
                    || ty != "application/ld+json"
                    || !el.attrs.iter().all(|(n, _)| n == "type")
                {
                    out.push(format!(
                        "{label}: script element (type={ty:?}, in head: {}, attributes {:?})",
                        el.in_head, el.attrs
                    ));
                    continue;
                }
                let body = text(&el.handle);
                match serde_json::from_str::<serde_json::Value>(&body) {
                    Ok(v) => json_ld = Some(v),
                    Err(e) => {
                        let shown: String = body.chars().take(300).collect();
                        out.push(format!(
                            "{label}: the JSON-LD script's text is not JSON ({e}); it starts {shown:?} and has {} bytes",
                            body.len()
                        ));
                    }
                }
            }
            "meta" => {
                if !el.in_head {
                    out.push(format!("{label}: <meta> outside head: {:?}", el.attrs));
                }
                if let Some(h) = el.attr("http-equiv") {
                    if h.eq_ignore_ascii_case("content-security-policy") {
                        let c = el.attr("content").unwrap_or("");
                        if c.split(';').any(|d| d.trim() == "default-src 'none'") {
                            csp = true;
                        } else {
                            out.push(format!("{label}: CSP without default-src 'none': {c:?}"));
                        }
                    } else if h.eq_ignore_ascii_case("refresh")
                        && el
                            .attr("content")
                            .and_then(|c| c.strip_prefix("0; url="))
                            .is_some_and(|u| is_local_url(u) && !u.starts_with('/'))
                    {
                        // A moved page (the root's coop/, mirrors/) sends
                        // readers on within the copy, relatively.
                    } else {
                        out.push(format!("{label}: <meta http-equiv={h:?}>"));
                    }
                }
            }
            "link" => {
                let rel = el.attr("rel").unwrap_or("").to_ascii_lowercase();
                let href = el.attr("href").unwrap_or("");
                if !el.in_head {
                    out.push(format!("{label}: <link> outside head: {:?}", el.attrs));
                }
                match rel.as_str() {
                    "canonical" | "alternate" => {}
                    "stylesheet" | "icon" | "prev" | "next" if is_local_url(href) => {}
                    _ => out.push(format!("{label}: <link rel={rel:?} href={href:?}>")),
                }
            }
            "title" if el.in_head => {}
            _ if FORBIDDEN.contains(&name) || name == "title" => {
                out.push(format!("{label}: forbidden element <{name}>"));
            }
            _ => {}
        }
    }
    if expect_json_ld && scripts != 1 {
        out.push(format!(
            "{label}: {scripts} script elements, expected exactly one (JSON-LD)"
        ));
    }
    if !expect_json_ld && scripts != 0 {
        out.push(format!("{label}: {scripts} script elements, expected none"));
    }
    if !csp {
        out.push(format!(
            "{label}: no <meta http-equiv=\"Content-Security-Policy\"> with default-src 'none'"
        ));
    }
    (PageFacts { dom, json_ld }, out)
}

/// The `div.body` of an article page, if present.
pub fn article_body(dom: &RcDom) -> Option<Handle> {
    elements(dom)
        .into_iter()
        .find(|e| e.name == "div" && e.attr("class") == Some("body"))
        .map(|e| e.handle)
}

/// The first element named `name`.
pub fn first(dom: &RcDom, name: &str) -> Option<Handle> {
    elements(dom)
        .into_iter()
        .find(|e| e.name == name)
        .map(|e| e.handle)
}

pub fn fail_if_any(what: &str, violations: &[String]) {
    if !violations.is_empty() {
        panic!(
            "{} violation(s) {what}:\n  {}",
            violations.len(),
            violations.join("\n  ")
        );
    }
}
