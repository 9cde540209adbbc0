//! Side by side: brand resolution with `ces::brands::Resolver` (pg_trgm-compatible mode) and
//! PostgreSQL's `%` operator over a GIN `gin_trgm_ops` index, on the same seeded catalog and
//! messy queries, in one run. Needs `DATABASE_URL` (a PostgreSQL with pg_trgm);
//! `make bench-brands` starts a throwaway cluster.
//!
//! * Data: 100,000 distinct product names (brand, line, product, flavour, size) and 10,000
//!   messy queries (about 70 % derived from catalog names with typos, case, punctuation and
//!   size changes, 30 % unknown brands), written to `bench-out/brands/{catalog,queries}.tsv`
//!   for the RapidFuzz side (`benches/brands_rapidfuzz.py`). `CES_BENCH_NAMES` and
//!   `CES_BENCH_QUERIES` change the sizes; `CES_BENCH_BIG_NAMES` the size of the index-build
//!   run (default 1,000,000; 0 skips it).
//! * Ours: a [`Catalog`] with [`NormalizerSpec::pg_trgm_compatible`] (brand id = row number,
//!   starting at 1) and a [`Resolver`] with [`ResolverConfig::pg_trgm_compatible`]`(0.72)`;
//!   `resolve_batch` over all queries on the rayon pool and with parallelism off.
//! * PostgreSQL: `names(id int primary key, name text)` with a GIN `gin_trgm_ops` index,
//!   `SET pg_trgm.similarity_threshold = 0.72`, one statement
//!   `SELECT q.id, m.id, m.sim FROM queries q LEFT JOIN LATERAL (SELECT n.id,
//!   similarity(n.name, q.q) sim FROM names n WHERE n.name % q.q ORDER BY sim DESC, n.id
//!   LIMIT 1) m ON true`, after a warm-up on the first 200 queries.
//! * Exactness: for every query PostgreSQL's `(id, sim)` must equal ours `(brand_id, score)`
//!   bit for bit (both `None` when nothing reaches 0.72); the run fails otherwise.

use std::error::Error;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use ces::brands::{BrandRecord, Catalog, CatalogSpec, NormalizerSpec, Resolver, ResolverConfig};
use ces_benches::{brand_catalog, brand_queries, mib, peak_rss};
use sqlx::{Connection, PgConnection, Row};

const SEED: u64 = 20_261_123;
const THRESHOLD: f64 = 0.72;
const WARMUP_QUERIES: usize = 200; // keep in step with the warm-up statement
const ROUND_TRIP_QUERIES: usize = 1_000;
const RUNS: usize = 3;

