//! Brand resolution: the index against brute force, the traps of the real speech-to-text
//! dictionary, determinism and bad input.

use std::sync::Arc;

use ces::brands::*;
use ces::rng::Rng;
use ces::trgm::{Metric, Threshold, TrigramSet};

const STEMS: &[&str] = &[
    "coca",
    "cola",
    "pepsi",
    "royal",
    "alaska",
    "bear",
    "brand",
    "nescafe",
    "milo",
    "lucky",
    "pancit",
    "canton",
    "datu",
    "puti",
    "silver",
    "swan",
    "del",
    "monte",
    "san",
    "miguel",
    "red",
    "horse",
    "tide",
    "surf",
    "ariel",
    "downy",
    "kopiko",
    "great",
    "taste",
    "tang",
    "eden",
    "century",
    "tuna",
    "ligo",
    "nova",
    "oishi",
    "café",
    "nestlé",
    "可口可乐",
    "кола",
    "a",
    "co",
    "x1",
];

fn name(rng: &mut Rng) -> String {
    let n = 1 + rng.below(4);
    (0..n)
        .map(|_| *rng.pick(STEMS))
        .collect::<Vec<_>>()
        .join(if rng.chance(0.2) { "-" } else { " " })
}

fn typo(rng: &mut Rng, s: &str) -> String {
    let mut c: Vec<char> = s.chars().collect();
    for _ in 0..rng.below(3) {
        if c.is_empty() {
            break;
        }
        let i = rng.below(c.len());
        if rng.chance(0.5) {
            c.remove(i);
        } else {
            c.insert(i, (b'a' + rng.below(26) as u8) as char);
        }
    }
    c.into_iter().collect()
}

fn random_catalog(seed: u64, n: usize, normalizer: NormalizerSpec) -> Catalog {
    let mut rng = Rng::new(seed);
    let mut brands = Vec::new();
    let mut aliases = Vec::new();
    for id in 0..n as i64 {
        brands.push(BrandRecord {
            id: id * 3 + 1,
            name: name(&mut rng),
            threshold: rng.chance(0.1).then(|| 0.5 + rng.next_f64() * 0.4),
        });
        let alias = {
            let n = name(&mut rng);
            typo(&mut rng, &n)
        };
        if rng.chance(0.3) && !alias.trim().is_empty() {
            aliases.push(AliasRecord {
                brand_id: id * 3 + 1,
                alias,
                alias_type: *rng.pick(&AliasType::ALL[1..]),
                threshold: rng.chance(0.1).then(|| 0.4 + rng.next_f64() * 0.5),
            });
        }
    }
    Catalog::new(CatalogSpec {
        brands,
        aliases,
        generic_words: vec![],
        normalizer,
    })
    .unwrap()
}

/// The index must return every entry that reaches the threshold: compare with a scan of
/// every entry, for both metrics and several thresholds, on 400 queries.
#[test]
fn index_candidates_equal_a_brute_force_scan() {
    let catalog = random_catalog(11, 1500, NormalizerSpec::default());
    let index = TrigramIndex::new(catalog.entries());
    let mut rng = Rng::new(12);
    let mut out = Vec::new();
    let mut checked = 0usize;
    for _ in 0..400 {
        let q = if rng.chance(0.6) {
            let e = rng.below(catalog.entries().len());
            typo(&mut rng, &catalog.entries()[e].normalized)
        } else {
            name(&mut rng)
        };
        let qs = TrigramSet::new(&q);
        for metric in [Metric::Similarity, Metric::WordSimilarity] {
            for t in [0.1, 0.3, 0.5, 0.72, 0.9, 1.0] {
                let threshold = Threshold::new(t).unwrap();
                index.candidates(&qs, t, metric, &mut out);
                let found: std::collections::BTreeSet<u32> = out
                    .iter()
                    .copied()
                    .filter(|&e| {
                        threshold.accepts(score(metric, &q, &qs, &catalog.entries()[e as usize]))
                    })
                    .collect();
                let brute: std::collections::BTreeSet<u32> = (0..catalog.entries().len() as u32)
                    .filter(|&e| {
                        threshold.accepts(score(metric, &q, &qs, &catalog.entries()[e as usize]))
                    })
                    .collect();
                assert_eq!(found, brute, "query {q:?}, metric {metric}, threshold {t}");
                checked += brute.len();
            }
        }
    }
    assert!(
        checked > 1000,
        "the comparison must involve real matches ({checked})"
    );
}

