//! The rule query language: a parser and a matcher.
//!
//! ```text
//! query   := or
//! or      := and ("OR" and)*
//! and     := unary (["AND"] unary)*        words side by side mean AND
//! unary   := ("NOT" | "-") unary | "(" or ")" | "phrase" | word
//! word    := letters, with a trailing `*` for a prefix match
//! ```
//!
//! Precedence: NOT binds tightest, then AND, then OR, so `a OR b c` is
//! `a OR (b AND c)`. Operators are upper case (`and`, `or` are words).
//! Phrases take `"…"`, `“…”` or `«…»`.
//!
//! Matching is over the search form of the article
//! ([`newsflow_enrich::search::search_form`]: normalized, Arabic light
//! stemming) and every query word goes through the same function, so
//! "العراق" matches "والعراق" and "بالعراق", and "Iraq" matches "IRAQ,".
//! A query word whose search form is several words ("al-Qaeda" → "al qaeda")
//! is a phrase. Errors give the 1-based character position.

use std::collections::HashMap;

use newsflow_enrich::search::search_form;

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 2_000;
/// Most words (phrase words included) in one query.
pub const MAX_TERMS: usize = 200;
/// Deepest nesting of parentheses and negations.
pub const MAX_DEPTH: usize = 32;

/// Why a query does not parse. Positions count characters from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("the query is empty")]
    Empty,
    #[error("the query is {chars} characters long (at most {MAX_QUERY_CHARS})")]
    TooLong { chars: usize },
    #[error("the query has more than {MAX_TERMS} words")]
    TooManyTerms,
    #[error("at position {pos}: nested more than {MAX_DEPTH} levels deep")]
    TooDeep { pos: usize },
    #[error("at position {pos}: {msg}")]
    Syntax { pos: usize, msg: String },
    #[error("the query only excludes words: add a word or phrase to look for")]
    OnlyNegative,
}

fn syntax(pos: usize, msg: impl Into<String>) -> QueryError {
    QueryError::Syntax { pos, msg: msg.into() }
}

/// One word of a query in search form; `prefix` matches any word starting
/// with it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    word: String,
    prefix: bool,
}

impl Term {
    fn hits(&self, w: &str) -> bool {
        if self.prefix { w.starts_with(self.word.as_str()) } else { w == self.word }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    /// Consecutive words (a single word is a phrase of one).
    Phrase(Vec<Term>),
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    root: Node,
}

/// Text prepared for matching: the search form's words and where each
/// occurs. Build it once per article and match every rule against it.
#[derive(Debug, Clone, Default)]
pub struct Doc {
    words: Vec<String>,
    at: HashMap<String, Vec<usize>>,
}

impl Doc {
    /// The article's title and text, as rules see them.
    pub fn new(title: Option<&str>, text: &str) -> Self {
        let form = search_form(&format!("{}\n{text}", title.unwrap_or_default()));
        let words: Vec<String> = form.split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect();
        let mut at: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, w) in words.iter().enumerate() {
            at.entry(w.clone()).or_default().push(i);
        }
        Self { words, at }
    }

    /// Positions where `t` occurs.
    fn starts(&self, t: &Term) -> Vec<usize> {
        if t.prefix {
            let mut v: Vec<usize> =
                self.at.iter().filter(|(w, _)| t.hits(w)).flat_map(|(_, p)| p.iter().copied()).collect();
            v.sort_unstable();
            v
        } else {
            self.at.get(&t.word).cloned().unwrap_or_default()
        }
    }

    fn has_phrase(&self, terms: &[Term]) -> bool {
        let Some((first, rest)) = terms.split_first() else { return false };
        if rest.is_empty() && !first.prefix {
            return self.at.contains_key(&first.word);
        }
        self.starts(first)
            .into_iter()
            .any(|i| rest.iter().enumerate().all(|(k, t)| self.words.get(i + 1 + k).is_some_and(|w| t.hits(w))))
    }
}

