//! Brand resolution: messy brand text → master brand, on the exact pg_trgm scores of
//! [`crate::trgm`].
//!
//! * [`NormalizerSpec`] / [`Normalizer`]: a declarative, ordered list of named steps
//!   (Unicode, case, accents, `&`, dotted initials, legal forms, quantities, punctuation,
//!   white space), configurable per catalog; [`NormalizerSpec::pg_trgm_compatible`] applies
//!   none, for "same decisions as our old SQL".
//! * [`Catalog`]: brands, aliases (typed), threshold overrides, generic words; validated
//!   with errors that name the row.
//! * [`Resolver`]: exact canonical → exact alias → fuzzy through an inverted trigram index
//!   ([`TrigramIndex`]) whose pruning is exact (same answers as a brute-force scan); a
//!   [`Decision`] for every input; deterministic tie-break: score, then alias priority
//!   ([`AliasType`] order), then lowest brand id.
//! * [`TriageQueue`]: unresolved and ambiguous inputs grouped by normalised form.
//! * [`calibrate`] and [`evaluate`]: precision / recall on labelled data.

mod calibrate;
mod catalog;
mod index;
mod normalize;
mod resolve;
mod triage;

pub use calibrate::{Accuracy, CalibrationReport, CalibrationRow, calibrate, evaluate};
pub use catalog::{AliasRecord, AliasType, BrandRecord, Catalog, CatalogSpec, Entry};
pub use index::TrigramIndex;
pub use normalize::{Normalized, Normalizer, NormalizerSpec, Quantity, Step};
pub use resolve::{
    Candidate, Decision, Method, RESOLVER_VERSION, Resolver, ResolverConfig, Status,
};
pub use triage::{TriageItem, TriageQueue, TriageStatus};
