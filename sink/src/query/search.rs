//! The search box's language, and its translation into the engines' query
//! syntaxes.
//!
//! A query is words, `"quoted phrases"`, `OR` between alternatives and
//! `-word` or `-"phrase"` to exclude. Words side by side must all match, and
//! AND binds tighter than OR (`a OR b c` is `a OR (b AND c)`), as in alert
//! rules, so a rule tried in the search box finds what it would alert on. Every word goes through
//! [`newsflow_enrich::search::search_word`], the function that built the
//! index, so Arabic variants meet ("والاجتماع" finds "الاجتماع"). A word
//! whose search form is several words ("al-Qaeda" → "al qaeda") is a phrase.
//!
//! The translations never carry user text as syntax: the search forms hold
//! only letters, digits and single spaces, and are quoted anyway (FTS5
//! strings double their `"`, tsquery lexemes their `'` and `\`). The
//! resulting string is bound as a parameter, never spliced into SQL.

use newsflow_enrich::search::search_word;

use super::QueryError;

/// Longest query accepted (characters) and most terms: a search box, not a
/// document.
pub const MAX_QUERY_CHARS: usize = 500;
pub const MAX_TERMS: usize = 32;

/// One searchable term: a word or a phrase, in search form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    Word(String),
    Phrase(Vec<String>),
}

impl Term {
    fn from_form(form: String) -> Self {
        let words: Vec<String> = form.split(' ').map(str::to_owned).collect();
        if words.len() == 1 { Term::Word(form) } else { Term::Phrase(words) }
    }

    fn fts5(&self) -> String {
        let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        match self {
            Term::Word(w) => quote(w),
            Term::Phrase(ws) => quote(&ws.join(" ")),
        }
    }

    fn tsquery(&self) -> String {
        let lexeme = |s: &str| format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"));
        match self {
            Term::Word(w) => lexeme(w),
            Term::Phrase(ws) => format!("({})", ws.iter().map(|w| lexeme(w)).collect::<Vec<_>>().join(" <-> ")),
        }
    }
}

/// A parsed query: it matches when any of its groups does (`OR` separates
/// groups; AND binds tighter, as in alert rules: `a OR b c` is
/// `a OR (b AND c)`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedQuery {
    pub groups: Vec<Group>,
}

/// Every term of `all` and none of `none`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Group {
    pub all: Vec<Term>,
    pub none: Vec<Term>,
}

/// A raw token of the query string.
#[derive(Debug, PartialEq)]
enum Token {
    Term { text: String, negated: bool },
    Or,
}

fn tokenize(q: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = q.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut negated = false;
        if c == '-' {
            chars.next();
            match chars.peek() {
                Some(n) if !n.is_whitespace() => negated = true,
                _ => continue,
            }
        }
        if chars.peek() == Some(&'"') {
            chars.next();
            let text: String = chars.by_ref().take_while(|&c| c != '"').collect();
            tokens.push(Token::Term { text, negated });
            continue;
        }
        let mut text = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() || c == '"' {
                break;
            }
            text.push(c);
            chars.next();
        }
        if text == "OR" && !negated {
            tokens.push(Token::Or);
        } else {
            tokens.push(Token::Term { text, negated });
        }
    }
    tokens
}

/// Parse the search box's text.
pub fn parse_query(q: &str) -> Result<ParsedQuery, QueryError> {
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(QueryError::BadRequest(format!("the query is longer than {MAX_QUERY_CHARS} characters")));
    }
    let mut groups = vec![Group::default()];
    let mut terms = 0;
    for token in tokenize(q) {
        let (text, negated) = match token {
            Token::Or => {
                groups.push(Group::default());
                continue;
            }
            Token::Term { text, negated } => (text, negated),
        };
        // A phrase's words and a word's pieces alike become one term.
        let Some(form) = search_word(&text) else { continue };
        terms += 1;
        if terms > MAX_TERMS {
            return Err(QueryError::BadRequest(format!("the query has more than {MAX_TERMS} terms")));
        }
        let group = groups.last_mut().expect("there is always a group");
        if negated { group.none.push(Term::from_form(form)) } else { group.all.push(Term::from_form(form)) }
    }
    // `OR` at either end or twice in a row leaves an empty group: ignore it.
    groups.retain(|g| !(g.all.is_empty() && g.none.is_empty()));
    if groups.is_empty() {
        return Err(QueryError::BadRequest("the query has no searchable words".into()));
    }
    if groups.iter().any(|g| g.all.is_empty()) {
        return Err(QueryError::BadRequest("the query only excludes words: add a word or phrase to look for".into()));
    }
    Ok(ParsedQuery { groups })
}