impl Query {
    /// Parse a query (see the module docs for the language).
    pub fn parse(input: &str) -> Result<Self, QueryError> {
        let chars = input.chars().count();
        if chars > MAX_QUERY_CHARS {
            return Err(QueryError::TooLong { chars });
        }
        let tokens = tokenize(input)?;
        if tokens.is_empty() {
            return Err(QueryError::Empty);
        }
        let terms: usize = tokens
            .iter()
            .map(|t| match &t.kind {
                Tok::Words(terms) => terms.len(),
                _ => 0,
            })
            .sum();
        if terms > MAX_TERMS {
            return Err(QueryError::TooManyTerms);
        }
        let mut p = Parser { tokens, next: 0, end: chars + 1 };
        let root = p.or(0)?;
        if let Some(t) = p.peek() {
            return Err(syntax(t.pos, "unmatched ')'"));
        }
        if !positive(&root) {
            return Err(QueryError::OnlyNegative);
        }
        Ok(Self { root })
    }

    /// Whether `doc` matches.
    pub fn matches(&self, doc: &Doc) -> bool {
        eval(&self.root, doc)
    }
}

fn eval(node: &Node, doc: &Doc) -> bool {
    match node {
        Node::Phrase(terms) => doc.has_phrase(terms),
        Node::Not(n) => !eval(n, doc),
        Node::And(ns) => ns.iter().all(|n| eval(n, doc)),
        Node::Or(ns) => ns.iter().any(|n| eval(n, doc)),
    }
}

/// Whether a match needs at least one word to be present (a query made of
/// exclusions only would match nearly every article).
fn positive(node: &Node) -> bool {
    match node {
        Node::Phrase(_) => true,
        Node::Not(_) => false,
        Node::And(ns) => ns.iter().any(positive),
        Node::Or(ns) => ns.iter().all(positive),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Open,
    Close,
    And,
    Or,
    Not,
    /// A word or a quoted phrase, in search form.
    Words(Vec<Term>),
}

#[derive(Debug, Clone)]
struct Token {
    kind: Tok,
    pos: usize,
}

fn closing_quote(c: char) -> Option<&'static [char]> {
    match c {
        '"' => Some(&['"']),
        '“' => Some(&['”', '"']),
        '«' => Some(&['»']),
        _ => None,
    }
}

fn ends_word(c: char) -> bool {
    c.is_whitespace() || c == '(' || c == ')' || closing_quote(c).is_some()
}

/// The search-form terms of a raw word or phrase; a trailing `*` on a raw
/// word makes its last term a prefix.
fn terms_of(raw: &str, pos: usize) -> Result<Vec<Term>, QueryError> {
    let mut out = Vec::new();
    for piece in raw.split_whitespace() {
        let stem = piece.trim_end_matches('*');
        let prefix = stem.len() < piece.len();
        let form = search_form(stem);
        if form.is_empty() {
            if prefix {
                return Err(syntax(pos, format!("{piece:?}: a prefix needs letters before '*'")));
            }
            continue;
        }
        let mut words: Vec<Term> = form.split(' ').map(|w| Term { word: w.to_owned(), prefix: false }).collect();
        if prefix && let Some(last) = words.last_mut() {
            if last.word.chars().count() < 2 {
                return Err(syntax(pos, format!("{piece:?}: a prefix needs at least 2 letters before '*'")));
            }
            last.prefix = true;
        }
        out.extend(words);
    }
    if out.is_empty() {
        return Err(syntax(pos, format!("{raw:?} has nothing to search for (letters or digits)")));
    }
    Ok(out)
}

