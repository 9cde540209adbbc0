//! Criterion benches of the trigram functions over growing batch sizes.
use std::hint::black_box;

use ces::trgm::{Metric, TrigramSet, score_pairs, similarity, word_similarity};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("similarity_pairs");
    for n in [1_000usize, 10_000, 100_000] {
        let (l, r) = ces_benches::pairs(42, n);
        let lo: Vec<Option<&str>> = l.iter().map(|s| Some(s.as_str())).collect();
        let ro: Vec<Option<&str>> = r.iter().map(|s| Some(s.as_str())).collect();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("scalar_1_thread", n), &n, |b, _| {
            b.iter(|| {
                let mut acc = 0f32;
                for (a, bb) in l.iter().zip(&r) {
                    acc += similarity(a, bb);
                }
                black_box(acc)
            })
        });
        g.bench_with_input(BenchmarkId::new("score_pairs_parallel", n), &n, |b, _| {
            b.iter(|| black_box(score_pairs(Metric::Similarity, &lo, &ro).map(|v| v.len())))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("single");
    let (l, r) = ces_benches::pairs(43, 1);
    g.bench_function("similarity", |b| {
        b.iter(|| similarity(black_box(&l[0]), black_box(&r[0])))
    });
    g.bench_function("word_similarity", |b| {
        b.iter(|| word_similarity(black_box(&l[0]), black_box(&r[0])))
    });
    let (sa, sb) = (TrigramSet::new(&l[0]), TrigramSet::new(&r[0]));
    g.bench_function("trigram_set_similarity", |b| {
        b.iter(|| black_box(&sa).similarity(black_box(&sb)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
