//! Trigram similarity that gives exactly PostgreSQL 15 `pg_trgm`'s answers.
//!
//! This module re-implements the `pg_trgm` extension (PostgreSQL 15, database encoding UTF8,
//! libc provider, `LC_CTYPE = C.UTF-8`, x86-64) bit for bit: [`show_trgm`], [`similarity`],
//! [`word_similarity`], [`strict_word_similarity`] and the threshold operators (`%`, `<%`,
//! `<<%`) through [`Threshold`]. Scores are the same `f32` values the server returns, which
//! the test suite proves against a live server and a committed golden file of thousands of
//! pairs (`tests/fixtures/trgm/`).
//!
//! # How pg_trgm sees text
//!
//! * Words are maximal runs of *word characters*: ASCII `[A-Za-z0-9]`, and the non-ASCII code
//!   points that glibc 2.36's `C.UTF-8` calls alphabetic or digit (Unicode 14 `Alphabetic` ∪
//!   `Nd`), compiled from a table read off the server. Everything else separates words and
//!   never appears in a trigram: `_`, `-`, `&`, emoji, NBSP, combining accents (so an NFD
//!   `é` splits a word).
//! * Each word is lower-cased with `towlower` (1:1: `İ` → `i`, no final sigma), padded as
//!   `"  " + word + " "`, and cut into 3-character windows.
//! * A window of three ASCII characters is its own 3-byte key; any other window is keyed by
//!   the first three bytes of PostgreSQL's legacy CRC-32 of its UTF-8 bytes (so hashed keys
//!   can collide, even with ASCII trigrams: `similarity("č", "tbu") = 0.2`).
//!
//! ```
//! use ces::trgm::{show_trgm, similarity, word_similarity, strict_word_similarity, Threshold};
//!
//! assert_eq!(show_trgm("Café"), ["0xef5960", "  c", " ca", "0x544980", "caf"]);
//! assert_eq!(similarity("word", "two words"), 0.36363637);
//! assert_eq!(word_similarity("word", "two words"), 0.8);
//! assert_eq!(strict_word_similarity("word", "two words"), 0.5714286);
//!
//! // `a % b` at the platform's threshold: score >= threshold, compared in double precision.
//! let t = Threshold::new(0.72)?;
//! assert!(t.accepts(similarity("Datu Puti Vinegar 3-in-1", "Datu Puti Vinegar"))); // exactly 18/25
//! assert!(!t.accepts(similarity("CocaCola", "Coca Cola"))); // 0.7
//! # Ok::<(), ces::CesError>(())
//! ```
//!
//! # Argument order
//!
//! [`similarity`] is symmetric. [`word_similarity`]`(needle, haystack)` and
//! [`strict_word_similarity`]`(needle, haystack)` are not: the first argument is the short
//! text looked for, the second the text searched, as in PostgreSQL's
//! `word_similarity(a, b)` / `a <% b`.
//!
//! # Cost
//!
//! [`similarity`] is linear in the input plus a sort of the trigram keys. The word
//! similarities follow PostgreSQL's greedy scan, whose worst case is quadratic in the length
//! of the haystack (the window is rescanned at each needle trigram), exactly as on the server.

mod tables;

use std::cell::RefCell;
use std::fmt;

use crate::error::{CesError, Result};

/// One pg_trgm trigram key: the three bytes PostgreSQL stores.
///
/// Ordering is PostgreSQL's on x86-64: bytes compared as *signed* `char`, so hashed keys with
/// a byte ≥ 0x80 sort before ASCII ones. `Display` renders the key as `show_trgm` does.
///
/// ```
/// use ces::trgm::TrigramSet;
/// let set = TrigramSet::new("afé");
/// let shown: Vec<String> = set.iter().map(|t| t.to_string()).collect();
/// assert_eq!(shown, ["0xef5960", "  a", " af", "0x544980"]);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Trigram(u32);

