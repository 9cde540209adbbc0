//! `ces::lift` on the data `benches/lift_bench.py` generates (raw little-endian columns in
//! `bench-out/lift/`): one workload per process, so the driver reads the process's own peak
//! RSS. Part of `make bench-lift`; the side-by-side with statsmodels is `benches/lift_bench.py`.
//!
//! `lift_core --workload twogroup|cuped|did2x2|twfe [--data bench-out/lift] [--repeats 5]
//! [--serial]` (`--serial` turns the thread pool off: only the two-group batch uses it).
//!
//! Each run is timed from the columns in memory (as read from the files, before the first run)
//! to the results: for `twogroup` building the 10,000 `(Arm, Arm)` pairs and
//! `conversion_lift_batch` (Fisher off: every test and interval, score intervals included);
//! for `cuped` one `cuped` call (θ, the adjusted and raw Welch tests, ANCOVA with classical
//! and HC1 errors); for `did2x2` / `twfe` one `did_2x2` / `did_panel` call (cluster-robust by
//! store, Student t with G − 1 df). The last run's outputs are written to
//! `<data>/ours_<workload>.f64` (row-major f64, the column layout of `lift_bench.py`), and one
//! JSON line goes to stdout: `{"engine": "ours", "workload": …, "times": […], "median": …,
//! "self_peak_rss_mib": …}` (the process's own peak RSS, `VmHWM`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use ces::lift::did::{DidConfig, did_2x2, did_panel};
use ces::lift::{
    Alternative, Arm, ConversionConfig, FisherMode, Method, conversion_lift_batch, cuped,
};

