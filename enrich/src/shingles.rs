//! Near-duplicate signatures: MinHash over normalized word shingles of the
//! article's body paragraphs.
//!
//! Robust to boilerplate by construction: paragraphs that occur twice in the
//! same text (photo captions, repeated mastheads) and short lines
//! (breadcrumbs, bylines, "comments closed") are dropped before shingling,
//! so the same body under different page furniture keeps its signature. What
//! boilerplate remains moves the Jaccard estimate by its share of shingles
//! only.
//!
//! The hash is FNV-1a (64-bit) finished with splitmix64 per permutation:
//! stable across builds and platforms, so signatures can be persisted.

use std::collections::{HashMap, HashSet};

use crate::normalize::normalize;

/// Permutations in a signature.
pub const SIG_LEN: usize = 64;
/// LSH bands (`SIG_LEN / BANDS` rows each). 16 × 4: a pair with Jaccard 0.5
/// shares a band with probability ≈ 0.65, with 0.8 ≈ 1.0, with 0.2 ≈ 0.03.
pub const BANDS: usize = 16;
/// Words per shingle.
pub const SHINGLE: usize = 4;
/// Paragraphs with fewer words are treated as page furniture.
pub const MIN_PARAGRAPH_WORDS: usize = 8;
/// Longest text shingled, in bytes (from the start): bounds the cost on huge
/// inputs; 256 KB is far beyond any article.
const MAX_TEXT: usize = 256 * 1024;

/// A MinHash signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature(pub [u64; SIG_LEN]);

impl Signature {
    /// Estimated Jaccard similarity of the two shingle sets.
    pub fn similarity(&self, other: &Signature) -> f64 {
        let same = self.0.iter().zip(other.0.iter()).filter(|(a, b)| a == b).count();
        same as f64 / SIG_LEN as f64
    }

    /// One key per LSH band: articles sharing a key are candidates.
    pub fn band_keys(&self) -> impl Iterator<Item = u64> + '_ {
        let rows = SIG_LEN / BANDS;
        self.0.chunks(rows).enumerate().map(|(band, chunk)| {
            let mut h = fnv1a(&(band as u64).to_le_bytes(), FNV_OFFSET);
            for v in chunk {
                h = fnv1a(&v.to_le_bytes(), h);
            }
            h
        })
    }

    /// Whether the signature was made from no shingles at all.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|v| *v == u64::MAX)
    }

    /// Lowercase hex, 16 characters per value.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|v| format!("{v:016x}")).collect()
    }

    /// The 8-bit form kept in the dedup index ([`Compact`]).
    pub fn compact(&self) -> Compact {
        let mut c = [0u8; SIG_LEN];
        for (slot, v) in c.iter_mut().zip(self.0.iter()) {
            // The low byte: a minimum's top bits are nearly always zero,
            // its low bits stay uniform.
            *slot = *v as u8;
        }
        Compact(c)
    }
}

/// A b-bit MinHash signature (b = 8, Li and König's "b-bit minwise
/// hashing"): the top byte of each of the [`SIG_LEN`] minima, 64 bytes
/// instead of 512. Two different minima agree on 8 bits with probability
/// 1/256, so the estimate is corrected for that; a near-duplicate threshold
/// of 0.7 is far from where it matters. LSH band keys are taken from these
/// bytes (32 bits per band) so the index can recompute them when it evicts
/// an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compact(pub [u8; SIG_LEN]);

impl Compact {
    /// Estimated Jaccard similarity, corrected for chance agreement of
    /// different minima on 8 bits.
    pub fn similarity(&self, other: &Compact) -> f64 {
        let same = self.0.iter().zip(other.0.iter()).filter(|(a, b)| a == b).count();
        let raw = same as f64 / SIG_LEN as f64;
        let chance = 1.0 / 256.0;
        ((raw - chance) / (1.0 - chance)).clamp(0.0, 1.0)
    }

