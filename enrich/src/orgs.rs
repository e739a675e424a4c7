//! Organizations by rule: a head noun (نادي, منتخب, وزارة, حزب, جامعة…)
//! followed by a place or a nisba adjective: "منتخب البرتغال", "المنتخب
//! البرتغالي", "وزارة دفاع الولايات المتحدة", "جامعة القاهرة", "الاتحاد
//! المصري لكرة القدم".

use std::sync::OnceLock;

use crate::entities::{Forms, Kind, Mention};
use crate::fxhash::FxHashSet as HashSet;
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

/// "البرتغالي", "المصريه", "الوطني": a definite nisba adjective.
fn is_nisba(t: &str) -> bool {
    t.starts_with("ال") && (t.ends_with('ي') || t.ends_with("يه")) && t.chars().count() >= 5 && !is_stop(t)
}

/// Organization mentions in `t` (with `fs` its clitic forms) and the places
/// already found (`places`, sorted by start). A place inside a found
/// organization belongs to it: callers drop it.
pub fn find_orgs(t: &Tokens, fs: &Forms, places: &[Mention]) -> Vec<Mention> {
    let n = t.len();
    static H: OnceLock<HashSet<&'static str>> = OnceLock::new();
    let heads = H.get_or_init(|| HEADS.iter().copied().collect());
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
        if taken(i) || !fs.of(i).any(|f| heads.contains(f)) {
            i += 1;
            continue;
        }
        let (mut j, mut anchored) = (i + 1, false);
        while j < n && j - i <= 5 {
            if let Some(p) = place_at(j) {
                j = p.end;
                anchored = true;
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
        // Trailing middle words belong to the name only before an anchor.
        while j > i + 1 && MIDDLE.contains(&t.norm(j - 1)) && !anchored {
            j -= 1;
        }
        if anchored {
            let mut key: Vec<&str> = (i..j).map(|k| t.norm(k)).collect();
            if let Some(f) = fs.of(i).find(|f| heads.contains(f)) {
                key[0] = f;
            }
            out.push(Mention { start: i, end: j, kind: Kind::Org, key: key.join(" "), country: None });
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
    fn head_alone_is_no_organization() {
        assert!(orgs("اجتمع المجلس أمس").is_empty());
        assert!(orgs("وزارة").is_empty());
        // The place stays a place when no head precedes it.
        assert!(find("في البرتغال").iter().any(|m| m.kind == Kind::Loc));
    }
}
