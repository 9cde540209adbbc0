//! PostgreSQL 15 / glibc 2.36 `C.UTF-8` character classes used by pg_trgm, compiled from
//! `core/data/*.tsv` by `build.rs`.

include!(concat!(env!("OUT_DIR"), "/trgm_tables.rs"));

/// Is `c` a pg_trgm word character (`iswalpha || iswdigit` in C.UTF-8)?
#[inline]
pub(crate) fn is_word_char(c: char) -> bool {
    let c = c as u32;
    if c < 0x80 {
        let b = c as u8;
        return b.is_ascii_alphanumeric();
    }
    if c < 0x1_0000 {
        return WORD_BMP[(c >> 6) as usize] & (1u64 << (c & 63)) != 0;
    }
    WORD_ASTRAL
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// `towlower` of C.UTF-8: a 1:1, context-free map.
#[inline]
pub(crate) fn to_lower(c: char) -> char {
    let u = c as u32;
    if u < 0x80 {
        return c.to_ascii_lowercase();
    }
    match LOWER_MAP.binary_search_by_key(&u, |&(from, _)| from) {
        // The table only holds valid scalar values (checked by tests).
        Ok(i) => char::from_u32(LOWER_MAP[i].1).unwrap_or(c),
        Err(_) => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_have_the_server_sizes() {
        let bmp: u32 = WORD_BMP.iter().map(|w| w.count_ones()).sum();
        let astral: u32 = WORD_ASTRAL.iter().map(|(a, b)| b - a + 1).sum();
        assert_eq!(bmp + astral, 134_056);
        assert_eq!(LOWER_MAP.len(), 1_433);
        for &(from, to) in LOWER_MAP.iter() {
            let (f, t) = (char::from_u32(from).unwrap(), char::from_u32(to).unwrap());
            assert!(is_word_char(f) && is_word_char(t), "{from:x} -> {to:x}");
        }
    }

    #[test]
    fn brief_examples() {
        for c in ['Ⓐ', 'Ⅻ', '٣', '３', 'ก', 'ี', 'ͅ', '日', 'ｃ'] {
            assert!(is_word_char(c), "{c:?} should be a word char");
        }
        for c in [
            '😀', '\u{200d}', '©', '®', '™', '№', '°', '²', '½', '\u{a0}', '\u{3000}', '\u{ad}',
            '\u{200b}', '\u{301}', '\u{94d}', '_', '-',
        ] {
            assert!(!is_word_char(c), "{c:?} should be a separator");
        }
        assert_eq!(to_lower('İ'), 'i');
        assert_eq!(to_lower('\u{212a}'), 'k');
        assert_eq!(to_lower('\u{2126}'), 'ω');
        assert_eq!(to_lower('ẞ'), 'ß');
        assert_eq!(to_lower('Σ'), 'σ');
        assert_eq!(to_lower('Ｃ'), 'ｃ');
        assert_eq!(to_lower('ı'), 'ı');
    }
}
