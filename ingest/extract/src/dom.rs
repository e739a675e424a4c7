//! A flat, pre-order index over the element nodes of the parsed tree.
//!
//! Built in one iterative walk (no recursion, so 100,000-deep trees are
//! fine). Entry `i`'s subtree is the index range `i+1..end`, which makes
//! "is an ancestor of" and "skip this subtree" O(1). Text lengths are counted
//! here without allocating; later stages only read this index.

use crate::clean::approx_len;
use crate::hints::{self, Scratch};
use ego_tree::NodeRef;
use ego_tree::iter::Edge;
use scraper::{Html, Node};

pub(crate) use crate::tags::Tag;

pub(crate) const JUNK: u16 = 1; // this element is boilerplate
pub(crate) const IN_JUNK: u16 = 2; // it or an ancestor is
pub(crate) const IN_ARTICLE: u16 = 4; // inside <article>/<main>/articleBody
pub(crate) const BYLINE: u16 = 8; // named like a byline/author box
pub(crate) const BLOCK_CHILD: u16 = 16; // has a block-level child element
pub(crate) const ARTICLE_BODY: u16 = 32; // itemprop=articleBody
pub(crate) const IN_LINK: u16 = 64; // inside <a>
pub(crate) const DATEISH: u16 = 128; // named like a date holder
const HINT_JUNK: u16 = 256; // junk only because of its class/id
const HOLDS_CONTENT: u16 = 512; // has an <article>/<main>/articleBody/strong-hint descendant

/// One element of the index.
pub(crate) struct El<'a> {
    pub node: NodeRef<'a, Node>,
    pub parent: u32,
    /// One past the last descendant's index.
    pub end: u32,
    pub tag: Tag,
    pub flags: u16,
    /// Strength of a positive class/id hint (0..=2).
    pub positive: u8,
    /// Visible characters in direct text children.
    pub own_text: u32,
    /// Visible characters in the non-junk subtree.
    pub text: u32,
    /// Of `text`, characters inside links.
    pub link_text: u32,
}

impl<'a> El<'a> {
    pub(crate) fn attr(&self, name: &str) -> Option<&'a str> {
        self.node.value().as_element().and_then(|e| e.attr(name))
    }
}

pub(crate) const NONE: u32 = u32::MAX;

/// The index plus the elements metadata extraction looks at, collected
/// during the same walk.
pub(crate) struct Doc<'a> {
    pub els: Vec<El<'a>>,
    pub metas: Vec<u32>,
    pub links: Vec<u32>,
    pub json_ld: Vec<u32>,
    pub times: Vec<u32>,
    pub itemprops: Vec<u32>,
    pub h1s: Vec<u32>,
    pub bylines: Vec<u32>,
    pub dateish: Vec<u32>,
    pub title: Option<u32>,
    pub body: Option<u32>,
}