fn read_bytes(dir: &Path, name: &str) -> Vec<u8> {
    let path = dir.join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read_f64(dir: &Path, name: &str) -> Vec<f64> {
    read_bytes(dir, name)
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect()
}

fn read_i64(dir: &Path, name: &str) -> Vec<i64> {
    read_bytes(dir, name)
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect()
}

fn read_bool(dir: &Path, name: &str) -> Vec<bool> {
    read_bytes(dir, name).into_iter().map(|b| b != 0).collect()
}

fn write_f64(dir: &Path, name: &str, values: &[f64]) {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Runs `f` `repeats` times; (wall times in seconds, the last output).
fn timed<T>(repeats: usize, mut f: impl FnMut() -> T) -> (Vec<f64>, T) {
    let mut times = Vec::with_capacity(repeats);
    let mut out = None;
    for _ in 0..repeats.max(1) {
        drop(out.take());
        let t = Instant::now();
        let r = f();
        times.push(t.elapsed().as_secs_f64());
        out = Some(r);
    }
    (times, out.expect("at least one run"))
}

fn median(times: &[f64]) -> f64 {
    let mut v = times.to_vec();
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// The process's own peak RSS in MiB (`VmHWM`; Linux only, else NaN). `ru_maxrss` as the
/// driver sees it through `wait4` would include the driver's RSS, which Linux carries over
/// across `exec`; for this small process that floor would be most of the figure.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn json_list(values: &[f64]) -> String {
    let items: Vec<String> = values.iter().map(|t| format!("{t:.9}")).collect();
    format!("[{}]", items.join(", "))
}

/// Two-group tests: 20 outputs per test (see `TWOGROUP_COLUMNS` in `lift_bench.py`).
fn twogroup(dir: &Path, repeats: usize) -> (Vec<f64>, Vec<f64>, String) {
    let (ct, nt, cc, nc) = (
        read_f64(dir, "tg_ct.f64"),
        read_f64(dir, "tg_nt.f64"),
        read_f64(dir, "tg_cc.f64"),
        read_f64(dir, "tg_nc.f64"),
    );
    let config = ConversionConfig {
        fisher: FisherMode::Never,
        ..Default::default()
    };
    let (times, results) = timed(repeats, || {
        let pairs: Vec<(Arm, Arm)> = (0..ct.len())
            .map(|i| (Arm::new(nt[i], ct[i]), Arm::new(nc[i], cc[i])))
            .collect();
        conversion_lift_batch(&pairs, &config)
    });
    let mut out = Vec::with_capacity(results.len() * 20);
    let mut errors = 0;
    for r in &results {
        match r {
            Ok(r) => {
                let ci = |list: &[ces::lift::Interval], m: Method| {
                    let i = list.iter().find(|i| i.method == m).expect("every interval");
                    [i.low, i.high]
                };
                out.extend([
                    r.pooled_z.statistic,
                    r.pooled_z.p_value,
                    r.wald_z.statistic,
                    r.wald_z.p_value,
                    r.score_z.statistic,
                    r.score_z.p_value,
                ]);
                for m in [
                    Method::Wald,
                    Method::AgrestiCaffo,
                    Method::Newcomb,
                    Method::Score,
                ] {
                    out.extend(ci(&r.difference_intervals, m));
                }
                for m in [Method::Log, Method::LogAdjusted, Method::Score] {
                    out.extend(ci(&r.ratio_intervals, m));
                }
            }
            Err(_) => {
                errors += 1;
                out.extend([f64::NAN; 20]);
            }
        }
    }
    (
        times,
        out,
        format!("\"tests\": {}, \"errors\": {errors}", results.len()),
    )
}

fn cuped_run(dir: &Path, repeats: usize) -> (Vec<f64>, Vec<f64>, String) {
    let (y, x, treated) = (
        read_f64(dir, "cu_y.f64"),
        read_f64(dir, "cu_x.f64"),
        read_bool(dir, "cu_treated.u8"),
    );
    let (times, r) = timed(repeats, || {
        cuped(&y, &x, &treated, 0.95, Alternative::TwoSided).expect("cuped")
    });
    let (a, u, c, h) = (
        &r.adjusted.inference,
        &r.unadjusted.inference,
        &r.ancova.classical,
        &r.ancova.hc1,
    );
    let out = vec![
        r.theta,
        r.variance_reduction,
        a.estimate,
        a.statistic,
        a.p_value,
        a.reference.df(),
        a.interval.low,
        a.interval.high,
        u.estimate,
        u.statistic,
        u.p_value,
        c.estimate,
        c.std_error,
        c.statistic,
        c.p_value,
        c.interval.low,
        c.interval.high,
        h.std_error,
        h.statistic,
        h.p_value,
        h.interval.low,
        h.interval.high,
        r.ancova.slope,
    ];
    (times, out, format!("\"users\": {}", y.len()))
}

fn did2x2_run(dir: &Path, repeats: usize) -> (Vec<f64>, Vec<f64>, String) {
    let unit: Vec<u64> = read_i64(dir, "did_store.i64")
        .into_iter()
        .map(|u| u as u64)
        .collect();
    let (treated, post, y) = (
        read_bool(dir, "did_treated.u8"),
        read_bool(dir, "did_post.u8"),
        read_f64(dir, "did_y2x2.f64"),
    );
    let (times, r) = timed(repeats, || {
        did_2x2(&unit, &treated, &post, &y, &DidConfig::default()).expect("did_2x2")
    });
    let e = &r.effect;
    let mut out = vec![
        e.estimate,
        r.cluster_std_error,
        e.statistic,
        e.p_value,
        e.interval.low,
        e.interval.high,
    ];
    out.extend(r.params);
    (
        times,
        out,
        format!("\"rows\": {}, \"clusters\": {}", r.n_obs, r.n_clusters),
    )
}

fn twfe_run(dir: &Path, repeats: usize) -> (Vec<f64>, Vec<f64>, String) {
    let unit: Vec<u64> = read_i64(dir, "did_store.i64")
        .into_iter()
        .map(|u| u as u64)
        .collect();
    let (week, d, y) = (
        read_i64(dir, "did_week.i64"),
        read_bool(dir, "did_d.u8"),
        read_f64(dir, "did_ystag.f64"),
    );
    let (times, r) = timed(repeats, || {
        did_panel(&unit, &week, &d, &y, &DidConfig::default()).expect("did_panel")
    });
    let e = &r.effect;
    let out = vec![
        e.estimate,
        r.cluster_std_error,
        e.statistic,
        e.p_value,
        e.interval.low,
        e.interval.high,
    ];
    (
        times,
        out,
        format!(
            "\"rows\": {}, \"units\": {}, \"periods\": {}, \"params\": {}",
            r.n_obs, r.n_units, r.n_periods, r.n_params
        ),
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| args.iter().skip_while(|a| *a != name).nth(1).cloned();
    let workload = arg("--workload").unwrap_or_else(|| {
        eprintln!(
            "usage: lift_core --workload twogroup|cuped|did2x2|twfe [--data DIR] [--repeats N]"
        );
        std::process::exit(2)
    });
    let dir = PathBuf::from(arg("--data").unwrap_or_else(|| "bench-out/lift".into()));
    let repeats: usize = arg("--repeats").and_then(|r| r.parse().ok()).unwrap_or(5);
    if args.iter().any(|a| a == "--serial") {
        ces::parallel::set_enabled(false);
    }
    let (times, out, extra) = match workload.as_str() {
        "twogroup" => twogroup(&dir, repeats),
        "cuped" => cuped_run(&dir, repeats),
        "did2x2" => did2x2_run(&dir, repeats),
        "twfe" => twfe_run(&dir, repeats),
        other => {
            eprintln!("unknown workload {other}");
            std::process::exit(2)
        }
    };
    write_f64(&dir, &format!("ours_{workload}.f64"), &out);
    println!(
        "{{\"engine\": \"ours\", \"workload\": \"{workload}\", \"times\": {}, \"median\": {:.9}, \
         \"threads\": {}, \"self_peak_rss_mib\": {:.1}, {extra}}}",
        json_list(&times),
        median(&times),
        ces::parallel::threads(),
        peak_rss_mib()
    );
}
