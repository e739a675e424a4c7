//! Organizations (and facilities and natural features, which are places)
//! by rule: a head noun (نادي, منتخب, وزارة, حزب, جامعة…)
//! followed by a place or a nisba adjective: "منتخب البرتغال", "المنتخب
//! البرتغالي", "وزارة دفاع الولايات المتحدة", "جامعة القاهرة", "الاتحاد
//! المصري لكرة القدم".

use std::sync::OnceLock;

use crate::entities::{Forms, Kind, Mention};
use crate::fxhash::FxHashMap;
use crate::terms::is_stop;
use crate::text::Tokens;

/// Head nouns of organization names (normalized, with or without ال).
const HEADS: &[&str] = &[
    "نادي",
    "منتخب",
    "حزب",
    "حركه",
    "جمعيه",
    "شركه",
    "مؤسسه",
    "جامعه",
    "وزاره",
    "اتحاد",
    "منظمه",
    "هيئه",
    "وكاله",
    "جيش",
    "مصرف",
    "بنك",
    "صحيفه",
    "قناه",
    "محكمه",
    "برلمان",
    "جبهه",
    "تنظيم",
    "معهد",
    "اكاديميه",
    "لجنه",
    "كتائب",
    "قوات",
    "شرطه",
    "بلديه",
    "حكومه",
    "مجلس",
    "البنك",
    "الجيش",
    "الاتحاد",
    "المنتخب",
    "النادي",
    "الحزب",
    "الحركه",
    "الجمعيه",
    "الشركه",
    "المؤسسه",
    "الجامعه",
    "الوزاره",
    "المنظمه",
    "الهيئه",
    "الوكاله",
    "المحكمه",
    "البرلمان",
    "الجبهه",
    "المعهد",
    "الاكاديميه",
    "اللجنه",
    "القوات",
    "الشرطه",
    "الحكومه",
];

/// Sports clubs named "Real X", "Atlético X"…: heads like the above.
const CLUB_HEADS: &[&str] = &["ريال", "اتلتيكو", "اتلتكو", "سبورتنغ", "سبورتنج", "سبورتينغ", "اولمبيك", "ديبورتيفو"];

/// Clubs named "X United", "X City" after their place.
const CLUB_TAILS: &[&str] = &["يونايتد", "سيتي"];

/// Head nouns of facilities, tagged as places: "مطار دمشق", "جامع قرطبة",
/// "متحف دمشق التاريخي".
const FACILITY_HEADS: &[&str] = &[
    "جامع",
    "مسجد",
    "مطار",
    "متحف",
    "قلعه",
    "قصر",
    "سور",
    "ميناء",
    "ملعب",
    "مستشفي",
    "جسر",
    "كنيسه",
    "كاتدرائيه",
    "الجامع",
    "المسجد",
    "المطار",
    "المتحف",
    "القلعه",
    "القصر",
    "الميناء",
    "الملعب",
    // States and empires by their adjective: "الدولة الأموية", "الإمبراطورية البيزنطية".
    "الدوله",
    "الامبراطوريه",
    "امبراطوريه",
    "الخلافه",
    "المملكه",
    "السلطنه",
    "الاماره",
];

/// Head nouns of natural features, tagged as places when a name follows
/// ("نهر النيل", "جبل طارق", "البحر الأحمر", "شبه الجزيرة العربية").
const GEO_HEADS: &[&str] = &[
    "نهر",
    "جبل",
    "جبال",
    "بحر",
    "خليج",
    "وادي",
    "صحراء",
    "جزيره",
    "جزر",
    "بحيره",
    "مضيق",
    "محيط",
    "شبه",
    "سهل",
    "هضبه",
    "البحر",
    "الخليج",
    "المحيط",
    "الصحراء",
    "البحيره",
    "المضيق",
    "بلاد",
];

/// Directions that make one place of the place after them ("وسط أوروبا",
/// "شمال سوريا").
const DIRECTIONS: &[&str] = &["شمال", "جنوب", "شرق", "غرب", "وسط", "شمالي", "جنوبي", "شرقي", "غربي"];

/// Words allowed between the head and the place or adjective.
const MIDDLE: &[&str] = &[
    "كره",
    "القدم",
    "لكره",
    "دفاع",
    "الدفاع",
    "خارجيه",
    "الخارجيه",
    "داخليه",
    "الداخليه",
    "الصحه",
    "التعليم",
    "العدل",
    "الماليه",
    "الاقتصاد",
    "النقد",
    "الامن",
    "التحرير",
    "العمال",
    "الشعب",
    "الدوله",
    "حقوق",
    "الانسان",
    "السله",
    "اليد",
    "الطائره",
];