/// The statement PostgreSQL runs over all queries (a macro: sqlx takes only literal SQL).
macro_rules! statement {
    () => {
        "SELECT q.id, m.id, m.sim FROM queries q LEFT JOIN LATERAL \
         (SELECT n.id, similarity(n.name, q.q) sim FROM names n WHERE n.name % q.q \
         ORDER BY sim DESC, n.id LIMIT 1) m ON true"
    };
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn copy_escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// `100k`, `1M`, or the number.
fn short(n: usize) -> String {
    if n >= 1_000_000 && n.is_multiple_of(1_000_000) {
        format!("{}M", n / 1_000_000)
    } else if n >= 1_000 && n.is_multiple_of(1_000) {
        format!("{}k", n / 1_000)
    } else {
        n.to_string()
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn out_dir() -> PathBuf {
    match std::env::var_os("CES_BENCH_OUT") {
        Some(d) => PathBuf::from(d),
        None => {
            let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
            manifest
                .parent()
                .unwrap_or(manifest)
                .join("bench-out/brands")
        }
    }
}

/// A pg_trgm-compatible resolver over `names` (id = row + 1), with the catalog and index
/// build times in seconds.
fn build(names: &[String]) -> Result<(Resolver, f64, f64), Box<dyn Error>> {
    let start = Instant::now();
    let catalog = Catalog::new(CatalogSpec {
        brands: names
            .iter()
            .enumerate()
            .map(|(i, n)| BrandRecord {
                id: i as i64 + 1,
                name: n.clone(),
                threshold: None,
            })
            .collect(),
        aliases: Vec::new(),
        generic_words: Vec::new(),
        normalizer: NormalizerSpec::pg_trgm_compatible(),
    })?;
    let catalog_secs = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let resolver = Resolver::new(
        Arc::new(catalog),
        ResolverConfig::pg_trgm_compatible(THRESHOLD),
    )?;
    Ok((resolver, catalog_secs, start.elapsed().as_secs_f64()))
}

/// Best match per query: `(brand id, score)`, or `None`.
type Best = Option<(i64, u32)>;

/// Median seconds of `RUNS` timed `resolve_batch` runs (after one warm-up) and the answers.
fn time_ours(resolver: &Resolver, queries: &[&str], parallel: bool) -> (f64, Vec<Best>) {
    ces::parallel::set_enabled(parallel);
    let _ = resolver.resolve_batch(queries, None);
    let mut times = Vec::with_capacity(RUNS);
    let mut best = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let decisions = resolver.resolve_batch(queries, None);
        times.push(start.elapsed().as_secs_f64());
        best = decisions
            .iter()
            .map(|d| d.brand_id.zip(d.score.map(f32::to_bits)))
            .collect();
    }
    ces::parallel::set_enabled(true);
    (median(times), best)
}

async fn copy_rows<'a>(
    conn: &mut PgConnection,
    statement: &str,
    rows: impl Iterator<Item = (usize, &'a str)>,
) -> Result<(), Box<dyn Error>> {
    let mut copy = conn.copy_in_raw(statement).await?;
    let mut buf = String::new();
    for (id, text) in rows {
        write!(buf, "{id}\t")?;
        copy_escape(text, &mut buf);
        buf.push('\n');
        if buf.len() > 1 << 20 {
            copy.send(buf.as_bytes()).await?;
            buf.clear();
        }
    }
    copy.send(buf.as_bytes()).await?;
    copy.finish().await?;
    Ok(())
}

struct PgRun {
    warmup_secs: f64,
    secs: f64,
    round_trip_qps: f64,
    peak: Option<u64>,
    best: Vec<Best>,
}

async fn postgres(url: &str, names: &[String], queries: &[&str]) -> Result<PgRun, Box<dyn Error>> {
    let mut conn = PgConnection::connect(url).await?;
    let version: String = sqlx::query_scalar("SELECT version()")
        .fetch_one(&mut conn)
        .await?;
    println!("anchor: {version}");
    for sql in [
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        "DROP SCHEMA IF EXISTS ces_bench_brands CASCADE",
        "CREATE SCHEMA ces_bench_brands",
        "SET search_path = ces_bench_brands, public",
        "CREATE TABLE names (id int PRIMARY KEY, name text NOT NULL)",
        "CREATE TABLE queries (id int PRIMARY KEY, q text NOT NULL)",
    ] {
        sqlx::query(sql).execute(&mut conn).await?;
    }
    let load = Instant::now();
    copy_rows(
        &mut conn,
        "COPY names (id, name) FROM STDIN",
        names.iter().enumerate().map(|(i, n)| (i + 1, n.as_str())),
    )
    .await?;
    copy_rows(
        &mut conn,
        "COPY queries (id, q) FROM STDIN",
        queries.iter().enumerate().map(|(i, q)| (i + 1, *q)),
    )
    .await?;
    let load_secs = load.elapsed().as_secs_f64();
    let index = Instant::now();
    sqlx::query("CREATE INDEX names_name_trgm ON names USING gin (name gin_trgm_ops)")
        .execute(&mut conn)
        .await?;
    let index_secs = index.elapsed().as_secs_f64();
    sqlx::query("VACUUM ANALYZE names")
        .execute(&mut conn)
        .await?;
    sqlx::query("VACUUM ANALYZE queries")
        .execute(&mut conn)
        .await?;
    let size: String =
        sqlx::query_scalar("SELECT pg_size_pretty(pg_relation_size('names_name_trgm'))")
            .fetch_one(&mut conn)
            .await?;
    println!(
        "postgresql: loaded in {load_secs:.1} s, GIN index built in {index_secs:.1} s ({size})"
    );
    const _: () = assert!(THRESHOLD == 0.72); // keep in step with the SET below
    sqlx::query("SET pg_trgm.similarity_threshold = 0.72")
        .execute(&mut conn)
        .await?;
    let backend: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut conn)
        .await?;
    let plan: Vec<String> = sqlx::query_scalar(concat!("EXPLAIN (COSTS OFF) ", statement!()))
        .fetch_all(&mut conn)
        .await?;
    println!("postgresql plan:");
    for line in plan {
        println!("  {line}");
    }

    // Warm-up on a small subset (index and table pages into shared buffers).
    let warm = Instant::now();
    sqlx::query(concat!(statement!(), " WHERE q.id <= 200"))
        .fetch_all(&mut conn)
        .await?;
    let warmup_secs = warm.elapsed().as_secs_f64();

    let start = Instant::now();
    let rows = sqlx::query(statement!()).fetch_all(&mut conn).await?;
    let secs = start.elapsed().as_secs_f64();
    let mut best: Vec<Best> = vec![None; queries.len()];
    for row in rows {
        let qid: i32 = row.try_get(0)?;
        let id: Option<i32> = row.try_get(1)?;
        let sim: Option<f32> = row.try_get(2)?;
        best[qid as usize - 1] = id.map(i64::from).zip(sim.map(f32::to_bits));
    }

    // For reference: one round trip per query (a prepared statement), as an application does.
    let n = queries.len().min(ROUND_TRIP_QUERIES);
    let start = Instant::now();
    for q in &queries[..n] {
        sqlx::query(
            "SELECT n.id, similarity(n.name, $1) sim FROM names n WHERE n.name % $1 \
             ORDER BY sim DESC, n.id LIMIT 1",
        )
        .bind(*q)
        .fetch_optional(&mut conn)
        .await?;
    }
    let round_trip_qps = n as f64 / start.elapsed().as_secs_f64();
    let peak = peak_rss(Some(backend as u32));
    sqlx::query("DROP SCHEMA ces_bench_brands CASCADE")
        .execute(&mut conn)
        .await?;
    Ok(PgRun {
        warmup_secs,
        secs,
        round_trip_qps,
        peak,
        best,
    })
}

fn write_tsv(
    dir: &std::path::Path,
    names: &[String],
    queries: &[(String, Option<usize>)],
) -> Result<(), Box<dyn Error>> {
    std::fs::create_dir_all(dir)?;
    let mut s = String::from("id\tname\n");
    for (i, n) in names.iter().enumerate() {
        writeln!(s, "{}\t{n}", i + 1)?;
    }
    std::fs::write(dir.join("catalog.tsv"), &s)?;
    let mut s = String::from("id\tq\tsource_id\n");
    for (i, (q, src)) in queries.iter().enumerate() {
        let src = src.map(|r| (r + 1).to_string()).unwrap_or_default();
        writeln!(s, "{}\t{q}\t{src}", i + 1)?;
    }
    std::fs::write(dir.join("queries.tsv"), &s)?;
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let url = std::env::var("DATABASE_URL")
        .map_err(|_| "set DATABASE_URL (make bench-brands starts a server)")?;
    let n_names = env_usize("CES_BENCH_NAMES", 100_000);
    let n_queries = env_usize("CES_BENCH_QUERIES", 10_000);
    let n_big = env_usize("CES_BENCH_BIG_NAMES", 1_000_000);
    let threads = env_usize(
        "RAYON_NUM_THREADS",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    );

    // --- data -------------------------------------------------------------------------------
    let (names, brands) = brand_catalog(SEED, n_names);
    let queries = brand_queries(SEED + 1, &names, &brands, n_queries);
    let dir = out_dir();
    write_tsv(&dir, &names, &queries)?;
    let known = queries.iter().filter(|(_, s)| s.is_some()).count();
    let mean = |v: &mut dyn Iterator<Item = &String>| {
        let (n, c) = v.fold((0usize, 0usize), |(n, c), s| (n + 1, c + s.chars().count()));
        c as f64 / n.max(1) as f64
    };
    println!(
        "data: {n_names} names ({} brands, mean {:.1} chars), {n_queries} queries ({known} derived from catalog names, {} unknown brands, mean {:.1} chars), seed {SEED}; written to {}",
        brands.len(),
        mean(&mut names.iter()),
        n_queries - known,
        mean(&mut queries.iter().map(|(q, _)| q)),
        dir.display()
    );
    for (q, src) in queries.iter().take(6) {
        match src {
            Some(i) => println!("  query {q:?} <- {:?}", names[*i]),
            None => println!("  query {q:?} (unknown brand)"),
        }
    }
    let qs: Vec<&str> = queries.iter().map(|(q, _)| q.as_str()).collect();

    // --- ours -------------------------------------------------------------------------------
    let (resolver, catalog_secs, index_secs) = build(&names)?;
    let index = resolver.index();
    println!(
        "ours: catalog built in {catalog_secs:.3} s, trigram index in {index_secs:.3} s ({} trigrams, {} heap)",
        index.trigram_count(),
        mib(Some(index.heap_bytes() as u64))
    );
    let (ours_par, ours_best) = time_ours(&resolver, &qs, true);
    let (ours_one, ours_best_one) = time_ours(&resolver, &qs, false);
    let ours_peak = peak_rss(None);
    let qps = |secs: f64| n_queries as f64 / secs;
    println!(
        "ours: {threads} threads {:.3} s ({:.0} q/s), 1 thread {:.3} s ({:.0} q/s) (median of {RUNS} runs after a warm-up); process peak {}",
        ours_par,
        qps(ours_par),
        ours_one,
        qps(ours_one),
        mib(ours_peak)
    );
    std::fs::write(
        dir.join("ours.tsv"),
        format!(
            "threads\t{threads}\nqps_threads\t{:.1}\nqps_1_thread\t{:.1}\n",
            qps(ours_par),
            qps(ours_one)
        ),
    )?;

    // --- PostgreSQL ------------------------------------------------------------------------
    let pg = postgres(&url, &names, &qs).await?;
    println!(
        "postgresql: one statement over {n_queries} queries {:.2} s ({:.0} q/s; warm-up on {WARMUP_QUERIES} queries {:.2} s); one round trip per query {:.0} q/s (first {} queries); backend peak {} (VmHWM; shared buffers partly)",
        pg.secs,
        qps(pg.secs),
        pg.warmup_secs,
        pg.round_trip_qps,
        n_queries.min(ROUND_TRIP_QUERIES),
        mib(pg.peak)
    );

    // --- agreement -------------------------------------------------------------------------
    let agree = ours_best
        .iter()
        .zip(&pg.best)
        .filter(|(a, b)| a == b)
        .count();
    let same_threads = ours_best == ours_best_one;
    let matched = pg.best.iter().filter(|b| b.is_some()).count();
    let found = queries
        .iter()
        .zip(&pg.best)
        .filter(|((_, src), b)| src.is_some() && b.is_some())
        .count();
    let correct = queries
        .iter()
        .zip(&pg.best)
        .filter(
            |((_, src), b)| matches!((src, b), (Some(i), Some((id, _))) if *id == *i as i64 + 1),
        )
        .count();
    let false_unknown = queries
        .iter()
        .zip(&pg.best)
        .filter(|((_, src), b)| src.is_none() && b.is_some())
        .count();
    println!("agree: {agree} of {n_queries}");
    println!(
        "  (best match: brand id and score bit for bit; 1 thread == {threads} threads: {same_threads})"
    );
    println!(
        "quality at {THRESHOLD} (same for both): {matched} queries matched; of {known} derived queries {found} matched ({correct} to their source name); of {} unknown-brand queries {false_unknown} matched something",
        n_queries - known
    );
    let disagreements = ours_best
        .iter()
        .zip(&pg.best)
        .enumerate()
        .filter(|(_, (a, b))| a != b);
    for (i, (a, b)) in disagreements.take(20) {
        println!(
            "  disagreement: query {} {:?}: ours {a:?}, postgresql {b:?} (id, f32 bits)",
            i + 1,
            qs[i]
        );
    }
    drop(resolver);

    // --- index build at 1M names ------------------------------------------------------------
    if n_big > 0 {
        let (big_names, _) = brand_catalog(SEED + 2, n_big);
        let (r, catalog_secs, index_secs) = build(&big_names)?;
        let start = Instant::now();
        let _ = r.resolve_batch(&qs, None);
        let secs = start.elapsed().as_secs_f64();
        println!(
            "ours, {n_big} names: catalog built in {catalog_secs:.2} s, trigram index in {index_secs:.2} s ({} trigrams, {} heap); the same {n_queries} queries on {threads} threads {secs:.3} s ({:.0} q/s, one run); process peak {}",
            r.index().trigram_count(),
            mib(Some(r.index().heap_bytes() as u64)),
            qps(secs),
            mib(peak_rss(None))
        );
    }

    println!();
    println!(
        "bench: brands {} names x {} queries, {threads} threads | ours {:.0} q/s | postgresql {:.0} q/s | ratio {:.1}",
        short(n_names),
        short(n_queries),
        qps(ours_par),
        qps(pg.secs),
        pg.secs / ours_par
    );
    println!(
        "bench: brands {} names x {} queries, 1 thread | ours {:.0} q/s | postgresql {:.0} q/s | ratio {:.1}",
        short(n_names),
        short(n_queries),
        qps(ours_one),
        qps(pg.secs),
        pg.secs / ours_one
    );
    if agree != n_queries || !same_threads {
        return Err(format!(
            "best matches disagree with PostgreSQL: {agree} of {n_queries} agree (threads consistent: {same_threads})"
        )
        .into());
    }
    Ok(())
}
