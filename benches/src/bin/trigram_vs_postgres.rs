//! Side by side: `ces::trgm::similarity` and PostgreSQL's `similarity()` on the same seeded
//! pairs, in one run. Needs `DATABASE_URL` (a PostgreSQL with pg_trgm); `make bench-trigram`
//! starts a throwaway cluster. `CES_BENCH_PAIRS` sets the number of pairs (default 1,000,000).
//!
//! PostgreSQL scores the pairs in one server-side query over a table
//! (`SELECT sum(s), count(*) FILTER (WHERE s >= 0.72) FROM (SELECT similarity(a, b) s FROM …)`),
//! so no per-row client traffic is counted against it. Ours scores the same strings held in
//! memory. Both sums and the counts above 0.72 are checked to agree, and the first 100,000
//! scores are compared bit for bit.

use std::error::Error;
use std::time::Instant;

use ces::trgm::{Metric, Threshold, score_pairs};
use ces_benches::{mib, pairs, peak_rss};
use sqlx::{Connection, PgConnection, Row};

const SEED: u64 = 20_261_123;

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

fn ours(lo: &[Option<&str>], ro: &[Option<&str>]) -> Result<(f64, f64, i64), Box<dyn Error>> {
    let t = Threshold::BRAND_DEFAULT;
    let start = Instant::now();
    let scores = score_pairs(Metric::Similarity, lo, ro)?;
    let secs = start.elapsed().as_secs_f64();
    let sum: f64 = scores.iter().map(|s| f64::from(s.unwrap_or(0.0))).sum();
    let hits = scores
        .iter()
        .filter(|s| s.is_some_and(|s| t.accepts(s)))
        .count() as i64;
    Ok((secs, sum, hits))
}