impl Trigram {
    #[inline]
    fn from_bytes(b: [u8; 3]) -> Self {
        Trigram(
            (u32::from(b[0] ^ 0x80) << 16) | (u32::from(b[1] ^ 0x80) << 8) | u32::from(b[2] ^ 0x80),
        )
    }

    /// The three bytes of the key as PostgreSQL stores them.
    ///
    /// ```
    /// let t = ces::trgm::TrigramSet::new("cat").iter().last().unwrap();
    /// assert_eq!(&t.bytes(), b"cat");
    /// ```
    pub fn bytes(self) -> [u8; 3] {
        [
            ((self.0 >> 16) as u8) ^ 0x80,
            ((self.0 >> 8) as u8) ^ 0x80,
            (self.0 as u8) ^ 0x80,
        ]
    }

    /// Would `show_trgm` print this key as three characters (ASCII letters, digits or space)?
    pub fn is_printable(self) -> bool {
        self.bytes()
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b' ')
    }
}

impl fmt::Display for Trigram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.bytes();
        if self.is_printable() {
            // All three bytes are ASCII, so this is valid UTF-8.
            f.write_str(std::str::from_utf8(&b).unwrap_or("???"))
        } else {
            write!(
                f,
                "0x{:06x}",
                (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2])
            )
        }
    }
}

impl fmt::Debug for Trigram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Trigram({self})")
    }
}

/// Reflected CRC-32 table (polynomial 0xEDB88320), as in zlib and PostgreSQL's `pg_crc32`.
const CRC_TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut r = i as u32;
        let mut k = 0;
        while k < 8 {
            r = if r & 1 != 0 {
                (r >> 1) ^ 0xEDB8_8320
            } else {
                r >> 1
            };
            k += 1;
        }
        t[i] = r;
        i += 1;
    }
    t
};

/// PostgreSQL's *legacy* CRC-32 (`INIT/COMP/FIN_LEGACY_CRC32`): reflected table, but the
/// register shifts left.
#[inline]
fn legacy_crc32(bytes: &[u8]) -> u32 {
    let mut r: u32 = 0xFFFF_FFFF;
    for &b in bytes {
        r = CRC_TABLE[(((r >> 24) ^ u32::from(b)) & 0xFF) as usize] ^ (r << 8);
    }
    r ^ 0xFFFF_FFFF
}

/// The key of a window of three characters.
#[inline]
fn window_key(w: [char; 3]) -> Trigram {
    if w.iter().all(char::is_ascii) {
        return Trigram::from_bytes([w[0] as u8, w[1] as u8, w[2] as u8]);
    }
    let mut buf = [0u8; 12];
    let mut n = 0;
    for c in w {
        n += c.encode_utf8(&mut buf[n..]).len();
    }
    let r = legacy_crc32(&buf[..n]);
    // The first three bytes of the register as stored on a little-endian host.
    Trigram::from_bytes([r as u8, (r >> 8) as u8, (r >> 16) as u8])
}

/// Calls `emit(key, first_of_word, last_of_word)` for every trigram of `s`, word by word, in
/// order, duplicates included (PostgreSQL's `generate_trgm_only`).
fn for_each_trigram(s: &str, word: &mut Vec<char>, mut emit: impl FnMut(Trigram, bool, bool)) {
    let flush = |word: &mut Vec<char>, emit: &mut dyn FnMut(Trigram, bool, bool)| {
        let n = word.len();
        if n == 0 {
            return;
        }
        // Padded word: "  " + word + " " has n + 3 characters and n + 1 windows.
        let at = |i: usize| -> char {
            if i < 2 || i >= n + 2 {
                ' '
            } else {
                word[i - 2]
            }
        };
        if word.iter().all(char::is_ascii) {
            for i in 0..=n {
                let k = Trigram::from_bytes([at(i) as u8, at(i + 1) as u8, at(i + 2) as u8]);
                emit(k, i == 0, i == n);
            }
        } else {
            for i in 0..=n {
                emit(window_key([at(i), at(i + 1), at(i + 2)]), i == 0, i == n);
            }
        }
        word.clear();
    };
    word.clear();
    let bytes = s.as_bytes();
    if s.is_ascii() {
        // Fast path: words are runs of [A-Za-z0-9], every window is its own 3-byte key.
        let mut i = 0;
        while i < bytes.len() {
            while i < bytes.len() && !bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            if i == start {
                break;
            }
            let (mut p0, mut p1) = (b' ', b' ');
            for (k, &c) in bytes[start..i].iter().enumerate() {
                let c = c.to_ascii_lowercase();
                emit(Trigram::from_bytes([p0, p1, c]), k == 0, false);
                (p0, p1) = (p1, c);
            }
            emit(Trigram::from_bytes([p0, p1, b' ']), false, true);
        }
        return;
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            if b.is_ascii_alphanumeric() {
                word.push(char::from(b.to_ascii_lowercase()));
            } else {
                flush(word, &mut emit);
            }
            i += 1;
        } else {
            // `s` is a valid `str`, so a character starts at `i`.
            let c = s[i..].chars().next().unwrap_or('\u{FFFD}');
            i += c.len_utf8();
            if tables::is_word_char(c) {
                word.push(tables::to_lower(c));
            } else {
                flush(word, &mut emit);
            }
        }
    }
    flush(word, &mut emit);
}

