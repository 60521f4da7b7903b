//! Which pages a render makes: every one, or those a run of entries
//! ([`Changes`]) can alter. Shared by the pages and the feeds.

use erkin_core::articles::Listing;

use erkin_core::changes::Changes;

/// Items on one page of any list.
pub const PER_PAGE: usize = 30;

/// How a newest-first list of `len` items is paged so that a new item costs
/// a constant number of pages, whatever the archive's size: `index.html`
/// (page 0 here) shows the newest `PER_PAGE`; beyond that, numbered pages
/// hold fixed chunks counted from the oldest (page 1 = the oldest
/// `PER_PAGE`). A new item rewrites the index and the newest numbered page
/// (and the one before it when a chunk fills), never the older pages, and
/// no page names the total.
pub(crate) struct Paging {
    len: usize,
    /// Numbered pages: none while the index shows everything.
    pub(crate) numbered: usize,
}

impl Paging {
    pub(crate) fn new(len: usize) -> Self {
        let numbered = if len > PER_PAGE {
            len.div_ceil(PER_PAGE)
        } else {
            0
        };
        Paging { len, numbered }
    }

    /// Positions in the newest-first list shown on page `n`.
    pub(crate) fn range(&self, n: usize) -> std::ops::Range<usize> {
        if n == 0 {
            return 0..self.len.min(PER_PAGE);
        }
        // Oldest-first chunk [(n-1)·P, n·P), mirrored into newest-first.
        let end = (n * PER_PAGE).min(self.len);
        (self.len - end)..(self.len - (n - 1) * PER_PAGE)
    }

    /// The newer and the older neighbour of page `n` (0 is the index).
    pub(crate) fn links(&self, n: usize) -> (Option<usize>, Option<usize>) {
        if n == 0 {
            // Older: the numbered page holding the first item the index
            // doesn't show.
            let older = (self.len > PER_PAGE).then(|| (self.len - 1 - PER_PAGE) / PER_PAGE + 1);
            return (None, older);
        }
        let newer = if n < self.numbered { n + 1 } else { 0 };
        (Some(newer), (n > 1).then(|| n - 1))
    }
}
/// Tag sections on a front page, and articles in each.
pub(crate) const FRONT_SECTIONS: usize = 4;
pub(crate) const FRONT_SECTION_ITEMS: usize = 3;
/// A small set of names (the slugs, tags, authors a change names), asked
/// about once per article of the archive: a sorted list, scanned or
/// searched, cheaper there than hashing every name asked about.
#[derive(Default)]
pub(crate) struct Few<'a>(Vec<&'a str>);

impl<'a> FromIterator<&'a str> for Few<'a> {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Self {
        let mut v: Vec<&str> = iter.into_iter().collect();
        v.sort_unstable();
        v.dedup();
        Few(v)
    }
}

impl<'a> Few<'a> {
    pub(crate) fn contains(&self, name: &str) -> bool {
        if self.0.len() <= 8 {
            self.0.contains(&name)
        } else {
            self.0.binary_search(&name).is_ok()
        }
    }

    /// The name of these whose UTF-8 is `name`, if any.
    pub(crate) fn find_bytes(&self, name: &[u8]) -> Option<&'a str> {
        if self.0.len() <= 8 {
            self.0.iter().copied().find(|n| n.as_bytes() == name)
        } else {
            // A `str`'s order is its bytes' order.
            self.0
                .binary_search_by(|n| n.as_bytes().cmp(name))
                .ok()
                .map(|i| self.0[i])
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.0.iter().copied()
    }
}

/// Which pages a render makes: every one, or those a run of entries
/// ([`Changes`]) can alter.
pub(crate) struct Pick<'a> {
    pub(crate) all: bool,
    /// Articles whose entries in lists changed (published or altered).
    pub(crate) listed: Few<'a>,
    /// Articles new to every list that holds them.
    pub(crate) published: Few<'a>,
    /// The cooperative's and mirrors' pages.
    pub(crate) governance: bool,
    /// The cooperative's front page (it names the offset at the log time).
    pub(crate) clock: bool,
}

impl<'a> Pick<'a> {
    pub(crate) fn new(changes: Option<&'a Changes>) -> Self {
        match changes.filter(|c| !c.everything) {
            None => Pick {
                all: true,
                listed: Few::default(),
                published: Few::default(),
                governance: true,
                clock: true,
            },
            Some(c) => Pick {
                all: false,
                listed: c.articles().collect(),
                published: c.published.iter().map(String::as_str).collect(),
                governance: c.governance,
                clock: c.clock,
            },
        }
    }

    /// The pages of a paged list of `len` items (newest first) to render:
    /// the index; the numbered page of each changed item; from a new item's
    /// page to the newest numbered page (items after it moved up), and the
    /// one before the newest (its link to a newer page). `touched`: the
    /// changed articles of the list's section (those of them in `items`
    /// are found by their dates, not by a scan of the list). `items`: the
    /// list's newest items, of `len` in all.
    pub(crate) fn pages(
        &self,
        items: &[&Listing],
        len: usize,
        chunk: usize,
        touched: &[Listing],
    ) -> Vec<usize> {
        let at = touched
            .iter()
            .filter_map(|a| place(items, a).map(|i| (i, self.published.contains(a.slug))));
        self.pages_at(len, chunk, at)
    }

    /// [`Pick::pages`] of the changed items at places `at` of the list
    /// (each with whether it is new to it).
    pub(crate) fn pages_at(
        &self,
        len: usize,
        chunk: usize,
        at: impl Iterator<Item = (usize, bool)>,
    ) -> Vec<usize> {
        let numbered = if len > chunk { len.div_ceil(chunk) } else { 0 };
        if self.all {
            return (0..=numbered).collect();
        }
        let mut set = std::collections::BTreeSet::from([0]);
        if numbered > 0 {
            for (i, published) in at {
                let n = (len - 1 - i) / chunk + 1;
                set.insert(n);
                if published {
                    set.extend(n..=numbered);
                    set.insert(numbered - 1);
                }
            }
        }
        set.into_iter().collect()
    }
}

/// Where `l` is in `list` (newest first, ties in slug order, as every list
/// of a render is): found by its date, then among the articles of the same
/// second.
pub(crate) fn place(list: &[&Listing], l: &Listing) -> Option<usize> {
    let start = list.partition_point(|a| a.published_at > l.published_at);
    list[start..]
        .iter()
        .take_while(|a| a.published_at == l.published_at)
        .position(|a| a.slug == l.slug)
        .map(|i| start + i)
}