async fn postgres(
    conn: &mut PgConnection,
    parallel: bool,
) -> Result<(f64, f64, i64), Box<dyn Error>> {
    let workers = if parallel {
        "SET max_parallel_workers_per_gather = 2"
    } else {
        "SET max_parallel_workers_per_gather = 0"
    };
    sqlx::query(workers).execute(&mut *conn).await?;
    let sql = "SELECT sum(s::float8)::float8, count(*) FILTER (WHERE s >= 0.72) \
               FROM (SELECT similarity(a, b) AS s FROM ces_bench_pairs) t";
    // One warm-up run so both sides read from memory.
    sqlx::query(sql).fetch_one(&mut *conn).await?;
    let start = Instant::now();
    let row = sqlx::query(sql).fetch_one(&mut *conn).await?;
    let secs = start.elapsed().as_secs_f64();
    Ok((secs, row.try_get(0)?, row.try_get(1)?))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let url = std::env::var("DATABASE_URL")
        .map_err(|_| "set DATABASE_URL (make bench-trigram starts a server)")?;
    let n: usize = std::env::var("CES_BENCH_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let (left, right) = pairs(SEED, n);
    println!(
        "pairs: {n} (seed {SEED}), mean length {:.1} chars",
        left.iter()
            .chain(&right)
            .map(|s| s.chars().count())
            .sum::<usize>() as f64
            / (2 * n) as f64
    );

    let mut conn = PgConnection::connect(&url).await?;
    let version: String = sqlx::query_scalar("SELECT version()")
        .fetch_one(&mut conn)
        .await?;
    println!("anchor: {version}");
    sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        .execute(&mut conn)
        .await?;
    sqlx::query("DROP TABLE IF EXISTS ces_bench_pairs")
        .execute(&mut conn)
        .await?;
    sqlx::query("CREATE UNLOGGED TABLE ces_bench_pairs (id int PRIMARY KEY, a text NOT NULL, b text NOT NULL)")
        .execute(&mut conn)
        .await?;
    let load = Instant::now();
    let mut copy = conn
        .copy_in_raw("COPY ces_bench_pairs (id, a, b) FROM STDIN")
        .await?;
    let mut buf = String::new();
    for (i, (a, b)) in left.iter().zip(&right).enumerate() {
        buf.push_str(&i.to_string());
        buf.push('\t');
        copy_escape(a, &mut buf);
        buf.push('\t');
        copy_escape(b, &mut buf);
        buf.push('\n');
        if buf.len() > 1 << 20 {
            copy.send(buf.as_bytes()).await?;
            buf.clear();
        }
    }
    copy.send(buf.as_bytes()).await?;
    copy.finish().await?;
    sqlx::query("VACUUM ANALYZE ces_bench_pairs")
        .execute(&mut conn)
        .await?;
    println!(
        "loaded into PostgreSQL in {:.1} s",
        load.elapsed().as_secs_f64()
    );
    let backend: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut conn)
        .await?;

    // Exactness on the same data: the first 100,000 scores, bit for bit.
    let check = n.min(100_000);
    let rows = sqlx::query(
        "SELECT float4send(similarity(a, b)) FROM ces_bench_pairs WHERE id < $1 ORDER BY id",
    )
    .bind(check as i32)
    .fetch_all(&mut conn)
    .await?;
    let mut mismatches = 0usize;
    for (i, row) in rows.iter().enumerate() {
        let raw: Vec<u8> = row.try_get(0)?;
        let server = u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]);
        if ces::trgm::similarity(&left[i], &right[i]).to_bits() != server {
            mismatches += 1;
        }
    }
    println!("exactness: {check} scores compared bit for bit, {mismatches} mismatches");

    let lo: Vec<Option<&str>> = left.iter().map(|s| Some(s.as_str())).collect();
    let ro: Vec<Option<&str>> = right.iter().map(|s| Some(s.as_str())).collect();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    ces::parallel::set_enabled(true);
    let _ = ours(&lo, &ro)?; // warm-up
    let (ours_par, sum_par, hits_par) = ours(&lo, &ro)?;
    ces::parallel::set_enabled(false);
    let (ours_one, sum_one, hits_one) = ours(&lo, &ro)?;
    ces::parallel::set_enabled(true);
    let ours_peak = peak_rss(None);

    let (pg_par, pg_sum_par, pg_hits_par) = postgres(&mut conn, true).await?;
    let (pg_one, pg_sum_one, pg_hits_one) = postgres(&mut conn, false).await?;
    let pg_peak = peak_rss(Some(backend as u32));
    sqlx::query("DROP TABLE ces_bench_pairs")
        .execute(&mut conn)
        .await?;

    let agree = hits_par == pg_hits_par && hits_one == pg_hits_one && hits_par == hits_one;
    let sums = [sum_par, sum_one, pg_sum_par, pg_sum_one];
    let sum_spread = sums.iter().cloned().fold(f64::MIN, f64::max)
        - sums.iter().cloned().fold(f64::MAX, f64::min);
    println!(
        "agreement: pairs >= 0.72: ours {hits_par}, postgresql {pg_hits_par}; sums of scores differ by {sum_spread:.3e} (summation order only)"
    );
    println!(
        "peak memory: ours {} (whole process, incl. the {n} pairs), postgresql backend {} (VmHWM of the session's backend; parallel workers not included)",
        mib(ours_peak),
        mib(pg_peak)
    );
    let rate = |secs: f64| n as f64 / secs;
    println!(
        "ours: {threads} threads {:.3} s, 1 thread {:.3} s; postgresql: parallel query {:.3} s, no parallel workers {:.3} s",
        ours_par, ours_one, pg_par, pg_one
    );
    println!(
        "bench: similarity {n} pairs, ours {threads} threads vs PostgreSQL parallel query | ours {:.0} pairs/s | postgresql {:.0} pairs/s | ratio {:.1}",
        rate(ours_par),
        rate(pg_par),
        pg_par / ours_par
    );
    println!(
        "bench: similarity {n} pairs, 1 thread each | ours {:.0} pairs/s | postgresql {:.0} pairs/s | ratio {:.1}",
        rate(ours_one),
        rate(pg_one),
        pg_one / ours_one
    );
    if !agree || mismatches > 0 {
        return Err(format!("results disagree with PostgreSQL: {mismatches} score mismatches, counts ours {hits_par}/{hits_one} vs postgresql {pg_hits_par}/{pg_hits_one}").into());
    }
    Ok(())
}