#[derive(Default)]
struct Scratch {
    word: Vec<char>,
    a: Vec<Trigram>,
    b: Vec<Trigram>,
    seq: Vec<(Trigram, bool, bool)>,
    distinct: Vec<Trigram>,
    index: Vec<u32>,
    found: Vec<bool>,
    lastpos: Vec<i64>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|s| match s.try_borrow_mut() {
        Ok(mut s) => f(&mut s),
        // Re-entrant use (cannot happen through this module's API) gets a fresh buffer.
        Err(_) => f(&mut Scratch::default()),
    })
}

/// Sorted, distinct trigram keys of `s` into `out` (PostgreSQL's `generate_trgm`).
fn collect_set(s: &str, word: &mut Vec<char>, out: &mut Vec<Trigram>) {
    out.clear();
    for_each_trigram(s, word, |k, _, _| out.push(k));
    out.sort_unstable();
    out.dedup();
}

/// `|a ∩ b|` of two sorted, distinct key lists.
#[inline]
fn shared_count(a: &[Trigram], b: &[Trigram]) -> usize {
    let (mut i, mut j, mut c) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                c += 1;
                i += 1;
                j += 1;
            }
        }
    }
    c
}

/// `cnt_sml` with `DIVUNION`: `c / (|A| + |B| − c)` in single precision, 0 if either set is empty.
#[inline]
fn set_similarity(len_a: usize, len_b: usize, shared: usize) -> f32 {
    if len_a == 0 || len_b == 0 {
        return 0.0;
    }
    shared as f32 / (len_a + len_b - shared) as f32
}

/// The sorted set of distinct trigram keys of a text, the unit `similarity` compares.
///
/// Build it once for a text compared many times (a catalog entry, a query):
///
/// ```
/// use ces::trgm::TrigramSet;
/// let q = TrigramSet::new("Coca Cola 1.5L");
/// let m = TrigramSet::new("coca-cola");
/// assert_eq!(q.len(), 13);
/// assert_eq!(q.similarity(&m), 0.61538464);
/// assert_eq!(q.similarity(&m), ces::trgm::similarity("Coca Cola 1.5L", "coca-cola"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TrigramSet {
    keys: Vec<Trigram>,
}

impl TrigramSet {
    /// The trigram set of `text`.
    pub fn new(text: &str) -> Self {
        let mut keys = Vec::new();
        let mut word = Vec::new();
        collect_set(text, &mut word, &mut keys);
        keys.shrink_to_fit();
        TrigramSet { keys }
    }

