//! `ces::trgm` against the live PostgreSQL of `DATABASE_URL`, bit for bit:
//!
//! * every pair of the committed golden file: server == golden == ces core, for every field;
//! * a table of subtle pairs: server == ces core;
//! * every Unicode scalar value: `show_trgm(chr(c))` on the server == ces, which proves the
//!   compiled word-character and lower-case tables on the running server.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;

use ces::trgm::{
    Threshold, TrigramSet, similarity, similarity_distance, strict_word_similarity, word_similarity,
};
use ces_sql::sqlx::{self, PgPool};
use ces_sql::{PgTrgmRow, pg_trgm_scores};
use common::PgTestDb;

const THRESHOLD: Threshold = Threshold::BRAND_DEFAULT; // 0.72, the golden file's

/// A fresh database with pg_trgm, and a pool on it.
async fn server() -> (PgTestDb, PgPool) {
    let t = PgTestDb::create().await;
    let pool = PgPool::connect(&t.url)
        .await
        .expect("connect to test database");
    sqlx::raw_sql("create extension if not exists pg_trgm")
        .execute(&pool)
        .await
        .unwrap();
    (t, pool)
}

/// One pair's answers, as the golden file, the server or the core gives them.
#[derive(Debug, PartialEq)]
struct Answers {
    /// sim, sim_ba, dist, ws_ab, ws_ba, sws_ab, sws_ba as f32 bit patterns.
    bits: [u32; 7],
    show_a: String,
    show_b: String,
    op: [bool; 5],
}

const FIELDS: [&str; 7] = [
    "sim", "sim_ba", "dist", "ws_ab", "ws_ba", "sws_ab", "sws_ba",
];

fn from_server(r: &PgTrgmRow) -> Answers {
    Answers {
        bits: [
            r.similarity_ab,
            r.similarity_ba,
            r.distance,
            r.word_similarity_ab,
            r.word_similarity_ba,
            r.strict_word_similarity_ab,
            r.strict_word_similarity_ba,
        ]
        .map(f32::to_bits),
        show_a: r.show_trgm_a.clone(),
        show_b: r.show_trgm_b.clone(),
        op: r.ops,
    }
}

fn from_core(a: &str, b: &str) -> Answers {
    let scores = [
        similarity(a, b),
        similarity(b, a),
        similarity_distance(a, b),
        word_similarity(a, b),
        word_similarity(b, a),
        strict_word_similarity(a, b),
        strict_word_similarity(b, a),
    ];
    let t = THRESHOLD;
    Answers {
        bits: scores.map(f32::to_bits),
        show_a: TrigramSet::new(a).to_pg_array_text(),
        show_b: TrigramSet::new(b).to_pg_array_text(),
        op: [
            t.accepts(scores[0]),
            t.accepts(scores[3]),
            t.accepts(scores[4]),
            t.accepts(scores[5]),
            t.accepts(scores[6]),
        ],
    }
}

/// Human-readable differences between two sets of answers.
fn diff(left_name: &str, left: &Answers, right_name: &str, right: &Answers) -> Vec<String> {
    let mut out = Vec::new();
    for (i, field) in FIELDS.iter().enumerate() {
        if left.bits[i] != right.bits[i] {
            out.push(format!(
                "{field}: {left_name} {} ({:#010x}) != {right_name} {} ({:#010x})",
                f32::from_bits(left.bits[i]),
                left.bits[i],
                f32::from_bits(right.bits[i]),
                right.bits[i]
            ));
        }
    }
    if left.show_a != right.show_a {
        out.push(format!(
            "show_a: {left_name} {} != {right_name} {}",
            left.show_a, right.show_a
        ));
    }
    if left.show_b != right.show_b {
        out.push(format!(
            "show_b: {left_name} {} != {right_name} {}",
            left.show_b, right.show_b
        ));
    }
    if left.op != right.op {
        out.push(format!(
            "op [a%b, a<%b, b<%a, a<<%b, b<<%a]: {left_name} {:?} != {right_name} {:?}",
            left.op, right.op
        ));
    }
    out
}

/// Collects mismatches, keeps the first few for the report.
#[derive(Default)]
struct Report {
    failed: usize,
    shown: Vec<String>,
}

