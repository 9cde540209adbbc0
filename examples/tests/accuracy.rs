//! Accuracy of the default pipeline against plain pg_trgm at 0.72 on raw text, on the demo's
//! seeded feed with ground truth: the pipeline must raise recall without lowering precision.

use std::sync::Arc;

use ces::brands::{Catalog, NormalizerSpec, Resolver, ResolverConfig, evaluate};
use ces_examples::{brand_id, catalog_spec, feed};

#[test]
fn pipeline_raises_recall_without_lowering_precision() {
    let lines = feed(2026, 4000);
    let truth: Vec<Option<i64>> = lines.iter().map(|l| l.truth.and_then(brand_id)).collect();
    let raw: Vec<&str> = lines.iter().map(|l| l.raw.as_str()).collect();

    let pipeline = Resolver::new(
        Arc::new(Catalog::new(catalog_spec(NormalizerSpec::default())).unwrap()),
        ResolverConfig::default(),
    )
    .unwrap();
    let plain = Resolver::new(
        Arc::new(Catalog::new(catalog_spec(NormalizerSpec::pg_trgm_compatible())).unwrap()),
        ResolverConfig::pg_trgm_compatible(0.72),
    )
    .unwrap();
    let ours = evaluate(&pipeline.resolve_batch(&raw, None), &truth);
    let base = evaluate(&plain.resolve_batch(&raw, None), &truth);
    let (p, r) = (ours.precision.unwrap(), ours.recall.unwrap());
    let (bp, br) = (base.precision.unwrap(), base.recall.unwrap());
    assert!(r > br + 0.05, "recall: pipeline {r:.3} vs plain {br:.3}");
    assert!(p >= bp, "precision: pipeline {p:.4} vs plain {bp:.4}");
    assert!(p >= 0.99, "precision {p:.4} ({ours:?})");
}