/// What a head noun names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Head {
    Org,
    Facility,
    Geo,
}

/// A word that can be a name after a feature head: Arabic letters, three
/// or more, no stop word behind its clitics.
fn plausible_name(t: &str, fs: &Forms, i: usize) -> bool {
    t.chars().count() >= 3 && t.chars().all(|c| ('\u{0621}'..='\u{064A}').contains(&c)) && !fs.of(i).any(is_stop)
}

/// A definite adjective after a facility's place: a nisba or one of the
/// common size and age words.
fn is_adjective(t: &str) -> bool {
    is_nisba(t) || ["الكبير", "الكبري", "الصغير", "القديم", "القديمه", "الجديد", "الجديده", "التاريخي"].contains(&t)
}

/// "البرتغالي", "المصريه", "الوطني": a definite nisba adjective.
fn is_nisba(t: &str) -> bool {
    t.starts_with("ال") && (t.ends_with('ي') || t.ends_with("يه")) && t.chars().count() >= 5 && !is_stop(t)
}

/// Organization mentions in `t` (with `fs` its clitic forms) and the places
/// already found (`places`, sorted by start). A place inside a found
/// organization belongs to it: callers drop it.
pub fn find_orgs(t: &Tokens, fs: &Forms, places: &[Mention]) -> Vec<Mention> {
    let n = t.len();
    static H: OnceLock<FxHashMap<&'static str, Head>> = OnceLock::new();
    let heads = H.get_or_init(|| {
        let mut m = FxHashMap::default();
        m.extend(HEADS.iter().chain(CLUB_HEADS).map(|h| (*h, Head::Org)));
        m.extend(FACILITY_HEADS.iter().map(|h| (*h, Head::Facility)));
        m.extend(GEO_HEADS.iter().map(|h| (*h, Head::Geo)));
        m
    });
    let head_of = |i: usize| fs.of(i).find_map(|f| heads.get(f).map(|h| (f, *h)));
    let mut start_of: Vec<Option<&Mention>> = vec![None; n];
    let mut covered = vec![false; n];
    for m in places.iter().filter(|m| m.end <= n) {
        if m.kind == Kind::Loc {
            start_of[m.start] = Some(m);
        }
        covered[m.start..m.end].iter_mut().for_each(|c| *c = true);
    }
    let place_at = |i: usize| start_of[i];
    let taken = |i: usize| covered[i];
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        if !taken(i)
            && i + 1 < n
            && fs.of(i).any(|f| DIRECTIONS.contains(&f))
            && let Some(p) = place_at(i + 1).filter(|p| p.kind == Kind::Loc)
        {
            let key: Vec<&str> = (i..p.end).map(|k| t.norm(k)).collect();
            out.push(Mention { start: i, end: p.end, kind: Kind::Loc, key: key.join(" "), country: p.country.clone() });
            i = p.end;
            continue;
        }
        let Some((head, kind)) = head_of(i).filter(|_| !taken(i)) else {
            // "مانشستر يونايتد": a place and a club tail.
            if let Some(p) = place_at(i)
                && p.end < n
                && !taken(p.end)
                && CLUB_TAILS.contains(&t.norm(p.end))
            {
                let key: Vec<&str> = (i..=p.end).map(|k| t.norm(k)).collect();
                out.push(Mention { start: i, end: p.end + 1, kind: Kind::Org, key: key.join(" "), country: None });
                i = p.end + 1;
            } else {
                i += 1;
            }
            continue;
        };
        let (mut j, mut anchored) = (i + 1, false);
        // A natural feature's name: the next word, definite after a
        // definite head ("البحر الأحمر"), any word after a bare one ("نهر
        // النيل", "جبل طارق").
        if kind == Head::Geo
            && i + 1 < n
            && !taken(i + 1)
            && place_at(i + 1).is_none()
            && plausible_name(t.norm(i + 1), fs, i + 1)
            && (!head.starts_with("ال") || t.norm(i + 1).starts_with("ال"))
        {
            j = i + 2;
            anchored = true;
            if j < n && !taken(j) && is_nisba(t.norm(j)) {
                j += 1;
            }
        }
        while !anchored && j < n && j - i <= 5 {
            if let Some(p) = place_at(j) {
                j = p.end;
                anchored = true;
                // "نادي مانشستر يونايتد": a club tail after the place.
                if kind == Head::Org && j < n && !taken(j) && CLUB_TAILS.contains(&t.norm(j)) {
                    j += 1;
                }
                break;
            } else if taken(j) {
                break;
            } else if is_nisba(t.norm(j)) {
                j += 1;
                anchored = true;
                break;
            } else if MIDDLE.contains(&t.norm(j)) {
                j += 1;
            } else {
                break;
            }
        }
        // A bare head and its field make a name by themselves: "وزارة
        // الدفاع", "اتحاد كرة القدم" (not "الوزارة" alone).
        if !anchored && kind == Head::Org && !head.starts_with("ال") && j > i + 1 && t.norm(j - 1).starts_with("ال")
        {
            anchored = true;
        }
        // Trailing middle words belong to the name only before an anchor.
        while j > i + 1 && MIDDLE.contains(&t.norm(j - 1)) && !anchored {
            j -= 1;
        }
        if anchored {
            // A facility or feature takes one adjective after its place
            // ("جامع دمشق الكبير").
            if kind != Head::Org && j < n && !taken(j) && t.norm(j).starts_with("ال") && is_adjective(t.norm(j)) {
                j += 1;
            }
            let mut key: Vec<&str> = (i..j).map(|k| t.norm(k)).collect();
            key[0] = head;
            let kind = if kind == Head::Org { Kind::Org } else { Kind::Loc };
            out.push(Mention { start: i, end: j, kind, key: key.join(" "), country: None });
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::find;

    fn orgs(text: &str) -> Vec<(String, usize, usize)> {
        find(text).into_iter().filter(|m| m.kind == Kind::Org).map(|m| (m.key, m.start, m.end)).collect()
    }

    #[test]
    fn head_with_place_or_adjective() {
        assert_eq!(orgs("فاز منتخب البرتغال أمس"), vec![("منتخب البرتغال".to_owned(), 1, 3)]);
        assert_eq!(orgs("وقال المنتخب البرتغالي"), vec![("المنتخب البرتغالي".to_owned(), 1, 3)]);
        assert_eq!(orgs("بيان وزارة الدفاع الأميركية").len(), 1);
        assert_eq!(orgs("طلاب جامعة القاهرة")[0].1..orgs("طلاب جامعة القاهرة")[0].2, 1..3);
    }

    #[test]
    fn clubs_facilities_and_features() {
        assert_eq!(orgs("فاز ريال مدريد أمس"), vec![("ريال مدريد".to_owned(), 1, 3)]);
        assert_eq!(orgs("لاعب نيويورك سيتي"), vec![("نيويورك سيتي".to_owned(), 1, 3)]);
        assert_eq!(orgs("لاعب نادي لندن سيتي"), vec![("نادي لندن سيتي".to_owned(), 1, 4)]);
        let locs = |text: &str| -> Vec<String> {
            find(text).into_iter().filter(|m| m.kind == Kind::Loc).map(|m| m.key).collect()
        };
        assert_eq!(locs("صلى في جامع دمشق الكبير"), vec!["جامع دمشق الكبير"]);
        assert_eq!(locs("عبروا نهر الزاب ثم البحر الهادئ"), vec!["نهر الزاب", "البحر الهادي"]);
        assert!(locs("في البحر من").is_empty());
        assert_eq!(locs("في وسط أوروبا وبلاد الشام والدولة الأموية"), vec!["وسط اوروبا", "بلاد الشام", "الدوله الامويه"]);
        assert!(locs("من الشمال إلى الجنوب شمال").is_empty());
    }

    #[test]
    fn head_alone_is_no_organization() {
        assert!(orgs("اجتمع المجلس أمس").is_empty());
        assert!(orgs("وزارة").is_empty());
        assert!(orgs("قالت الوزارة الدفاع").is_empty());
    }

    #[test]
    fn bare_head_and_field_make_a_name() {
        assert_eq!(orgs("أعلنت وزارة الدفاع أمس"), vec![("وزاره الدفاع".to_owned(), 1, 3)]);
        assert_eq!(orgs("رئيس اتحاد كرة القدم"), vec![("اتحاد كره القدم".to_owned(), 1, 4)]);
        // The place stays a place when no head precedes it.
        assert!(find("في البرتغال").iter().any(|m| m.kind == Kind::Loc));
    }
}