impl<'a> Doc<'a> {
    pub(crate) fn build(html: &'a Html) -> Doc<'a> {
        let mut doc = Doc {
            els: Vec::with_capacity(2048),
            metas: Vec::new(),
            links: Vec::new(),
            json_ld: Vec::new(),
            times: Vec::new(),
            itemprops: Vec::new(),
            h1s: Vec::new(),
            bylines: Vec::new(),
            dateish: Vec::new(),
            title: None,
            body: None,
        };
        let mut stack: Vec<u32> = Vec::with_capacity(64);
        let mut scratch = Scratch::default();
        for edge in html.tree.root().traverse() {
            match edge {
                Edge::Open(node) => match node.value() {
                    Node::Element(e) => {
                        let idx = doc.els.len() as u32;
                        let parent = stack.last().copied().unwrap_or(NONE);
                        let tag = Tag::from_name(e.name());
                        let pflags = if parent == NONE { 0 } else { doc.els[parent as usize].flags };
                        let a = Attrs::of(e);
                        let hint = hints::classify(a.class, a.id, a.role, &mut scratch);
                        let itemprop = a.itemprop;
                        let mut flags = pflags & (IN_JUNK | IN_ARTICLE | IN_LINK);
                        let mut positive = hint.positive;
                        if itemprop.is_some_and(|p| p.eq_ignore_ascii_case("articleBody")) {
                            flags |= ARTICLE_BODY | IN_ARTICLE;
                            positive = 2;
                        }
                        if matches!(tag, Tag::Article | Tag::Main) {
                            flags |= IN_ARTICLE;
                        }
                        if tag == Tag::A {
                            flags |= IN_LINK;
                        }
                        // React streaming SSR delivers content in <div hidden id="S:1">
                        // segments that a script moves into place: not hidden content.
                        let react_segment = a.id.is_some_and(|id| id.starts_with("S:"));
                        let hidden = (a.hidden && !react_segment)
                            || a.aria_hidden.is_some_and(|v| v.trim() == "true")
                            || a.style.is_some_and(style_hides);
                        let protected = matches!(tag, Tag::Html | Tag::Body | Tag::Article | Tag::Main)
                            || flags & ARTICLE_BODY != 0;
                        let junk = tag.always_junk()
                            || (tag == Tag::Header && pflags & IN_ARTICLE == 0)
                            || hidden
                            || (hint.junk && !protected);
                        if junk {
                            flags |= JUNK | IN_JUNK;
                            if !(tag.always_junk() || hidden || tag == Tag::Header) {
                                flags |= HINT_JUNK;
                            }
                        }
                        if hint.byline {
                            flags |= BYLINE;
                            doc.bylines.push(idx);
                        }
                        if hint.date {
                            flags |= DATEISH;
                            doc.dateish.push(idx);
                        }
                        if parent != NONE && tag.is_block() {
                            doc.els[parent as usize].flags |= BLOCK_CHILD;
                        }
                        match tag {
                            Tag::Meta => doc.metas.push(idx),
                            Tag::Link => doc.links.push(idx),
                            Tag::Script
                                if e.attr("type")
                                    .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json")) =>
                            {
                                doc.json_ld.push(idx);
                            }
                            Tag::Time => doc.times.push(idx),
                            Tag::H1 => doc.h1s.push(idx),
                            Tag::Title if doc.title.is_none() => doc.title = Some(idx),
                            Tag::Body if doc.body.is_none() => doc.body = Some(idx),
                            _ => {}
                        }
                        if itemprop.is_some() && tag != Tag::Meta {
                            doc.itemprops.push(idx);
                        }
                        doc.els.push(El {
                            node,
                            parent,
                            end: idx + 1,
                            tag,
                            flags,
                            positive,
                            own_text: 0,
                            text: 0,
                            link_text: 0,
                        });
                        stack.push(idx);
                    }
                    Node::Text(t) => {
                        if let Some(&top) = stack.last() {
                            let el = &mut doc.els[top as usize];
                            // Script/style text is never article text: don't count it.
                            if !matches!(el.tag, Tag::Script | Tag::Style | Tag::Template | Tag::Noscript | Tag::Svg) {
                                let n = approx_len(t) as u32;
                                el.own_text = el.own_text.saturating_add(n);
                            }
                        }
                    }
                    _ => {}
                },
                Edge::Close(node) => {
                    if node.value().is_element()
                        && let Some(idx) = stack.pop()
                    {
                        doc.els[idx as usize].end = doc.els.len() as u32;
                    }
                }
            }
        }
        doc.unjunk_content_holders();
        doc.aggregate();
        doc
    }

    /// A container named like boilerplate ("sticky", "tag-x" on a WordPress
    /// post, "dialog-off-canvas" page wrappers) that holds the article's
    /// semantic container is not boilerplate: clear its hint-junk and
    /// recompute inherited junk flags.
    fn unjunk_content_holders(&mut self) {
        let mut changed = false;
        for i in (0..self.els.len()).rev() {
            let e = &self.els[i];
            let holds = e.flags & HOLDS_CONTENT != 0;
            let is_content =
                matches!(e.tag, Tag::Article | Tag::Main) || e.flags & ARTICLE_BODY != 0 || e.positive == 2;
            if holds && e.flags & HINT_JUNK != 0 {
                self.els[i].flags &= !(JUNK | HINT_JUNK);
                changed = true;
            }
            let parent = self.els[i].parent;
            if parent != NONE && (holds || is_content) {
                self.els[parent as usize].flags |= HOLDS_CONTENT;
            }
        }
        if changed {
            for i in 0..self.els.len() {
                let parent = self.els[i].parent;
                let inherited = parent != NONE && self.els[parent as usize].flags & IN_JUNK != 0;
                let e = &mut self.els[i];
                e.flags &= !IN_JUNK;
                if inherited || e.flags & JUNK != 0 {
                    e.flags |= IN_JUNK;
                }
            }
        }
    }

    /// Sums text and link-text lengths bottom-up, leaving junk subtrees out.
    /// Reverse pre-order visits every child before its parent.
    pub(crate) fn aggregate(&mut self) {
        for i in 0..self.els.len() {
            let el = &mut self.els[i];
            el.text = el.own_text;
            el.link_text = 0;
        }
        for i in (0..self.els.len()).rev() {
            let (text, mut link, parent, flags, tag) = {
                let e = &self.els[i];
                (e.text, e.link_text, e.parent, e.flags, e.tag)
            };
            if tag == Tag::A {
                link = text;
                self.els[i].link_text = text;
            }
            if parent != NONE && flags & JUNK == 0 {
                let p = &mut self.els[parent as usize];
                p.text = p.text.saturating_add(text);
                p.link_text = p.link_text.saturating_add(link);
            }
        }
    }

    /// Is `anc` a proper ancestor of `i`?
    pub(crate) fn contains(&self, anc: u32, i: u32) -> bool {
        anc < i && i < self.els[anc as usize].end
    }

    /// All text under element `i` (junk included), normalised. For short
    /// fields (titles, bylines, dates), capped at `cap` characters.
    pub(crate) fn text_of(&self, i: u32, cap: usize) -> String {
        let mut out = String::new();
        let mut pending = false;
        for n in self.els[i as usize].node.descendants() {
            if let Node::Text(t) = n.value() {
                crate::clean::push_normalized(&mut out, t, &mut pending);
                if out.len() > cap {
                    break;
                }
            }
        }
        out
    }
}

/// The attributes the walk looks at, read in one pass over the element's
/// attribute list instead of one scan per name.
#[derive(Default)]
struct Attrs<'a> {
    class: Option<&'a str>,
    id: Option<&'a str>,
    role: Option<&'a str>,
    itemprop: Option<&'a str>,
    aria_hidden: Option<&'a str>,
    style: Option<&'a str>,
    hidden: bool,
}