impl ParsedQuery {
    /// An FTS5 MATCH expression over every column.
    pub fn fts5(&self) -> String {
        let join = |terms: &[Term], op: &str| terms.iter().map(Term::fts5).collect::<Vec<_>>().join(op);
        let group = |g: &Group| {
            let all = join(&g.all, " AND ");
            // FTS5's NOT is binary ("a NOT b"): one NOT of the excluded OR-ed.
            if g.none.is_empty() { format!("({all})") } else { format!("(({all}) NOT ({}))", join(&g.none, " OR ")) }
        };
        let groups: Vec<String> = self.groups.iter().map(group).collect();
        if groups.len() == 1 { groups[0].clone() } else { groups.join(" OR ") }
    }

    /// A tsquery literal over the search forms (cast with `::tsquery`: the
    /// lexemes are the indexed words as they are, see postgres::tsvector).
    pub fn tsquery(&self) -> String {
        let group = |g: &Group| {
            let terms: Vec<String> =
                g.all.iter().map(Term::tsquery).chain(g.none.iter().map(|t| format!("!{}", t.tsquery()))).collect();
            format!("({})", terms.join(" & "))
        };
        self.groups.iter().map(group).collect::<Vec<_>>().join(" | ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Term {
        Term::Word(s.into())
    }

    fn phrase(words: &[&str]) -> Term {
        Term::Phrase(words.iter().map(|w| w.to_string()).collect())
    }

    #[test]
    fn words_phrases_or_and_exclusions() {
        let p = parse_query(r#"Paris "climate summit" OR talks -football"#).unwrap();
        assert_eq!(
            p.groups,
            vec![
                Group { all: vec![w("paris"), phrase(&["climate", "summit"])], none: vec![] },
                Group { all: vec![w("talks")], none: vec![w("football")] },
            ]
        );
        assert_eq!(p.fts5(), r#"("paris" AND "climate summit") OR (("talks") NOT ("football"))"#);
        assert_eq!(p.tsquery(), "('paris' & ('climate' <-> 'summit')) | ('talks' & !'football')");
        assert_eq!(parse_query("a").unwrap().fts5(), r#"("a")"#);
    }

    #[test]
    fn arabic_words_take_their_search_form() {
        let p = parse_query("والاجتماع بغداد").unwrap();
        assert_eq!(p.groups[0].all, vec![w("اجتماع"), w("بغداد")]);
        assert_eq!(parse_query("إعلان").unwrap(), parse_query("اعلان").unwrap());
    }

    #[test]
    fn punctuation_hyphens_and_stray_operators() {
        assert_eq!(parse_query("al-Qaeda").unwrap().groups[0].all, vec![phrase(&["al", "qaeda"])]);
        // OR at the edges and doubled, a lone minus, lower-case "or" (a
        // word) and an unclosed quote.
        let p = parse_query(r#"OR a - or OR OR "b c"#).unwrap();
        assert_eq!(
            p.groups.iter().map(|g| g.all.clone()).collect::<Vec<_>>(),
            vec![vec![w("a"), w("or")], vec![phrase(&["b", "c"])]]
        );
        assert!(matches!(parse_query("-a -b"), Err(QueryError::BadRequest(m)) if m.contains("only excludes")));
        assert!(matches!(parse_query("a OR -b"), Err(QueryError::BadRequest(m)) if m.contains("only excludes")));
        assert!(matches!(parse_query(" ،؟ "), Err(QueryError::BadRequest(m)) if m.contains("no searchable")));
        assert!(parse_query(&"a ".repeat(40)).is_err());
        assert!(parse_query(&"a".repeat(600)).is_err());
    }

    #[test]
    fn user_text_cannot_become_syntax() {
        // Quotes, parentheses, operators and column filters are not letters:
        // they never reach the engines' syntax.
        let p = parse_query(r#"title:x* NEAR(a b) ") OR 1=1 --" 'it''s' \"#).unwrap();
        let fts = p.fts5();
        for bad in ["title:", "*", "NEAR", "=", "'"] {
            assert!(!fts.contains(bad), "{fts}");
        }
        let ts = p.tsquery();
        assert!(!ts.contains(":*") && !ts.contains("''") && !ts.contains('\\'), "{ts}");
    }
}