fn score(metric: Metric, q: &str, qs: &TrigramSet, e: &Entry) -> f32 {
    match metric {
        Metric::Similarity => qs.similarity(&e.set),
        m => m.score(q, &e.normalized),
    }
}

/// pg_trgm-compatible mode gives the classic SQL's answer: best similarity >= 0.72, ties to
/// the lowest id (one canonical name per brand).
#[test]
fn pg_compatible_mode_equals_order_by_similarity_desc_id_limit_1() {
    let mut rng = Rng::new(5);
    let brands: Vec<BrandRecord> = (0..3000)
        .map(|i| BrandRecord {
            id: i,
            name: name(&mut rng),
            threshold: None,
        })
        .collect();
    let catalog = Arc::new(
        Catalog::new(CatalogSpec {
            brands: brands.clone(),
            normalizer: NormalizerSpec::pg_trgm_compatible(),
            ..Default::default()
        })
        .unwrap(),
    );
    let r = Resolver::new(catalog, ResolverConfig::pg_trgm_compatible(0.72)).unwrap();
    let t = Threshold::new(0.72).unwrap();
    let queries: Vec<String> = (0..800)
        .map(|_| {
            if rng.chance(0.7) {
                let b = rng.below(brands.len());
                typo(&mut rng, &brands[b].name)
            } else {
                name(&mut rng)
            }
        })
        .collect();
    let decisions = r.resolve_batch(&queries, None);
    let mut matched = 0;
    for (q, d) in queries.iter().zip(&decisions) {
        let best = brands
            .iter()
            .map(|b| (ces::trgm::similarity(&b.name, q), b.id))
            .filter(|&(s, _)| t.accepts(s))
            .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
        assert_eq!(best.map(|b| b.1), d.brand_id, "{q:?}: {d:?}");
        assert_eq!(best.map(|b| b.0), d.score, "{q:?}");
        matched += usize::from(best.is_some());
    }
    assert!(matched > 300, "{matched} matches");
}

fn stt_catalog() -> (Catalog, Vec<String>) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/brands/stt_brand_dictionary.csv"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let commodities = ["BREAD", "RICE", "EGGS", "WATER"];
    let mut generic: Vec<String> = [
        "softdrinks",
        "kape",
        "sabon",
        "shampoo",
        "gatas",
        "load",
        "yosi",
    ]
    .map(String::from)
    .to_vec();
    let mut brands: Vec<BrandRecord> = Vec::new();
    let mut keys: Vec<(String, String)> = Vec::new();
    let mut aliases = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (brand, variant, category) = (f[0].trim(), f[1].trim(), f[2].trim());
        if commodities.contains(&brand) {
            generic.push(brand.to_lowercase());
            generic.push(variant.to_owned());
            continue;
        }
        let key = (brand.to_owned(), category.to_owned());
        let id = match keys.iter().position(|k| *k == key) {
            Some(i) => i as i64 + 1,
            None => {
                keys.push(key);
                brands.push(BrandRecord {
                    id: keys.len() as i64,
                    name: brand.to_owned(),
                    threshold: None,
                });
                keys.len() as i64
            }
        };
        aliases.push(AliasRecord {
            brand_id: id,
            alias: variant.to_owned(),
            alias_type: AliasType::Phonetic,
            threshold: None,
        });
    }
    let spec = CatalogSpec {
        brands,
        aliases,
        generic_words: generic.clone(),
        normalizer: NormalizerSpec::default(),
    };
    (Catalog::new(spec).unwrap(), generic)
}