    /// Number of distinct trigrams.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// `true` when the text has no word characters (it then scores 0 against everything).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The keys in PostgreSQL's order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Trigram> + '_ {
        self.keys.iter().copied()
    }

    /// Does the set contain `t`?
    pub fn contains(&self, t: Trigram) -> bool {
        self.keys.binary_search(&t).is_ok()
    }

    /// Number of keys both sets contain.
    pub fn shared(&self, other: &TrigramSet) -> usize {
        shared_count(&self.keys, &other.keys)
    }

    /// pg_trgm `similarity` of the two texts these sets came from.
    pub fn similarity(&self, other: &TrigramSet) -> f32 {
        set_similarity(self.len(), other.len(), self.shared(other))
    }

    /// The set rendered as PostgreSQL prints `show_trgm(text)::text`: `{e1,e2,…}` with
    /// elements that contain a space double-quoted.
    ///
    /// ```
    /// assert_eq!(ces::trgm::TrigramSet::new("1.5L").to_pg_array_text(), r#"{"  1","  5"," 1 "," 5l","5l "}"#);
    /// assert_eq!(ces::trgm::TrigramSet::new("😀 !!").to_pg_array_text(), "{}");
    /// ```
    pub fn to_pg_array_text(&self) -> String {
        let mut out = String::with_capacity(2 + self.keys.len() * 10);
        out.push('{');
        for (i, t) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let s = t.to_string();
            if s.contains(' ') {
                out.push('"');
                out.push_str(&s);
                out.push('"');
            } else {
                out.push_str(&s);
            }
        }
        out.push('}');
        out
    }
}

/// `show_trgm(text)`: the distinct trigrams of `text` in PostgreSQL's order, each as
/// three characters or as `0x` + six hex digits for keys that are not printable.
///
/// ```
/// assert_eq!(ces::trgm::show_trgm("cat"), ["  c", " ca", "at ", "cat"]);
/// assert!(ces::trgm::show_trgm("!!!").is_empty());
/// ```
pub fn show_trgm(text: &str) -> Vec<String> {
    TrigramSet::new(text)
        .iter()
        .map(|t| t.to_string())
        .collect()
}

/// `similarity(a, b)`: shared distinct trigrams over the union, as PostgreSQL's `real`.
///
/// Symmetric; 0 when either text has no trigrams (so `similarity("", "") == 0`).
///
/// ```
/// use ces::trgm::similarity;
/// assert_eq!(similarity("Coca-Cola", "coca cola"), 1.0);
/// assert_eq!(similarity("Café", "Cafe"), 0.42857143);
/// assert_eq!(similarity("", ""), 0.0);
/// ```
pub fn similarity(a: &str, b: &str) -> f32 {
    with_scratch(|s| {
        collect_set(a, &mut s.word, &mut s.a);
        collect_set(b, &mut s.word, &mut s.b);
        set_similarity(s.a.len(), s.b.len(), shared_count(&s.a, &s.b))
    })
}

/// `a <-> b`: `1 − similarity(a, b)`, computed in double and returned as `real`.
///
/// ```
/// assert_eq!(ces::trgm::similarity_distance("word", "two words"), 0.6363636);
/// ```
pub fn similarity_distance(a: &str, b: &str) -> f32 {
    (1.0f64 - f64::from(similarity(a, b))) as f32
}

/// `word_similarity(needle, haystack)`: how well `needle` matches some contiguous extent of
/// `haystack`'s trigram sequence, by PostgreSQL's greedy scan (not the exhaustive maximum).
///
/// ```
/// use ces::trgm::word_similarity;
/// assert_eq!(word_similarity("Alaska Evap", "Alaska Evaporated Filled Milk"), 0.9166667);
/// assert_eq!(word_similarity("two words", "word"), 0.4); // asymmetric
/// assert_eq!(word_similarity("aba b ", " babaa aa ba ba aaa b"), 0.44444445); // greedy, not 5/11
/// ```
pub fn word_similarity(needle: &str, haystack: &str) -> f32 {
    calc_word_similarity(needle, haystack, false)
}

/// `strict_word_similarity(needle, haystack)`: like [`word_similarity`], but extents start
/// and end on word boundaries of the haystack.
///
/// ```
/// use ces::trgm::strict_word_similarity;
/// assert_eq!(strict_word_similarity("word", "two words"), 0.5714286);
/// assert_eq!(strict_word_similarity("ba a ab ", "aaaaba b  a abaaaab"), 0.41666666);
/// ```
pub fn strict_word_similarity(needle: &str, haystack: &str) -> f32 {
    calc_word_similarity(needle, haystack, true)
}