    /// One 32-bit key per LSH band (band number mixed in).
    pub fn band_keys(&self) -> [u32; BANDS] {
        let rows = SIG_LEN / BANDS;
        let mut keys = [0u32; BANDS];
        for (band, (key, chunk)) in keys.iter_mut().zip(self.0.chunks(rows)).enumerate() {
            let mut v = band as u64;
            for b in chunk {
                v = (v << 8) | u64::from(*b);
            }
            *key = (splitmix64(v) >> 32) as u32;
        }
        keys
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

fn fnv1a(bytes: &[u8], mut h: u64) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// 64-bit stable hash of a string (FNV-1a + splitmix64 finish).
pub fn hash64(s: &str) -> u64 {
    splitmix64(fnv1a(s.as_bytes(), FNV_OFFSET))
}

fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The body paragraphs of `text`, normalized: lines split on newlines,
/// paragraphs repeated within the text and paragraphs under
/// [`MIN_PARAGRAPH_WORDS`] words dropped. When that leaves nothing (a short
/// text), every distinct non-empty paragraph is kept.
pub fn body_paragraphs(text: &str) -> Vec<String> {
    let text = truncate(text, MAX_TEXT);
    let paras: Vec<String> = text.lines().map(normalize).filter(|p| !p.is_empty()).collect();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for p in &paras {
        *counts.entry(p.as_str()).or_default() += 1;
    }
    let body: Vec<String> = paras
        .iter()
        .filter(|p| counts[p.as_str()] == 1 && p.split(' ').count() >= MIN_PARAGRAPH_WORDS)
        .cloned()
        .collect();
    if !body.is_empty() {
        return body;
    }
    let mut seen = HashSet::new();
    paras.into_iter().filter(|p| seen.insert(p.clone())).collect()
}

/// The MinHash signature of `text`'s body (see [`body_paragraphs`]).
pub fn signature(text: &str) -> Signature {
    signature_of_body(&body_paragraphs(text))
}

/// The MinHash signature of body paragraphs already found by
/// [`body_paragraphs`].
pub fn signature_of_body(body: &[String]) -> Signature {
    let words: Vec<&str> = body.iter().flat_map(|p| p.split(' ')).collect();
    let mut sig = [u64::MAX; SIG_LEN];
    let mut add = |h: u64| {
        for (i, slot) in sig.iter_mut().enumerate() {
            let v = splitmix64(h ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            if v < *slot {
                *slot = v;
            }
        }
    };
    if words.len() < SHINGLE {
        if !words.is_empty() {
            add(hash64(&words.join(" ")));
        }
    } else {
        let mut seen = HashSet::new();
        for w in words.windows(SHINGLE) {
            let h = w.iter().fold(FNV_OFFSET, |h, w| fnv1a(b" ", fnv1a(w.as_bytes(), h)));
            if seen.insert(h) {
                add(h);
            }
        }
    }
    Signature(sig)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "قالت الخارجية الأمريكية في بيان مشترك إنه على الرغم من تحرير ما يقرب من ثمانية ملايين شخص \
                        من سيطرة تنظيم داعش في العراق وسوريا فإن التهديد لا يزال قائما\n\
                        جاء ذلك في أعقاب عقد وزراء خارجية المجموعة المصغرة للتحالف الدولي لهزيمة داعش اجتماعا افتراضيا \
                        اليوم الخميس بدعوة من وزير الخارجية الإيطالي ووزير الخارجية الأمريكي\n\
                        وأكد الوزراء في البيان المشترك عزمهم المشترك على مواصلة القتال ضد داعش في العراق وسوريا";

    #[test]
    fn same_body_with_different_boilerplate_keeps_its_signature() {
        let a = format!(
            "أخبار العراق\nأمن\nمبنى الوزارة في واشنطن صورة أرشيفية للمبنى من الخارج\nمبنى الوزارة في واشنطن صورة أرشيفية للمبنى من الخارج\n{BODY}\nالتعليقات مغلقة."
        );
        let b = format!("الرئيسية\n{BODY}\nاشترك في النشرة\nهل أعجبك هذا المقال؟");
        assert_eq!(signature(&a), signature(&b));
    }

    #[test]
    fn light_edits_stay_similar_and_other_texts_do_not() {
        let edited = BODY.replace("ثمانية ملايين", "8 ملايين").replace("اليوم الخميس", "يوم الخميس");
        assert!(signature(BODY).similarity(&signature(&edited)) >= 0.6);
        let other = "أعلنت وزارة الصحة اليوم تسجيل إصابات جديدة بفيروس كورونا في عدد من المحافظات \
                     ودعت المواطنين إلى الالتزام بالإجراءات الوقائية وارتداء الكمامات في الأماكن العامة";
        assert!(signature(BODY).similarity(&signature(other)) < 0.2);
    }

    #[test]
    fn empty_huge_and_mixed_inputs_do_not_panic() {
        assert!(signature("").is_empty());
        assert!(!signature("كلمة").is_empty());
        let huge = "كلمة word ١٢٣ ".repeat(800_000);
        assert!(!signature(&huge).is_empty());
        assert_eq!(signature("a").band_keys().count(), BANDS);
        assert_eq!(signature("abc def").to_hex().len(), SIG_LEN * 16);
    }

    #[test]
    fn compact_signatures_estimate_like_full_ones() {
        let edited = BODY.replace("ثمانية ملايين", "8 ملايين").replace("اليوم الخميس", "يوم الخميس");
        let (a, b) = (signature(BODY), signature(&edited));
        let (full, compact) = (a.similarity(&b), a.compact().similarity(&b.compact()));
        assert!((full - compact).abs() < 0.05, "{full} vs {compact}");
        assert_eq!(a.compact().similarity(&a.compact()), 1.0);
        let other = signature("كلام مختلف تماما عن موضوع آخر لا علاقة له بالخبر الأول ولا بكلماته أبدا");
        assert!(a.compact().similarity(&other.compact()) < 0.1);
        // Equal signatures share every band; keys differ between bands.
        let keys = a.compact().band_keys();
        assert_eq!(keys, signature(BODY).compact().band_keys());
        assert!(keys.iter().collect::<HashSet<_>>().len() > BANDS / 2);
        assert_eq!(std::mem::size_of::<Compact>(), 64);
    }
}
