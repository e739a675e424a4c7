use super::*;

fn q(s: &str) -> Query {
    Query::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn hit(query: &str, text: &str) -> bool {
    q(query).matches(&Doc::new(None, text))
}

fn err(s: &str) -> QueryError {
    Query::parse(s).expect_err(s)
}

fn at(s: &str) -> (usize, String) {
    match err(s) {
        QueryError::Syntax { pos, msg } => (pos, msg),
        other => panic!("{s:?}: expected a syntax error, got {other}"),
    }
}

#[test]
fn and_binds_tighter_than_or() {
    // a OR (b AND c)
    assert!(hit("alpha OR beta gamma", "alpha"));
    assert!(hit("alpha OR beta gamma", "gamma beta"));
    assert!(!hit("alpha OR beta gamma", "beta"));
    // (a OR b) AND c
    assert!(!hit("(alpha OR beta) gamma", "alpha"));
    assert!(hit("(alpha OR beta) gamma", "beta gamma"));
    assert_eq!(q("alpha beta"), q("alpha AND beta"), "side by side is AND");
}

#[test]
fn not_binds_tightest() {
    // (NOT a) AND b
    assert!(hit("NOT alpha beta", "beta"));
    assert!(!hit("NOT alpha beta", "alpha beta"));
    assert!(hit("beta -alpha", "beta"));
    assert!(!hit("beta -alpha", "beta alpha"));
    assert!(hit("beta -(alpha gamma)", "beta alpha"));
    assert!(!hit("beta -(alpha gamma)", "beta alpha gamma"));
    assert!(!hit("beta -\"alpha gamma\"", "beta alpha gamma"));
    assert!(hit("beta -\"alpha gamma\"", "beta gamma alpha"));
    assert!(hit("beta NOT NOT alpha", "beta alpha"));
}

#[test]
fn operators_are_upper_case_only() {
    assert!(hit("war and peace", "peace and war"));
    assert!(!hit("war and peace", "war peace"), "lower-case 'and' is a word to find");
    assert!(hit("war OR peace", "peace"));
}

#[test]
fn syntax_errors_name_the_position() {
    assert_eq!(at("\"open phrase"), (1, "unclosed quote".into()));
    assert_eq!(at("alpha AND"), (7, "AND needs a term after it".into()));
    assert_eq!(at("alpha OR OR beta"), (7, "OR needs a term after it".into()));
    assert_eq!(at("OR alpha"), (1, "OR needs a term before it".into()));
    assert_eq!(at("(alpha beta"), (1, "unclosed parenthesis".into()));
    assert_eq!(at("alpha ("), (7, "unclosed parenthesis".into()));
    assert_eq!(at("alpha )"), (7, "unmatched ')'".into()));
    assert_eq!(at("alpha ()"), (7, "empty parentheses".into()));
    assert_eq!(at("alpha \"\""), (7, "empty phrase".into()));
    assert_eq!(at("alpha - beta").0, 7);
    assert_eq!(at("alpha NOT").0, 7);
    assert_eq!(at("alpha (beta").0, 7);
    assert!(at("alpha ، beta").1.contains("nothing to search for"));
    assert!(at("alpha *").1.contains("prefix"));
    assert!(at("a* beta").1.contains("at least 2 letters"));
    // Positions count characters, not bytes.
    assert_eq!(at("العراق AND").0, 8);
}

#[test]
fn empty_and_exclusion_only_queries_are_refused() {
    assert_eq!(err(""), QueryError::Empty);
    assert_eq!(err("   "), QueryError::Empty);
    assert_eq!(err("-alpha"), QueryError::OnlyNegative);
    assert_eq!(err("NOT alpha OR beta"), QueryError::OnlyNegative);
    assert!(Query::parse("beta OR (gamma -alpha)").is_ok());
}

#[test]
fn size_and_depth_are_bounded() {
    assert_eq!(err(&"a".repeat(MAX_QUERY_CHARS + 1)), QueryError::TooLong { chars: MAX_QUERY_CHARS + 1 });
    let words = vec!["w"; MAX_TERMS + 1].join(" ");
    assert_eq!(err(&words), QueryError::TooManyTerms);
    assert!(Query::parse(&vec!["w"; MAX_TERMS].join(" ")).is_ok());
    let deep = format!("{}alpha{}", "(".repeat(40), ")".repeat(40));
    assert!(matches!(err(&deep), QueryError::TooDeep { pos: 33 }), "{:?}", err(&deep));
    let nots = format!("beta {}alpha", "NOT ".repeat(40));
    assert!(matches!(err(&nots), QueryError::TooDeep { .. }));
    assert!(Query::parse(&format!("{}alpha{}", "(".repeat(20), ")".repeat(20))).is_ok());
}

#[test]
fn arabic_clitics_hamza_diacritics_and_ta_marbuta_meet() {
    assert!(hit("العراق", "قال إن الوضع والعراق"));
    assert!(hit("العراق", "في بالعراق"));
    assert!(hit("العراق", "للعراق دور"));
    assert!(hit("عراق", "العراق"));
    assert!(hit("الأمم", "الامم المتحدة"));
    assert!(hit("إعلان", "اعلان"));
    assert!(hit("مسؤول", "مسوول"));
    assert!(hit("الاجتماع", "انتهى الاجتماعُ أمس"));
    assert!(hit("مدرسة", "مدرسه"));
    assert!(hit("٢٠٢٠", "في عام 2020"));
    assert!(!hit("العراق", "سوريا ولبنان"));
}

#[test]
fn arabic_phrases_and_prefixes() {
    let seed_a = "عقدت الدول الأعضاء اجتماعا افتراضيا يوم الخميس";
    let seed_b = "عقد وزراء الخارجية اجتماعًا افتراضيًا، اليوم الخميس";
    assert!(hit("\"اجتماع افتراضي\"", seed_a));
    assert!(hit("«اجتماع افتراضي»", seed_b));
    assert!(hit("“الاجتماع الافتراضي”", seed_b));
    assert!(!hit("\"اجتماع افتراضي\"", "اجتماع في فضاء افتراضي"));
    assert!(hit("افتراض*", seed_a));
    assert!(hit("\"اجتماع افتراض*\"", seed_b));
    assert!(!hit("افتراضية", seed_a), "no prefix without '*'");
}

#[test]
fn latin_words_phrases_and_prefixes() {
    let text = "The United Nations met in PARIS, France; al-Qaeda was discussed.";
    assert!(hit("paris", text));
    assert!(hit("Paris AND france", text));
    assert!(!hit("parisian", text));
    assert!(hit("par*", text));
    assert!(hit("\"united nations\"", text));
    assert!(!hit("\"nations united\"", text));
    assert!(hit("al-qaeda", text));
    assert!(hit("\"Al Qaeda\"", "Al Qaeda"));
    assert!(hit("qaeda -london", text));
}

#[test]
fn the_title_is_searched_too() {
    let doc = Doc::new(Some("Storm hits Lisbon"), "Heavy rain.");
    assert!(q("lisbon rain").matches(&doc));
}

#[test]
fn arbitrary_input_never_panics() {
    let alphabet: Vec<char> = "ab ع-*()\"“”«»ANDORNOT،\\\u{0}\u{200F}".chars().collect();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..5_000 {
        let len = (seed % 24) as usize;
        let s: String = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                alphabet[(seed % alphabet.len() as u64) as usize]
            })
            .collect();
        if let Ok(query) = Query::parse(&s) {
            query.matches(&Doc::new(Some(&s), "ab عع"));
        }
    }
}
