//! Compiles the two pg_trgm character tables (read from a PostgreSQL 15.18 server, glibc 2.36,
//! LC_CTYPE C.UTF-8; see `data/README.md`) into static Rust arrays.
use std::fmt::Write as _;
use std::{env, fs, path::Path};

fn parse(path: &str) -> Vec<(u32, u32)> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut it = line.split('\t');
        let a = it
            .next()
            .and_then(|s| u32::from_str_radix(s.trim(), 16).ok());
        let b = it
            .next()
            .and_then(|s| u32::from_str_radix(s.trim(), 16).ok());
        match (a, b) {
            (Some(a), Some(b)) => rows.push((a, b)),
            _ => panic!("{path}:{}: malformed line {line:?}", i + 1),
        }
    }
    rows
}

fn main() {
    let words = "data/pg15_c_utf8_wordchars.tsv";
    let lower = "data/pg15_c_utf8_lower.tsv";
    println!("cargo:rerun-if-changed={words}");
    println!("cargo:rerun-if-changed={lower}");
    let ranges = parse(words);
    let map = parse(lower);
    assert!(
        ranges.windows(2).all(|w| w[0].1 < w[1].0),
        "word ranges must be sorted, disjoint"
    );
    assert!(
        map.windows(2).all(|w| w[0].0 < w[1].0),
        "lower map must be sorted"
    );
    let total: u32 = ranges.iter().map(|(a, b)| b - a + 1).sum();
    assert_eq!(
        total, 134_056,
        "word-character count of the PostgreSQL 15 C.UTF-8 table"
    );
    assert_eq!(
        map.len(),
        1_433,
        "lower-case map size of the PostgreSQL 15 C.UTF-8 table"
    );

    // A bitmap for the Basic Multilingual Plane (8 KiB) and the ranges above it.
    let mut bmp = vec![0u64; 1024];
    let mut astral = Vec::new();
    for &(a, b) in &ranges {
        for c in a..=b {
            if c < 0x1_0000 {
                bmp[(c >> 6) as usize] |= 1u64 << (c & 63);
            }
        }
        if b >= 0x1_0000 {
            astral.push((a.max(0x1_0000), b));
        }
    }
    let mut out = String::new();
    writeln!(
        out,
        "/// Word-character bitmap of the BMP (bit c set iff U+c is a pg_trgm word character)."
    )
    .unwrap();
    writeln!(out, "pub(crate) static WORD_BMP: [u64; 1024] = [").unwrap();
    for w in &bmp {
        writeln!(out, "    {w:#018x},").unwrap();
    }
    writeln!(out, "];").unwrap();
    writeln!(out, "/// Word-character ranges above the BMP (inclusive).").unwrap();
    writeln!(
        out,
        "pub(crate) static WORD_ASTRAL: [(u32, u32); {}] = [",
        astral.len()
    )
    .unwrap();
    for (a, b) in &astral {
        writeln!(out, "    ({a:#x}, {b:#x}),").unwrap();
    }
    writeln!(out, "];").unwrap();
    writeln!(
        out,
        "/// towlower map (sorted by code point); unlisted code points map to themselves."
    )
    .unwrap();
    writeln!(
        out,
        "pub(crate) static LOWER_MAP: [(u32, u32); {}] = [",
        map.len()
    )
    .unwrap();
    for (a, b) in &map {
        writeln!(out, "    ({a:#x}, {b:#x}),").unwrap();
    }
    writeln!(out, "];").unwrap();
    let dest = Path::new(&env::var("OUT_DIR").unwrap()).join("trgm_tables.rs");
    fs::write(dest, out).unwrap();
}
