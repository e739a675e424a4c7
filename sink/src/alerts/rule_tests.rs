use super::*;

fn rule(query: &str) -> RuleDef {
    RuleDef::inline("r1", query)
}

fn compiled(def: RuleDef) -> Rule {
    Rule::compile(def).unwrap()
}

fn subject<'a>(language: Option<&'a str>, source: &'a str, entities: &[&str]) -> Subject<'a> {
    Subject { language, source, entities: entities.iter().map(|e| normalize(e)).collect() }
}

#[test]
fn language_source_and_entity_filters() {
    let doc = Doc::new(Some("اجتماع التحالف"), "في بغداد");
    let mut def = rule("تحالف");
    def.languages = vec!["AR".into()];
    def.sources = vec!["demo".into()];
    def.entities = vec!["بغداد".into(), "Baghdad".into()];
    let r = compiled(def);
    assert!(r.matches(&doc, &subject(Some("ar"), "demo", &["بغداد"])));
    assert!(r.matches(&doc, &subject(Some("ar"), "demo", &["baghdad"])), "entities compare normalized");
    assert!(!r.matches(&doc, &subject(Some("en"), "demo", &["بغداد"])), "language");
    assert!(!r.matches(&doc, &subject(None, "demo", &["بغداد"])), "unknown language");
    assert!(!r.matches(&doc, &subject(Some("ar"), "other", &["بغداد"])), "source");
    assert!(!r.matches(&doc, &subject(Some("ar"), "demo", &["دمشق"])), "entity");
    assert!(!r.matches(&Doc::new(None, "بغداد"), &subject(Some("ar"), "demo", &["بغداد"])), "query");
    assert!(r.needs_entities());
    assert!(compiled(rule("x1")).matches(&Doc::new(None, "x1"), &subject(None, "", &[])), "no filters");
}

#[test]
fn bad_rules_name_the_rule_and_field() {
    let e = Rule::compile(rule("(open")).unwrap_err().to_string();
    assert_eq!(e, "rule \"r1\": query: at position 1: unclosed parenthesis");
    let mut def = rule("a1");
    def.name = "Bad Name".into();
    assert!(Rule::compile(def).unwrap_err().to_string().contains("rule \"Bad Name\": name"));
    let mut def = rule("a1");
    def.languages = vec!["arabic".into()];
    assert!(Rule::compile(def).unwrap_err().to_string().contains("languages: \"arabic\""));
    let mut def = rule("a1");
    def.max_per_hour = 0;
    assert!(Rule::compile(def).unwrap_err().to_string().contains("max_per_hour"));
    let mut def = rule("a1");
    def.entities = vec!["،".into()];
    assert!(Rule::compile(def).unwrap_err().to_string().contains("entities"));
    let mut def = rule("a1");
    def.webhooks = vec!["ops".into()];
    let known: BTreeSet<String> = ["slack".to_owned()].into();
    let e = def.validate(Some(&known)).unwrap_err().to_string();
    assert!(e.contains("webhooks: no webhook named \"ops\" (configured: [slack])"), "{e}");
    assert!(def.validate(None).is_ok());
}

#[test]
fn config_validation_names_the_field() {
    let hook = |url: &str| WebhookDef {
        url: url.into(),
        format: WebhookFormat::Slack,
        headers: BTreeMap::new(),
        timeout_secs: 10,
        max_attempts: 5,
    };
    let mut cfg = AlertsConfig::default();
    assert!(cfg.validate().is_ok());
    cfg.webhooks.insert("ops".into(), hook("ftp://x"));
    assert!(cfg.validate().unwrap_err().starts_with("alerts.webhooks.ops.url"));
    cfg.webhooks.insert("ops".into(), hook("https://hooks.example/1"));
    let mut r = rule("a1");
    r.webhooks = vec!["ops".into()];
    cfg.rules = vec![r.clone(), r];
    assert!(cfg.validate().unwrap_err().contains("alerts.rules[1]: rule \"r1\" is defined twice"));
    cfg.rules = vec![rule("a1 AND")];
    let e = cfg.validate().unwrap_err();
    assert!(e.starts_with("alerts.rules[0]: rule \"r1\": query: at position 4"), "{e}");
    cfg.rules.clear();
    let mut h = hook("https://hooks.example/1");
    h.headers.insert("bad header".into(), "x".into());
    cfg.webhooks.insert("ops".into(), h);
    assert!(cfg.validate().unwrap_err().contains("alerts.webhooks.ops.headers"));
}

#[test]
fn toml_rules_reject_unknown_fields_and_take_defaults() {
    let cfg: AlertsConfig = toml::from_str(
        r#"
        [[rules]]
        name = "meeting"
        query = '"اجتماع افتراضي"'
        [webhooks.ops]
        url = "https://hooks.example/1"
        format = "slack"
        "#,
    )
    .unwrap();
    assert_eq!(cfg.rules[0].max_per_hour, 60);
    assert!(!cfg.rules[0].notify_updates);
    assert_eq!(cfg.webhooks["ops"].timeout_secs, 10);
    assert_eq!(cfg.webhooks["ops"].max_attempts, 5);
    assert_eq!(cfg.reload_secs, 5);
    let bad = toml::from_str::<AlertsConfig>("[[rules]]\nname = \"x\"\nquery = \"y\"\nlanguage = \"ar\"\n");
    assert!(bad.unwrap_err().to_string().contains("unknown field `language`"));
}

#[test]
fn config_rules_win_over_api_rules_of_the_same_name() {
    let config = vec![rule("from config")];
    let mut api = rule("from api");
    let mut other = rule("other");
    other.name = "r2".into();
    api.name = "r1".into();
    let merged = effective_rules(
        &config,
        vec![("api".into(), api), ("api".into(), other), ("config".into(), RuleDef::inline("stale", "x1"))],
    );
    let got: Vec<(&str, &str, &str)> =
        merged.iter().map(|(o, d)| (o.as_str(), d.name.as_str(), d.query.as_str())).collect();
    assert_eq!(got, [("config", "r1", "from config"), ("api", "r2", "other")]);
}
