//! Turning the chosen subtrees into paragraphs of plain text.
//!
//! One iterative walk per root over the real tree, kept in step with the flat
//! index so junk subtrees are skipped without lookups. Every block element
//! and `<br>` ends a paragraph; paragraphs that are mostly links, known
//! boilerplate lines, or repeats of earlier ones are dropped.

use crate::clean::{is_boilerplate_line, push_normalized};
use crate::dom::{Doc, IN_JUNK, IN_LINK, Tag};
use scraper::Node;
use std::collections::HashSet;

struct Para {
    buf: String,
    chars: usize,
    link_chars: usize,
    pending_space: bool,
    heading: bool,
}

pub(crate) struct Rendered {
    pub paragraphs: Vec<String>,
}

struct Out<'t> {
    cur: Para,
    paras: Vec<String>,
    seen: HashSet<u64>,
    title: Option<&'t str>,
}

fn hash(s: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

impl Out<'_> {
    fn flush(&mut self) {
        let p = std::mem::replace(
            &mut self.cur,
            Para { buf: String::new(), chars: 0, link_chars: 0, pending_space: false, heading: false },
        );
        let text = p.buf.trim();
        if text.is_empty() {
            return;
        }
        // Mostly-link paragraphs are menus and "related" lists; a heading
        // that is a link (teaser title) goes too.
        if p.link_chars * 2 > p.chars && (p.chars < 200 || p.link_chars * 10 > p.chars * 9) {
            return;
        }
        if is_boilerplate_line(text) && !p.heading {
            return;
        }
        // The headline repeated at the top, also with other punctuation.
        if self.paras.len() < 3 && self.title.is_some_and(|t| t == text || crate::title::same_words(t, text)) {
            return;
        }
        if !self.seen.insert(hash(text)) {
            return; // duplicated caption / teaser
        }
        self.paras.push(text.to_string());
    }

    fn push_text(&mut self, t: &str, in_link: bool) {
        let before = self.cur.buf.len();
        push_normalized(&mut self.cur.buf, t, &mut self.cur.pending_space);
        let added = self.cur.buf[before..].chars().filter(|c| *c != ' ').count();
        self.cur.chars += added;
        if in_link {
            self.cur.link_chars += added;
        }
    }
}

/// Renders the subtrees at `roots` (indices into `doc`) in order.
pub(crate) fn render(doc: &Doc, roots: &[u32], title: Option<&str>) -> Rendered {
    let mut out = Out {
        cur: Para { buf: String::new(), chars: 0, link_chars: 0, pending_space: false, heading: false },
        paras: Vec::new(),
        seen: HashSet::new(),
        title,
    };
    for &r in roots {
        render_one(doc, r, &mut out);
        out.flush();
    }
    let mut paragraphs = out.paras;
    // Trim kicker/label fragments from both ends (but keep a lone paragraph).
    let keep_from = paragraphs.iter().position(|p| !crate::clean::is_edge_fragment(p)).unwrap_or(0);
    paragraphs.drain(..keep_from);
    while paragraphs.len() > 1 && paragraphs.last().is_some_and(|p| crate::clean::is_edge_fragment(p)) {
        paragraphs.pop();
    }
    Rendered { paragraphs }
}

fn render_one(doc: &Doc, root: u32, out: &mut Out) {
    let els = &doc.els;
    let Some(root_el) = els.get(root as usize) else { return };
    if root_el.flags & IN_JUNK != 0 {
        return;
    }
    // Explicit stack of (element index, next child to visit). Elements are
    // met in pre-order, so the flat index of the next element is a counter;
    // skipping a junk subtree jumps the counter to its `end`.
    let mut next = root + 1;
    enter_el(root_el.tag, out);
    let mut stack = vec![(root, root_el.node.first_child())];
    while let Some(top) = stack.last_mut() {
        let Some(child) = top.1 else {
            let idx = top.0;
            stack.pop();
            if els[idx as usize].tag.is_block() {
                out.flush();
            }
            continue;
        };
        top.1 = child.next_sibling();
        let parent_idx = top.0;
        match child.value() {
            Node::Text(t) => {
                let in_link = els[parent_idx as usize].flags & IN_LINK != 0;
                out.push_text(t, in_link);
            }
            Node::Element(_) => {
                let idx = next;
                let Some(e) = els.get(idx as usize) else { return };
                if e.flags & IN_JUNK != 0 {
                    next = e.end;
                    continue;
                }
                next += 1;
                enter_el(e.tag, out);
                stack.push((idx, child.first_child()));
            }
            _ => {}
        }
    }
}

fn enter_el(tag: Tag, out: &mut Out) {
    if tag.is_block() || tag == Tag::Br {
        out.flush();
        out.cur.heading = tag.is_heading();
    }
}