fn tokenize(input: &str) -> Result<Vec<Token>, QueryError> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let pos = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '(' || c == ')' {
            tokens.push(Token { kind: if c == '(' { Tok::Open } else { Tok::Close }, pos });
            i += 1;
            continue;
        }
        if let Some(close) = closing_quote(c) {
            let end = chars[i + 1..].iter().position(|x| close.contains(x)).map(|n| i + 1 + n);
            let Some(end) = end else { return Err(syntax(pos, "unclosed quote")) };
            let raw: String = chars[i + 1..end].iter().collect();
            if raw.trim().is_empty() {
                return Err(syntax(pos, "empty phrase"));
            }
            tokens.push(Token { kind: Tok::Words(terms_of(&raw, pos)?), pos });
            i = end + 1;
            continue;
        }
        if c == '-' {
            match chars.get(i + 1) {
                Some(n) if !n.is_whitespace() && *n != ')' => {
                    tokens.push(Token { kind: Tok::Not, pos });
                    i += 1;
                    continue;
                }
                _ => return Err(syntax(pos, "'-' must be followed by the word, phrase or group to exclude")),
            }
        }
        let start = i;
        while i < chars.len() && !ends_word(chars[i]) {
            i += 1;
        }
        let raw: String = chars[start..i].iter().collect();
        let kind = match raw.as_str() {
            "AND" => Tok::And,
            "OR" => Tok::Or,
            "NOT" => Tok::Not,
            _ => Tok::Words(terms_of(&raw, pos)?),
        };
        tokens.push(Token { kind, pos });
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    next: usize,
    /// Position just past the end, for "expected … at the end" errors.
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next)
    }

    fn take(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.next).cloned();
        self.next += 1;
        t
    }

    fn or(&mut self, depth: usize) -> Result<Node, QueryError> {
        let mut parts = vec![self.and(depth)?];
        while let Some(t) = self.peek().filter(|t| t.kind == Tok::Or) {
            let pos = t.pos;
            self.next += 1;
            self.expect_term(pos, "OR")?;
            parts.push(self.and(depth)?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Node::Or(parts) })
    }

    fn and(&mut self, depth: usize) -> Result<Node, QueryError> {
        let mut parts = vec![self.unary(depth)?];
        loop {
            match self.peek().map(|t| (t.kind.clone(), t.pos)) {
                None | Some((Tok::Close | Tok::Or, _)) => break,
                Some((Tok::And, pos)) => {
                    self.next += 1;
                    self.expect_term(pos, "AND")?;
                }
                Some(_) => {}
            }
            parts.push(self.unary(depth)?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Node::And(parts) })
    }

    /// After a binary operator at `pos`, a term must follow.
    fn expect_term(&self, pos: usize, op: &str) -> Result<(), QueryError> {
        match self.peek().map(|t| &t.kind) {
            None | Some(Tok::Close | Tok::And | Tok::Or) => Err(syntax(pos, format!("{op} needs a term after it"))),
            _ => Ok(()),
        }
    }

    fn unary(&mut self, depth: usize) -> Result<Node, QueryError> {
        let Some(t) = self.take() else {
            return Err(syntax(self.end, "expected a word, phrase or group at the end"));
        };
        if depth >= MAX_DEPTH {
            return Err(QueryError::TooDeep { pos: t.pos });
        }
        match t.kind {
            Tok::Words(terms) => Ok(Node::Phrase(terms)),
            Tok::Not => match self.peek().map(|n| &n.kind) {
                None | Some(Tok::Close | Tok::And | Tok::Or) => {
                    Err(syntax(t.pos, "NOT needs the word, phrase or group to exclude after it"))
                }
                _ => Ok(Node::Not(Box::new(self.unary(depth + 1)?))),
            },
            Tok::Open => {
                match self.peek().map(|n| &n.kind) {
                    None => return Err(syntax(t.pos, "unclosed parenthesis")),
                    Some(Tok::Close) => return Err(syntax(t.pos, "empty parentheses")),
                    _ => {}
                }
                let inner = self.or(depth + 1)?;
                match self.take() {
                    Some(Token { kind: Tok::Close, .. }) => Ok(inner),
                    _ => Err(syntax(t.pos, "unclosed parenthesis")),
                }
            }
            Tok::Close => Err(syntax(t.pos, "unmatched ')'")),
            Tok::And => Err(syntax(t.pos, "AND needs a term before it")),
            Tok::Or => Err(syntax(t.pos, "OR needs a term before it")),
        }
    }
}

#[cfg(test)]
#[path = "query_tests.rs"]
mod tests;