#[test]
fn stt_dictionary_traps() {
    let (catalog, generic) = stt_catalog();
    let r = Resolver::new(Arc::new(catalog), ResolverConfig::default()).unwrap();
    // `red` is an alias of RED HORSE and of MARLBORO; `smart` names two SMART brands.
    for (input, names) in [
        ("red", ["RED HORSE", "MARLBORO"]),
        ("Smart", ["SMART", "SMART"]),
    ] {
        let d = r.resolve(input);
        assert_eq!(d.status, Status::Ambiguous, "{input}: {d:?}");
        let mut got: Vec<&str> = d.candidates.iter().map(|c| c.brand_name.as_str()).collect();
        got.sort();
        let mut want = names.to_vec();
        want.sort();
        assert_eq!(got, want, "{input}");
    }
    // Generic and commodity words never auto-resolve, whatever their case.
    for w in &generic {
        for input in [w.clone(), w.to_uppercase()] {
            let d = r.resolve(&input);
            assert_eq!(d.status, Status::Unresolved, "{input}: {d:?}");
            assert!(
                d.reason
                    .as_deref()
                    .unwrap_or("")
                    .starts_with("generic word"),
                "{input}: {:?}",
                d.reason
            );
        }
    }
    // Real variants still resolve.
    let d = r.resolve("koka");
    assert_eq!(
        (d.status, d.brand_name.as_deref(), d.method),
        (Status::Resolved, Some("COCA COLA"), Method::Alias)
    );
    let d = r.resolve("COCA COLA 1.5L");
    assert_eq!((d.status, d.method), (Status::Resolved, Method::Exact));
    assert_eq!(d.quantities[0].canonical_value, 1500.0);
}

#[test]
fn decisions_explain_themselves() {
    let (catalog, _) = stt_catalog();
    let r = Resolver::new(Arc::new(catalog), ResolverConfig::default()).unwrap();
    let d = r.resolve("Safegaurd");
    assert_eq!(d.input, "Safegaurd");
    assert_eq!(d.normalized, "safegaurd");
    assert_eq!(d.resolver_version, RESOLVER_VERSION);
    assert_eq!(d.catalog_fingerprint.len(), 16);
    if d.status == Status::Resolved {
        assert_eq!(d.method, Method::Fuzzy);
        assert!(!d.shared_trigrams.is_empty());
        let sum = d.shared_trigrams.len() + d.missing_trigrams.len();
        assert_eq!(sum, TrigramSet::new("safegaurd").len());
    } else {
        assert!(d.reason.is_some() && !d.candidates.is_empty(), "{d:?}");
    }
}

#[test]
fn same_output_for_any_thread_count() {
    let catalog = Arc::new(random_catalog(3, 2000, NormalizerSpec::default()));
    let r = Resolver::new(catalog, ResolverConfig::default()).unwrap();
    let mut rng = Rng::new(4);
    let queries: Vec<String> = (0..5000)
        .map(|_| {
            let n = name(&mut rng);
            typo(&mut rng, &n)
        })
        .collect();
    ces::parallel::set_enabled(true);
    let par = r.resolve_batch(&queries, None);
    ces::parallel::set_enabled(false);
    let seq = r.resolve_batch(&queries, None);
    ces::parallel::set_enabled(true);
    assert_eq!(par, seq);
    let calls = std::sync::Mutex::new(Vec::new());
    let progress = |done: usize, total: usize| calls.lock().unwrap().push((done, total));
    r.resolve_batch(&queries, Some(&progress));
    assert_eq!(calls.lock().unwrap().last(), Some(&(5000, 5000)));
}

