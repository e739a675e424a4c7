//! Per-site CSS overrides.

use crate::dom::Doc;
use crate::error::ExtractError;
use ego_tree::NodeId;
use scraper::{Html, Selector};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// CSS selectors for one site, used instead of (body, title) or in addition
/// to (remove) the general rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SiteSelectors {
    /// Element(s) holding the article text; all matches are used in order.
    pub body: Option<String>,
    /// Element holding the headline; its text replaces the general choice.
    pub title: Option<String>,
    /// Elements to drop from the body (widgets the general rules miss).
    pub remove: Vec<String>,
}

pub(crate) struct Compiled {
    body: Option<Selector>,
    title: Option<Selector>,
    remove: Vec<Selector>,
}

fn parse(s: &str) -> Result<Selector, ExtractError> {
    Selector::parse(s).map_err(|e| ExtractError::BadSelector { selector: s.to_string(), reason: e.to_string() })
}

impl SiteSelectors {
    pub(crate) fn compile(&self) -> Result<Compiled, ExtractError> {
        Ok(Compiled {
            body: self.body.as_deref().map(parse).transpose()?,
            title: self.title.as_deref().map(parse).transpose()?,
            remove: self.remove.iter().map(|s| parse(s)).collect::<Result<_, _>>()?,
        })
    }
}

fn index(doc: &Doc) -> HashMap<NodeId, u32> {
    doc.els.iter().enumerate().map(|(i, e)| (e.node.id(), i as u32)).collect()
}

impl Compiled {
    pub(crate) fn has_body(&self) -> bool {
        self.body.is_some()
    }

    pub(crate) fn apply_removals(&self, dom: &Html, doc: &mut Doc) {
        if self.remove.is_empty() {
            return;
        }
        let idx = index(doc);
        let hits: Vec<u32> = self
            .remove
            .iter()
            .flat_map(|s| dom.select(s).filter_map(|e| idx.get(&e.id()).copied()).collect::<Vec<_>>())
            .collect();
        for i in hits {
            doc.mark_junk(i);
        }
        doc.aggregate();
    }

    pub(crate) fn title(&self, dom: &Html) -> Option<String> {
        let sel = self.title.as_ref()?;
        let el = dom.select(sel).next()?;
        let mut out = String::new();
        let mut pending = false;
        for t in el.text() {
            crate::clean::push_normalized(&mut out, t, &mut pending);
        }
        (!out.is_empty()).then_some(out)
    }

    /// Flat indices of the body matches, outermost only, in document order.
    pub(crate) fn body_roots(&self, dom: &Html, doc: &Doc) -> Option<Vec<u32>> {
        let sel = self.body.as_ref()?;
        let idx = index(doc);
        let mut roots: Vec<u32> = dom.select(sel).filter_map(|e| idx.get(&e.id()).copied()).collect();
        roots.sort_unstable();
        let mut out: Vec<u32> = Vec::new();
        for r in roots {
            if !out.last().is_some_and(|&last| doc.contains(last, r) || last == r) {
                out.push(r);
            }
        }
        (!out.is_empty()).then_some(out)
    }
}