/// `(f32) c / (f32) (n1 + u − c)`: PostgreSQL's `CALCSML`.
#[inline]
fn calc_sml(count: i64, ulen1: i64, ulen2: i64) -> f32 {
    count as f32 / (ulen1 + ulen2 - count) as f32
}

fn calc_word_similarity(needle: &str, haystack: &str, strict: bool) -> f32 {
    with_scratch(|s| {
        collect_set(needle, &mut s.word, &mut s.a);
        let seq = &mut s.seq;
        seq.clear();
        for_each_trigram(haystack, &mut s.word, |k, first, last| {
            seq.push((k, first, last))
        });
        if seq.is_empty() || s.a.is_empty() {
            return 0.0;
        }
        // Number the haystack's distinct keys; `found` = the key is in the needle.
        s.distinct.clear();
        s.distinct.extend(seq.iter().map(|e| e.0));
        s.distinct.sort_unstable();
        s.distinct.dedup();
        s.index.clear();
        s.index.extend(
            seq.iter()
                .map(|e| s.distinct.binary_search(&e.0).unwrap_or(0) as u32),
        );
        s.found.clear();
        s.found
            .extend(s.distinct.iter().map(|k| s.a.binary_search(k).is_ok()));
        s.lastpos.clear();
        s.lastpos.resize(s.distinct.len(), -1);
        iterate_word_similarity(
            &s.index,
            &s.found,
            s.a.len() as i64,
            seq,
            &mut s.lastpos,
            strict,
        )
    })
}

/// PostgreSQL's `iterate_word_similarity`, step for step (see the brief's §1.9).
fn iterate_word_similarity(
    index: &[u32],
    found: &[bool],
    ulen1: i64,
    seq: &[(Trigram, bool, bool)],
    lastpos: &mut [i64],
    strict: bool,
) -> f32 {
    let mut ulen2: i64 = 0;
    let mut count: i64 = 0;
    let mut lower: i64 = if strict { 0 } else { -1 };
    let mut smlr_max: f32 = 0.0;
    for i in 0..seq.len() {
        let t = index[i] as usize;
        if lower >= 0 || found[t] {
            if lastpos[t] < 0 {
                ulen2 += 1;
                if found[t] {
                    count += 1;
                }
            }
            lastpos[t] = i as i64;
        }
        let ends = if strict { seq[i].2 } else { found[t] };
        if !ends {
            continue;
        }
        let upper = i as i64;
        if lower == -1 {
            lower = upper;
            ulen2 = 1;
        }
        let mut smlr_cur = calc_sml(count, ulen1, ulen2);
        let mut tmp_count = count;
        let mut tmp_ulen2 = ulen2;
        let prev_lower = lower;
        // The scan starts at the window start as it was before the scan (C evaluates the
        // initialiser once); `lower` may move right inside it.
        for tmp_lower in prev_lower..=upper {
            let tl = tmp_lower as usize;
            if !strict || seq[tl].1 {
                let smlr_tmp = calc_sml(tmp_count, ulen1, tmp_ulen2);
                if smlr_tmp > smlr_cur {
                    smlr_cur = smlr_tmp;
                    ulen2 = tmp_ulen2;
                    lower = tmp_lower;
                    count = tmp_count;
                }
            }
            let ti = index[tl] as usize;
            if lastpos[ti] == tmp_lower {
                tmp_ulen2 -= 1;
                if found[ti] {
                    tmp_count -= 1;
                }
            }
        }
        smlr_max = smlr_max.max(smlr_cur);
        for tmp_lower in prev_lower..lower {
            let ti = index[tmp_lower as usize] as usize;
            if lastpos[ti] == tmp_lower {
                lastpos[ti] = -1;
            }
        }
    }
    smlr_max
}