#[test]
fn bad_input_is_unresolved_with_a_reason() {
    let (catalog, _) = stt_catalog();
    let r = Resolver::new(Arc::new(catalog), ResolverConfig::default()).unwrap();
    for (input, reason) in [
        ("", "empty input"),
        ("   ", "empty input"),
        ("!!! ...", "no letters or digits to match"),
        ("😀🥤", "no letters or digits to match"),
    ] {
        let d = r.resolve(input);
        assert_eq!(
            (d.status, d.reason.as_deref()),
            (Status::Unresolved, Some(reason)),
            "{input:?}"
        );
        assert_eq!(d.input, input);
    }
    let long = "coca cola ".repeat(10_000);
    let d = r.resolve(&long);
    assert_eq!(d.input.len(), 100_000);
    assert_eq!(
        d.status,
        Status::Resolved,
        "repeated words are one trigram set"
    );

    // An empty catalog resolves nothing.
    let empty = Resolver::new(
        Arc::new(Catalog::new(CatalogSpec::default()).unwrap()),
        ResolverConfig::default(),
    )
    .unwrap();
    assert_eq!(empty.resolve("Coca Cola").status, Status::Unresolved);

    // Invalid settings are errors naming the field.
    let c = Arc::new(Catalog::new(CatalogSpec::default()).unwrap());
    for cfg in [
        ResolverConfig {
            threshold: 1.5,
            ..Default::default()
        },
        ResolverConfig {
            threshold: f64::NAN,
            ..Default::default()
        },
        ResolverConfig {
            suggestion_threshold: Some(-0.1),
            ..Default::default()
        },
    ] {
        assert_eq!(
            Resolver::new(c.clone(), cfg).unwrap_err().code(),
            "invalid_threshold"
        );
    }
    assert_eq!(
        Resolver::new(
            c,
            ResolverConfig {
                top_k: 0,
                ..Default::default()
            }
        )
        .unwrap_err()
        .code(),
        "invalid_argument"
    );
}

#[test]
fn catalog_errors_name_the_row() {
    let b = |id, name: &str| BrandRecord {
        id,
        name: name.into(),
        threshold: None,
    };
    let dup = CatalogSpec {
        brands: vec![b(1, "A"), b(2, "B"), b(1, "C")],
        ..Default::default()
    };
    assert_eq!(
        Catalog::new(dup).unwrap_err().to_string(),
        "row 2: invalid value for `brands.id`: 1 (duplicate brand id (first at row 0))"
    );
    let blank = CatalogSpec {
        brands: vec![b(1, "  ")],
        ..Default::default()
    };
    assert_eq!(Catalog::new(blank).unwrap_err().row(), Some(0));
    let t = CatalogSpec {
        brands: vec![BrandRecord {
            id: 1,
            name: "A".into(),
            threshold: Some(1.2),
        }],
        ..Default::default()
    };
    assert_eq!(
        Catalog::new(t).unwrap_err().field(),
        Some("brands.threshold")
    );
    let alias = CatalogSpec {
        brands: vec![b(1, "A")],
        aliases: vec![AliasRecord {
            brand_id: 1,
            alias: "a2".into(),
            alias_type: AliasType::Variant,
            threshold: Some(f64::NAN),
        }],
        ..Default::default()
    };
    assert_eq!(
        Catalog::new(alias).unwrap_err().field(),
        Some("aliases.threshold")
    );
}

#[test]
fn overrides_and_ties() {
    let catalog = Arc::new(
        Catalog::new(CatalogSpec {
            brands: vec![
                BrandRecord {
                    id: 2,
                    name: "Tide".into(),
                    threshold: Some(0.3),
                },
                BrandRecord {
                    id: 1,
                    name: "Tido".into(),
                    threshold: None,
                },
            ],
            ..Default::default()
        })
        .unwrap(),
    );
    let r = Resolver::new(
        catalog.clone(),
        ResolverConfig {
            ambiguity_margin: None,
            ..Default::default()
        },
    )
    .unwrap();
    // "tid" vs "tide" = 3/6 = 0.5: below 0.72, but Tide's own threshold is 0.3.
    let d = r.resolve("tid");
    assert_eq!(
        (d.status, d.brand_id, d.threshold),
        (Status::Resolved, Some(2), 0.3)
    );
    // With the margin rule on, the equally close "Tido" makes it ambiguous.
    let r = Resolver::new(catalog, ResolverConfig::default()).unwrap();
    assert_eq!(r.resolve("tid").status, Status::Ambiguous);
}