impl<'a> Attrs<'a> {
    fn of(e: &'a scraper::node::Element) -> Self {
        let mut a = Attrs::default();
        for (name, value) in e.attrs() {
            match name {
                "class" => a.class = Some(value),
                "id" => a.id = Some(value),
                "role" => a.role = Some(value),
                "itemprop" => a.itemprop = Some(value),
                "aria-hidden" => a.aria_hidden = Some(value),
                "style" => a.style = Some(value),
                "hidden" => a.hidden = true,
                _ => {}
            }
        }
        a
    }
}

/// `style="display:none"` / `visibility:hidden`, spaces ignored.
fn style_hides(style: &str) -> bool {
    if style.len() > 500 {
        return false;
    }
    let lower = style.to_ascii_lowercase();
    if !lower.contains("none") && !lower.contains("hidden") {
        return false;
    }
    let s: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
    s.contains("display:none") || s.contains("visibility:hidden")
}

impl Doc<'_> {
    /// Marks element `i` and its subtree as junk (per-site removals); call
    /// [`Doc::aggregate`] afterwards.
    pub(crate) fn mark_junk(&mut self, i: u32) {
        let end = self.els[i as usize].end;
        self.els[i as usize].flags |= JUNK | IN_JUNK;
        for e in &mut self.els[i as usize + 1..end as usize] {
            e.flags |= IN_JUNK;
        }
    }

    /// Raw (unnormalised) text of element `i`, for script contents.
    pub(crate) fn text_of_raw(&self, i: u32) -> String {
        let mut out = String::new();
        for n in self.els[i as usize].node.children() {
            if let Node::Text(t) = n.value() {
                out.push_str(t);
            }
        }
        out
    }
}