/// A similarity threshold in `[0, 1]`, tested as PostgreSQL does: `(double) score >= threshold`.
///
/// Thresholds are explicit values, never session state (pg_trgm's `set_limit` silently
/// resets on pooled connections).
///
/// ```
/// use ces::trgm::Threshold;
/// let t = Threshold::new(0.72)?;
/// assert!(t.accepts(18.0f32 / 25.0)); // f32(0.72) = 0.72000002861 >= 0.72
/// assert!(Threshold::new(f64::NAN).is_err());
/// assert!(Threshold::new(-0.1).is_err());
/// # Ok::<(), ces::CesError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Threshold(f64);

impl Threshold {
    /// The platform's brand-resolution threshold.
    pub const BRAND_DEFAULT: Threshold = Threshold(0.72);
    /// `pg_trgm.similarity_threshold`'s default (`%`).
    pub const PG_SIMILARITY_DEFAULT: Threshold = Threshold(0.3);
    /// `pg_trgm.word_similarity_threshold`'s default (`<%`).
    pub const PG_WORD_SIMILARITY_DEFAULT: Threshold = Threshold(0.6);
    /// `pg_trgm.strict_word_similarity_threshold`'s default (`<<%`).
    pub const PG_STRICT_WORD_SIMILARITY_DEFAULT: Threshold = Threshold(0.5);

    /// Validates `value` (NaN and values outside `[0, 1]` are [`CesError::InvalidThreshold`]).
    pub fn new(value: f64) -> Result<Self> {
        Self::for_field(value, "threshold")
    }

    /// Like [`Threshold::new`], naming the argument `field` in the error.
    pub fn for_field(value: f64, field: &str) -> Result<Self> {
        if value.is_nan() || !(0.0..=1.0).contains(&value) {
            return Err(CesError::InvalidThreshold {
                field: field.to_owned(),
                value,
            });
        }
        Ok(Threshold(value))
    }

    /// The threshold as a number.
    pub fn value(self) -> f64 {
        self.0
    }

    /// `score >= threshold`, compared in double precision as PostgreSQL does.
    #[inline]
    pub fn accepts(self, score: f32) -> bool {
        f64::from(score) >= self.0
    }
}

impl Default for Threshold {
    fn default() -> Self {
        Threshold::BRAND_DEFAULT
    }
}

/// The three pg_trgm scores, as data (for bindings, configuration files and batch calls).
///
/// ```
/// use ces::trgm::Metric;
/// assert_eq!(Metric::WordSimilarity.score("word", "two words"), 0.8);
/// assert_eq!("strict_word_similarity".parse::<Metric>()?, Metric::StrictWordSimilarity);
/// # Ok::<(), ces::CesError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Metric {
    /// [`similarity`] (operator `%`).
    #[default]
    Similarity,
    /// [`word_similarity`] (operator `<%`).
    WordSimilarity,
    /// [`strict_word_similarity`] (operator `<<%`).
    StrictWordSimilarity,
}

impl Metric {
    /// All metrics.
    pub const ALL: [Metric; 3] = [
        Metric::Similarity,
        Metric::WordSimilarity,
        Metric::StrictWordSimilarity,
    ];

    /// The metric's name (`similarity`, `word_similarity`, `strict_word_similarity`).
    pub fn name(self) -> &'static str {
        match self {
            Metric::Similarity => "similarity",
            Metric::WordSimilarity => "word_similarity",
            Metric::StrictWordSimilarity => "strict_word_similarity",
        }
    }

    /// The score of `a` against `b` (`a` is the needle for the word similarities).
    #[inline]
    pub fn score(self, a: &str, b: &str) -> f32 {
        match self {
            Metric::Similarity => similarity(a, b),
            Metric::WordSimilarity => word_similarity(a, b),
            Metric::StrictWordSimilarity => strict_word_similarity(a, b),
        }
    }
}

