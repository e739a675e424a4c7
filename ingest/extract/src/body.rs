//! Choosing the element(s) that hold the article text.
//!
//! Readability-style scoring on the flat index: every paragraph-like leaf
//! block with enough text and few links gives points to its ancestors
//! (decaying with distance); candidates are weighted by link density and
//! class/id/semantic hints. The best candidate is widened to its enclosing
//! `<article>` when that adds only a little text (lead paragraphs often sit
//! in the article header), and siblings that score well are appended.

use crate::dom::{ARTICLE_BODY, BLOCK_CHILD, Doc, IN_JUNK, NONE, Tag};

/// Minimum visible characters for a block to count as a paragraph.
const MIN_BLOCK: u32 = 25;

/// The chosen roots (in document order) and why.
pub(crate) struct Pick {
    pub roots: Vec<u32>,
}

fn block_score(text: u32, link: u32) -> Option<f32> {
    if text < MIN_BLOCK || link.saturating_mul(2) > text {
        return None;
    }
    Some(1.0 + (text as f32 / 100.0).min(3.0))
}

/// Scores all candidates; `None` when the page has no paragraph-like text.
pub(crate) fn pick(doc: &Doc) -> Option<Pick> {
    let els = &doc.els;
    let n = els.len();
    let mut acc = vec![0f32; n];
    // Text of qualifying blocks per subtree (bottom-up, see below).
    let mut good = vec![0u32; n];
    let mut i = 0usize;
    while i < n {
        let e = &els[i];
        if e.flags & IN_JUNK != 0 {
            i = e.end as usize; // skip the whole junk subtree
            continue;
        }
        let s = if e.flags & BLOCK_CHILD == 0 && e.tag.is_block() && !e.tag.is_heading() {
            block_score(e.text, e.link_text)
        } else if e.own_text >= 2 * MIN_BLOCK {
            // Text directly in a container with block children (<br>-separated pages).
            block_score(e.own_text, 0)
        } else {
            None
        };
        if let Some(s) = s {
            good[i] = if e.flags & BLOCK_CHILD == 0 { e.text } else { e.own_text };
            let mut p = e.parent;
            let mut level = 0u32;
            while p != NONE && level < 5 {
                let div = match level {
                    0 => 1.0,
                    1 => 2.0,
                    l => l as f32 * 3.0,
                };
                acc[p as usize] += s / div;
                p = els[p as usize].parent;
                level += 1;
            }
        }
        i += 1;
    }

    for j in (1..n).rev() {
        let p = els[j].parent;
        if p != NONE && els[j].flags & IN_JUNK == 0 {
            good[p as usize] = good[p as usize].saturating_add(good[j]);
        }
    }

    let final_score = |j: usize| -> f32 {
        let e = &els[j];
        if acc[j] <= 0.0 {
            return 0.0;
        }
        let ld = if e.text > 0 { e.link_text as f32 / e.text as f32 } else { 0.0 };
        let mut bonus = match e.positive {
            2 => 25.0,
            1 => 5.0,
            _ => 0.0,
        };
        if e.flags & ARTICLE_BODY != 0 {
            bonus += 25.0;
        }
        if matches!(e.tag, Tag::Article | Tag::Main) {
            bonus += 10.0;
        }
        let page_level = if matches!(e.tag, Tag::Body | Tag::Html) { 0.9 } else { 1.0 };
        (acc[j] + bonus) * (1.0 - ld) * page_level
    };

    let mut best = NONE;
    let mut best_score = 0f32;
    for j in 0..n {
        if acc[j] > 0.0 && els[j].flags & IN_JUNK == 0 {
            let s = final_score(j);
            if s > best_score {
                best_score = s;
                best = j as u32;
            }
        }
    }
    if best == NONE {
        return None;
    }

    // Widen to the enclosing <article> when it holds little else.
    let mut top = best;
    let mut p = els[top as usize].parent;
    let mut hops = 0;
    while p != NONE && hops < 6 {
        let pe = &els[p as usize];
        if pe.tag == Tag::Article || pe.flags & ARTICLE_BODY != 0 {
            if els[top as usize].text as f32 >= 0.6 * pe.text as f32 {
                top = p;
            }
            break;
        }
        if matches!(pe.tag, Tag::Body | Tag::Main) {
            break;
        }
        p = pe.parent;
        hops += 1;
    }

    // Climb while the parent holds clearly more paragraph text and is
    // itself mostly paragraph text with few links (slideshows, articles
    // split into several section containers).
    for _ in 0..4 {
        let p = els[top as usize].parent;
        if p == NONE {
            break;
        }
        let pe = &els[p as usize];
        if matches!(pe.tag, Tag::Body | Tag::Html) {
            break;
        }
        let (g, gp) = (good[top as usize] as f32, good[p as usize] as f32);
        if gp >= 1.4 * g && gp >= 0.6 * pe.text as f32 && pe.link_text.saturating_mul(4) < pe.text {
            top = p;
        } else {
            break;
        }
    }

    // Articles split into repeated blocks (one per section or slide, with
    // images or ads between them): if the top candidate or one of its
    // near ancestors has siblings of the same tag and class that also hold
    // paragraph text, take them all.
    // The level whose twin set carries the most text wins.
    let mut level = top;
    let mut best_twins: Option<(u64, Vec<u32>)> = None;
    for _ in 0..4 {
        let le = &els[level as usize];
        if le.parent == NONE || matches!(le.tag, Tag::Body | Tag::Html | Tag::Main | Tag::Article) {
            break;
        }
        let twins = similar_siblings(doc, level, &acc);
        if twins.len() > 1 {
            let text: u64 = twins.iter().map(|&t| u64::from(els[t as usize].text)).sum();
            let link: u64 = twins.iter().map(|&t| u64::from(els[t as usize].link_text)).sum();
            if link * 3 < text && best_twins.as_ref().is_none_or(|(bt, _)| text > *bt) {
                best_twins = Some((text, twins));
            }
        }
        level = le.parent;
    }
    if let Some((_, twins)) = best_twins {
        return Some(Pick { roots: twins });
    }

    // Append well-scoring siblings (article split by ads or embeds).
    let parent = els[top as usize].parent;
    let mut roots = Vec::new();
    if parent == NONE {
        roots.push(top);
    } else {
        let threshold = (best_score * 0.2).max(10.0);
        let pe = &els[parent as usize];
        let mut j = parent as usize + 1;
        while j < pe.end as usize {
            let s = &els[j];
            let take = j as u32 == top
                || (s.flags & IN_JUNK == 0
                    && (final_score(j) >= threshold
                        || (s.tag == Tag::P && s.text > 80 && s.link_text.saturating_mul(4) < s.text)));
            if take {
                roots.push(j as u32);
            }
            j = s.end as usize;
        }
    }
    Some(Pick { roots })
}

/// `i` and its siblings with the same tag and (non-empty) class attribute
/// that received paragraph points, in document order; just `[i]` if none.
fn similar_siblings(doc: &Doc, i: u32, acc: &[f32]) -> Vec<u32> {
    let els = &doc.els;
    let me = &els[i as usize];
    let Some(class) = me.attr("class").map(str::trim).filter(|c| !c.is_empty()) else {
        return vec![i];
    };
    let parent = &els[me.parent as usize];
    let mut out = Vec::new();
    let mut j = me.parent as usize + 1;
    while j < parent.end as usize {
        let s = &els[j];
        let same = j as u32 == i
            || (s.tag == me.tag && s.flags & IN_JUNK == 0 && s.attr("class").map(str::trim) == Some(class));
        if same && (j as u32 == i || acc[j] > 0.0 || has_block_text(doc, j)) {
            out.push(j as u32);
        }
        j = s.end as usize;
    }
    out
}

/// Does the subtree hold at least one paragraph-sized, low-link block?
fn has_block_text(doc: &Doc, i: usize) -> bool {
    let e = &doc.els[i];
    e.text >= MIN_BLOCK && e.link_text.saturating_mul(2) < e.text
}