impl Report {
    fn check(&mut self, what: String, problems: Vec<String>) {
        if problems.is_empty() {
            return;
        }
        self.failed += 1;
        if self.shown.len() < 20 {
            self.shown
                .push(format!("{what}\n    {}", problems.join("\n    ")));
        }
    }

    fn assert_ok(self, total: usize) {
        assert!(
            self.failed == 0,
            "{} of {total} cases differ; first ones:\n{}",
            self.failed,
            self.shown.join("\n")
        );
    }
}

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/trgm/golden.jsonl")
}

struct GoldenRow {
    id: u64,
    cat: String,
    a: String,
    b: String,
    answers: Answers,
}

fn read_golden() -> Vec<GoldenRow> {
    let path = golden_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "golden file {} is missing or unreadable ({e}); generate it with \
             tests/fixtures/trgm/generate.py (see tests/fixtures/trgm/README.md)",
            path.display()
        )
    });
    let mut rows = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{}:{}: not JSON: {e}", path.display(), n + 1));
        let field = |k: &str| {
            v.get(k)
                .unwrap_or_else(|| panic!("{}:{}: no `{k}`", path.display(), n + 1))
        };
        let text = |k: &str| {
            field(k)
                .as_str()
                .unwrap_or_else(|| panic!("{}:{}: `{k}` is not a string", path.display(), n + 1))
                .to_owned()
        };
        let bits = |k: &str| -> u32 {
            field(k)
                .as_u64()
                .and_then(|x| u32::try_from(x).ok())
                .unwrap_or_else(|| {
                    panic!(
                        "{}:{}: `{k}` is not a u32 bit pattern",
                        path.display(),
                        n + 1
                    )
                })
        };
        let op: Vec<bool> = field("op")
            .as_array()
            .map(|a| a.iter().filter_map(serde_json::Value::as_bool).collect())
            .unwrap_or_default();
        let op: [bool; 5] = op
            .try_into()
            .unwrap_or_else(|_| panic!("{}:{}: `op` is not 5 booleans", path.display(), n + 1));
        rows.push(GoldenRow {
            id: field("id").as_u64().unwrap_or(n as u64),
            cat: v
                .get("cat")
                .and_then(|c| c.as_str())
                .unwrap_or("")
                .to_owned(),
            a: text("a"),
            b: text("b"),
            answers: Answers {
                bits: FIELDS.map(bits),
                show_a: text("show_a"),
                show_b: text("show_b"),
                op,
            },
        });
    }
    assert!(
        !rows.is_empty(),
        "golden file {} has no rows",
        path.display()
    );
    rows
}

#[tokio::test]
async fn golden_pairs_match_live_server_and_core() {
    let golden = read_golden();
    let (_db, pool) = server().await;
    let pairs: Vec<(String, String)> = golden.iter().map(|g| (g.a.clone(), g.b.clone())).collect();
    let server = pg_trgm_scores(&pool, &pairs, THRESHOLD).await.unwrap();
    assert_eq!(server.len(), golden.len());
    let mut report = Report::default();
    for (g, s) in golden.iter().zip(&server) {
        let s = from_server(s);
        let core = from_core(&g.a, &g.b);
        let mut problems = diff("server", &s, "golden", &g.answers);
        problems.extend(diff("server", &s, "ces", &core));
        report.check(
            format!("id {} ({}): a = {:?}, b = {:?}", g.id, g.cat, g.a, g.b),
            problems,
        );
    }
    report.assert_ok(golden.len());
    pool.close().await;
}