impl std::str::FromStr for Metric {
    type Err = CesError;
    fn from_str(s: &str) -> Result<Self> {
        Metric::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| CesError::InvalidArgument {
                row: Default::default(),
                field: "metric".into(),
                value: format!("{s:?}"),
                reason: "expected one of similarity, word_similarity, strict_word_similarity"
                    .into(),
            })
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Scores row `i` of `left` against row `i` of `right` for every row, in parallel when the
/// `parallel` feature is on and [`crate::parallel::enabled`]. A null on either side gives a
/// null score, as PostgreSQL's strict functions do. The result does not depend on the
/// number of threads.
///
/// ```
/// use ces::trgm::{score_pairs, Metric};
/// let left = [Some("Coca Cola"), None, Some("word")];
/// let right = [Some("CocaCola"), Some("x"), Some("two words")];
/// let scores = score_pairs(Metric::Similarity, &left, &right)?;
/// assert_eq!(scores, [Some(0.7), None, Some(0.36363637)]);
/// assert_eq!(score_pairs(Metric::Similarity, &left, &right[..2]).unwrap_err().code(), "length_mismatch");
/// # Ok::<(), ces::CesError>(())
/// ```
pub fn score_pairs(
    metric: Metric,
    left: &[Option<&str>],
    right: &[Option<&str>],
) -> Result<Vec<Option<f32>>> {
    if left.len() != right.len() {
        return Err(CesError::LengthMismatch {
            left_field: "left".into(),
            left_len: left.len(),
            right_field: "right".into(),
            right_len: right.len(),
        });
    }
    let one = |(a, b): (&Option<&str>, &Option<&str>)| match (a, b) {
        (Some(a), Some(b)) => Some(metric.score(a, b)),
        _ => None,
    };
    Ok(crate::parallel::map_pairs(left, right, one))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<String> {
        show_trgm(s)
    }

    #[test]
    fn crc_check_values() {
        assert_eq!(window_key(['a', 'f', 'é']).to_string(), "0xef5960");
        assert_eq!(window_key(['f', 'é', ' ']).to_string(), "0x544980");
        assert_eq!(window_key([' ', ' ', 'é']).to_string(), "0xe69b54");
        assert_eq!(&window_key([' ', ' ', 'č']).bytes(), b"tbu");
    }

    #[test]
    fn show_trgm_examples() {
        assert_eq!(hex("Café"), ["0xef5960", "  c", " ca", "0x544980", "caf"]);
        assert_eq!(hex("1.5L"), ["  1", "  5", " 1 ", " 5l", "5l "]);
        assert!(hex("😀 !!").is_empty());
        assert_eq!(hex("a"), ["  a", " a "]);
    }

    #[test]
    fn greedy_not_exhaustive() {
        assert_eq!(
            word_similarity("aba b ", " babaa aa ba ba aaa b"),
            0.44444445
        );
        assert_eq!(
            strict_word_similarity("ba a ab ", "aaaaba b  a abaaaab"),
            0.41666666
        );
        assert_eq!(word_similarity("two words", "word"), 0.4);
    }

    #[test]
    fn threshold_boundary() {
        let t = Threshold::new(0.72).unwrap();
        assert_eq!(
            similarity("Datu Puti Vinegar 3-in-1", "Datu Puti Vinegar"),
            0.72
        );
        assert!(t.accepts(similarity("Datu Puti Vinegar 3-in-1", "Datu Puti Vinegar")));
        assert!(Threshold::new(1.0).is_ok() && Threshold::new(0.0).is_ok());
        for bad in [f64::NAN, -0.0001, 1.0001, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(Threshold::new(bad).unwrap_err().code(), "invalid_threshold");
        }
    }

    #[test]
    fn long_strings_are_linear_for_similarity() {
        let big: String = "lorem ipsum dolor sit amet ".repeat(40_000); // ~1 MB
        let t = std::time::Instant::now();
        let s = similarity(&big, "lorem ipsum");
        assert!(s > 0.0 && s < 1.0);
        let one_word = "x".repeat(1 << 20);
        assert_eq!(similarity(&one_word, &one_word), 1.0);
        assert!(t.elapsed().as_secs() < 20);
    }
}
