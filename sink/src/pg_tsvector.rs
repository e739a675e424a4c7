//! The `tsvector` of an article, built by the sink and sent to PostgreSQL
//! in the server's binary form.
//!
//! Why here and not `to_tsvector` on the server: the words are already in
//! search form ([`newsflow_enrich::search::search_form`]: letters and
//! digits, one space between words, case folded), so the server's parser
//! would only split on spaces, and it costs more than the rest of the
//! write. Why binary and not the text literal: parsing the literal
//! (`tsvectorin`) was the largest item left in the server's profile.
//!
//! The vector equals `setweight(to_tsvector('simple', title), 'A') ||
//! to_tsvector('simple', body)` for such words: one lexeme per word,
//! positions counted from 1, the body after the title, title positions
//! weighted A (tests/stores.rs checks it against the server). Queries use
//! `::tsquery` over the same words (query/pg.rs).

use std::collections::BTreeMap;
use std::error::Error;

use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use tokio_util::bytes::{BufMut, BytesMut};

/// PostgreSQL's limits on a tsvector: highest position, positions kept per
/// lexeme, longest lexeme in bytes.
const MAX_POSITION: usize = 16_383;
const MAX_POSITIONS: usize = 256;
const MAX_LEXEME: usize = 2_046;
/// Weight A in the two high bits of a position.
const WEIGHT_A: u16 = 3 << 14;

/// An encoded `tsvector` (what the server's `tsvectorsend` writes):
/// lexeme count, then per lexeme, in byte order, the NUL-terminated word,
/// its position count and its positions (weight in the two high bits).
#[derive(Debug, Clone)]
pub struct TsVector(Vec<u8>);

impl TsVector {
    /// The vector of a title and body already in search form.
    pub fn new(title: &str, body: &str) -> Self {
        let mut positions: BTreeMap<&str, Vec<u16>> = BTreeMap::new();
        let words = title.split(' ').map(|w| (w, true)).chain(body.split(' ').map(|w| (w, false)));
        for (i, (w, in_title)) in words.filter(|(w, _)| !w.is_empty()).enumerate() {
            if w.len() > MAX_LEXEME || w.contains('\0') {
                continue;
            }
            let list = positions.entry(w).or_default();
            // Positions past the highest all become the highest; the server
            // keeps one of equal positions, and wants them increasing.
            let position = (i + 1).min(MAX_POSITION) as u16;
            if list.len() < MAX_POSITIONS && list.last().is_none_or(|p| p & !WEIGHT_A < position) {
                list.push(position | if in_title { WEIGHT_A } else { 0 });
            }
        }
        let mut out = Vec::with_capacity(4 + title.len() + body.len() * 2);
        out.put_u32(positions.len() as u32);
        for (w, list) in positions {
            out.put_slice(w.as_bytes());
            out.put_u8(0);
            out.put_u16(list.len() as u16);
            list.into_iter().for_each(|p| out.put_u16(p));
        }
        Self(out)
    }
}

impl ToSql for TsVector {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        out.put_slice(&self.0);
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        ty.name() == "tsvector"
    }

    to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_lexemes_in_byte_order_with_weighted_positions() {
        let v = TsVector::new("b a", "a");
        let mut want = vec![0, 0, 0, 2];
        want.extend_from_slice(b"a\0\0\x02");
        want.extend_from_slice(&(2 | WEIGHT_A).to_be_bytes());
        want.extend_from_slice(&3u16.to_be_bytes());
        want.extend_from_slice(b"b\0\0\x01");
        want.extend_from_slice(&(1 | WEIGHT_A).to_be_bytes());
        assert_eq!(v.0, want);
    }

    #[test]
    fn positions_past_the_limit_collapse_into_one() {
        // "f" fills positions 1..=16383; the three "z" all fall beyond.
        let body = format!("{} z z z", vec!["f"; MAX_POSITION].join(" "));
        let v = TsVector::new("", &body).0;
        // "z" sorts last: its entry ends the encoding.
        let z = v.windows(2).rposition(|w| w == b"z\0").expect("z encoded") + 2;
        assert_eq!(&v[z..], &[0, 1, (MAX_POSITION >> 8) as u8, MAX_POSITION as u8]);
        // "f" keeps the first 256 of its positions.
        assert_eq!(&v[4 + 2..4 + 4], &(MAX_POSITIONS as u16).to_be_bytes());
    }
}