/// The subtle cases of the pg_trgm brief (and the core's unit tests), asked live.
#[tokio::test]
async fn subtle_pairs_match_live_server() {
    let cases = [
        ("", ""),
        ("!!!", "!!!"),
        ("a", "ab"),
        ("a_b", "a b"),
        ("1.5L", "1,5 L"),
        ("1.5L", "1500ml"),
        ("Coca Cola 1.5L", "coca-cola"),
        ("CocaCola", "Coca Cola"),
        ("COKE zero", "Coca-Cola Zero Sugar"),
        ("Alaska Evap", "Alaska Evaporated Filled Milk"),
        ("Datu Puti Vinegar 3-in-1", "Datu Puti Vinegar"),
        ("Café", "Cafe"),
        ("Cafe\u{301}", "Cafe"),
        ("Nestlé", "Nestle"),
        ("İSTANBUL", "istanbul"),
        ("ISTANBUL", "ıstanbul"),
        ("ΣΟΦΟΣ", "σοφος"),
        ("ẞ", "ß"),
        ("ＣＯＫＥ", "coke"),
        ("M&M's", "MMs"),
        ("日本語", "日本"),
        ("可口可乐", "可口可樂"),
        ("😀 Coke", "Coke"),
        ("x\u{a0}y", "x y"),
        ("№5", "N5"),
        ("x²", "x2"),
        ("٣", "3"),
        ("č", "tbu"),
        ("word", "two words"),
        ("aba b ", " babaa aa ba ba aaa b"),
        ("ba a ab ", "aaaaba b  a abaaaab"),
        ("San Miguel Pale Pilsen", "SAN MIG LIGHT"),
        (
            "Lucky Me! Pancit Canton",
            "lucky me pancit canton chilimansi",
        ),
    ];
    let pairs: Vec<(String, String)> = cases
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let (_db, pool) = server().await;
    let server = pg_trgm_scores(&pool, &pairs, THRESHOLD).await.unwrap();
    assert_eq!(server.len(), pairs.len());
    let mut report = Report::default();
    for ((a, b), s) in pairs.iter().zip(&server) {
        report.check(
            format!("a = {a:?}, b = {b:?}"),
            diff("server", &from_server(s), "ces", &from_core(a, b)),
        );
    }
    report.assert_ok(pairs.len());

    // Thresholds are per call: another threshold on the same pool gives other operators and
    // leaves no session state behind.
    let low = pg_trgm_scores(&pool, &pairs[7..8], Threshold::new(0.5).unwrap())
        .await
        .unwrap();
    assert!(low[0].ops[0], "CocaCola % Coca Cola at 0.5");
    let limit: f32 = sqlx::query_scalar("select show_limit()")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        limit, 0.3,
        "SET LOCAL must not leak into the pooled session"
    );

    let err = pg_trgm_scores(&pool, &[("ok".into(), "a\0b".into())], THRESHOLD)
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), err.row(), err.field()),
        ("invalid_value", Some(0), Some("b"))
    );
    assert!(
        pg_trgm_scores(&pool, &[], THRESHOLD)
            .await
            .unwrap()
            .is_empty()
    );
    pool.close().await;
}

/// `show_trgm(chr(c))` for every Unicode scalar value (1..=0x10FFFF without surrogates) in
/// one query; ces must print the same array text, and `{}` wherever the server has none.
#[tokio::test]
async fn every_code_point_matches_live_server() {
    let (_db, pool) = server().await;
    let rows: Vec<(i32, String)> = sqlx::query_as(
        "select c, show_trgm(chr(c))::text
         from generate_series(1, 1114111) as c
         where c not between 55296 and 57343 and cardinality(show_trgm(chr(c))) > 0
         order by c",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    assert!(
        rows.len() > 100_000,
        "the server shows trigrams for only {} code points",
        rows.len()
    );
    let server: HashMap<u32, String> = rows.into_iter().map(|(c, s)| (c as u32, s)).collect();

    let mut report = Report::default();
    let mut total = 0;
    for c in (1u32..=0x10FFFF).filter_map(char::from_u32) {
        total += 1;
        let ours = TrigramSet::new(c.encode_utf8(&mut [0; 4])).to_pg_array_text();
        let theirs = server.get(&u32::from(c)).map_or("{}", String::as_str);
        if ours != theirs {
            report.check(
                format!("U+{:04X} {c:?}", u32::from(c)),
                vec![format!("server {theirs} != ces {ours}")],
            );
        }
    }
    assert_eq!(total, 0x10FFFF - 0x800);
    report.assert_ok(total);
}

/// The comparison itself: a one-bit difference, a different array text or operator is
/// reported with the field.
#[test]
fn differences_are_reported() {
    let base = from_core("word", "two words");
    let mut other = from_core("word", "two words");
    assert!(diff("server", &base, "ces", &other).is_empty());
    other.bits[3] ^= 1;
    other.show_b.push(' ');
    other.op[0] = !other.op[0];
    let d = diff("server", &base, "ces", &other);
    assert_eq!(d.len(), 3, "{d:?}");
    assert_eq!(
        d[0],
        "ws_ab: server 0.8 (0x3f4ccccd) != ces 0.79999995 (0x3f4ccccc)"
    );
}
