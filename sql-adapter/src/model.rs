//! Rows of the brand master tables: what you write ([`NewBrand`], [`NewAlias`]) and what you
//! read back ([`Brand`], [`BrandAlias`]).

use std::fmt;
use std::str::FromStr;

use sqlx::types::time::OffsetDateTime;

use crate::error::{Error, Result, Row};

macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $field:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The text stored in the database.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = Error;

            /// Parses the stored text; anything else is [`Error::InvalidValue`] naming the field.
            fn from_str(s: &str) -> Result<Self> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(Error::InvalidValue {
                        row: Row(None),
                        field: $field,
                        value: format!("{s:?}"),
                        reason: concat!("expected one of ", text_enum!(@list $($text),+)).into(),
                    }),
                }
            }
        }
    };
    (@list $first:literal $(, $rest:literal)*) => { concat!($first $(, ", ", $rest)*) };
}

text_enum! {
    /// `status` of a brand (`check (status in ('active', 'inactive', 'deprecated'))`).
    ///
    /// ```
    /// use ces_sql::BrandStatus;
    /// assert_eq!(BrandStatus::default(), BrandStatus::Active);
    /// assert_eq!("inactive".parse::<BrandStatus>()?, BrandStatus::Inactive);
    /// assert_eq!(BrandStatus::Deprecated.as_str(), "deprecated");
    /// # Ok::<(), ces_sql::Error>(())
    /// ```
    BrandStatus, "status" {
        /// In use (the default).
        #[default]
        Active = "active",
        /// Not currently sold or tracked.
        Inactive = "inactive",
        /// Kept for history; resolvers should not propose it.
        Deprecated = "deprecated",
    }
}

text_enum! {
    /// `alias_type` of an alias: how the alias relates to the brand name.
    ///
    /// ```
    /// use ces_sql::AliasType;
    /// assert_eq!("full_name".parse::<AliasType>()?, AliasType::FullName);
    /// assert_eq!(AliasType::ALL.len(), 8);
    /// assert_eq!("Ticker".parse::<AliasType>().unwrap_err().code(), "invalid_value");
    /// # Ok::<(), ces_sql::Error>(())
    /// ```
    AliasType, "alias_type" {
        /// The brand's own name, written as the alias list's anchor.
        Canonical = "canonical",
        /// Another way of writing the name (the default).
        #[default]
        Variant = "variant",
        /// The name in capitals, as on receipts (`NIKE`).
        Uppercase = "uppercase",
        /// A stock ticker (`AAPL`).
        Ticker = "ticker",
        /// The full legal or long name (`Bayerische Motoren Werke`).
        FullName = "full_name",
        /// A common misspelling (`Adiddas`).
        Misspelling = "misspelling",
        /// A spelling by sound, as speech-to-text writes it (`Nayki`).
        Phonetic = "phonetic",
        /// A short form (`BMW`, `P&G`).
        Abbreviation = "abbreviation",
    }
}

/// A brand to insert or update, keyed by `brand_name`.
///
/// [`Database::upsert_brands`](crate::Database::upsert_brands) inserts it, or, when a brand
/// with the same `brand_name` exists, replaces that brand's other fields with these (a `None`
/// clears the column) and bumps `updated_at` only if something changed.
///
/// ```
/// use ces_sql::NewBrand;
/// let nike = NewBrand {
///     normalized_name: Some("nike".into()),
///     category: Some("sportswear".into()),
///     country: Some("US".into()),
///     similarity_threshold: Some(0.8),
///     ..NewBrand::new("Nike")
/// };
/// assert!(nike.validate(None).is_ok());
/// assert_eq!(NewBrand::new("  ").validate(Some(7)).unwrap_err().row(), Some(7));
/// let err = NewBrand { similarity_threshold: Some(1.5), ..NewBrand::new("Nike") }
///     .validate(None)
///     .unwrap_err();
/// assert_eq!(err.field(), Some("similarity_threshold"));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewBrand {
    /// The unique display name (`Nike`). Must contain a non-blank character.
    pub brand_name: String,
    /// A normalised form for exact matching (`nike`).
    pub normalized_name: Option<String>,
    /// Product category (`sportswear`).
    pub category: Option<String>,
    /// The owning brand or company, as text.
    pub parent_brand: Option<String>,
    /// Country code or name (`US`).
    pub country: Option<String>,
    /// Lifecycle status (default active).
    pub status: BrandStatus,
    /// A per-brand similarity threshold in `[0, 1]` for fuzzy matches of the brand's name
    /// and aliases, overriding the resolver's default (an alias's own threshold wins over
    /// it). `None`: the resolver's.
    pub similarity_threshold: Option<f32>,
}

impl NewBrand {
    /// An active brand with only a name.
    pub fn new(brand_name: impl Into<String>) -> Self {
        NewBrand {
            brand_name: brand_name.into(),
            ..NewBrand::default()
        }
    }

    /// Checks the values the database would refuse, naming `row` (the position in a batch)
    /// in the error.
    pub fn validate(&self, row: Option<u64>) -> Result<()> {
        let row = Row(row);
        not_blank(row, "brand_name", &self.brand_name)?;
        no_nul(row, "brand_name", &self.brand_name)?;
        for (field, value) in [
            ("normalized_name", &self.normalized_name),
            ("category", &self.category),
            ("parent_brand", &self.parent_brand),
            ("country", &self.country),
        ] {
            if let Some(v) = value {
                no_nul(row, field, v)?;
            }
        }
        check_threshold(row, self.similarity_threshold)
    }
}

/// An alias of a brand to insert or update, keyed by `(brand_id, alias)`.
///
/// ```
/// use ces_sql::{AliasType, NewAlias};
/// let a = NewAlias { confidence: 0.95, ..NewAlias::new(3, "AAPL", AliasType::Ticker) };
/// assert!(a.validate(None).is_ok());
/// // numeric(4,3): at most three decimals, in [0, 1]
/// let err = NewAlias { confidence: 0.9555, ..a.clone() }.validate(Some(1)).unwrap_err();
/// assert_eq!(err.to_string(), "row 1: invalid value for `confidence`: 0.9555 \
///     (must be a number in [0, 1] with at most 3 decimals, the column is numeric(4,3))");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct NewAlias {
    /// The brand's id (from [`Database::upsert_brands`](crate::Database::upsert_brands)).
    pub brand_id: i64,
    /// The alias text (`NIKE`). Must contain a non-blank character.
    pub alias: String,
    /// How the alias relates to the brand.
    pub alias_type: AliasType,
    /// Confidence that the alias means the brand, in `[0, 1]` with at most three decimals
    /// (`numeric(4,3)`); default `1.0`.
    pub confidence: f64,
    /// A per-alias similarity threshold in `[0, 1]` overriding the resolver's default.
    pub similarity_threshold: Option<f32>,
}

impl NewAlias {
    /// An alias with confidence 1 and no threshold override.
    pub fn new(brand_id: i64, alias: impl Into<String>, alias_type: AliasType) -> Self {
        NewAlias {
            brand_id,
            alias: alias.into(),
            alias_type,
            confidence: 1.0,
            similarity_threshold: None,
        }
    }

    /// Checks the values the database would refuse, naming `row` (the position in a batch)
    /// in the error.
    pub fn validate(&self, row: Option<u64>) -> Result<()> {
        let row = Row(row);
        not_blank(row, "alias", &self.alias)?;
        no_nul(row, "alias", &self.alias)?;
        let c = self.confidence;
        if !(0.0..=1.0).contains(&c) || (c * 1000.0).round() / 1000.0 != c {
            return Err(Error::InvalidValue {
                row,
                field: "confidence",
                value: c.to_string(),
                reason: "must be a number in [0, 1] with at most 3 decimals, the column is \
                         numeric(4,3)"
                    .into(),
            });
        }
        check_threshold(row, self.similarity_threshold)
    }
}

fn check_threshold(row: Row, threshold: Option<f32>) -> Result<()> {
    if let Some(t) = threshold
        && !(0.0..=1.0).contains(&t)
    {
        return Err(Error::InvalidValue {
            row,
            field: "similarity_threshold",
            value: t.to_string(),
            reason: "must be a number in [0, 1]".into(),
        });
    }
    Ok(())
}

/// A brand as stored, with its aliases.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq)]
pub struct Brand {
    /// Primary key.
    pub id: i64,
    /// The unique display name.
    pub brand_name: String,
    /// Normalised form.
    pub normalized_name: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Owning brand or company.
    pub parent_brand: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// Lifecycle status.
    pub status: BrandStatus,
    /// Per-brand similarity threshold, if set.
    pub similarity_threshold: Option<f32>,
    /// When the row was inserted (UTC).
    pub created_at: OffsetDateTime,
    /// When a field last changed (UTC).
    pub updated_at: OffsetDateTime,
    /// The brand's aliases, ordered by id.
    pub aliases: Vec<BrandAlias>,
}

/// An alias as stored.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq)]
pub struct BrandAlias {
    /// Primary key.
    pub id: i64,
    /// The brand it belongs to.
    pub brand_id: i64,
    /// The alias text.
    pub alias: String,
    /// How it relates to the brand.
    pub alias_type: AliasType,
    /// Confidence in `[0, 1]` (three decimals).
    pub confidence: f64,
    /// Per-alias similarity threshold, if set.
    pub similarity_threshold: Option<f32>,
    /// When the row was inserted (UTC).
    pub created_at: OffsetDateTime,
}

/// A key or name: not blank, no NUL.
pub(crate) fn check_key(row: Row, field: &'static str, value: &str) -> Result<()> {
    not_blank(row, field, value)?;
    no_nul(row, field, value)
}

fn not_blank(row: Row, field: &'static str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::InvalidValue {
            row,
            field,
            value: format!("{value:?}"),
            reason: "must not be empty or blank".into(),
        });
    }
    Ok(())
}

pub(crate) fn no_nul(row: Row, field: &'static str, value: &str) -> Result<()> {
    if value.contains('\0') {
        return Err(Error::InvalidValue {
            row,
            field,
            value: format!("{value:?}"),
            reason: "contains a NUL character, which PostgreSQL text cannot hold".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidence_decimals() {
        for ok in [0.0, 1.0, 0.5, 0.95, 0.001, 0.999, 0.123] {
            assert!(
                NewAlias {
                    confidence: ok,
                    ..NewAlias::new(1, "x", AliasType::Variant)
                }
                .validate(None)
                .is_ok()
            );
        }
        for bad in [-0.001, 1.001, 0.9555, f64::NAN, f64::INFINITY, 1e-4] {
            let err = NewAlias {
                confidence: bad,
                ..NewAlias::new(1, "x", AliasType::Variant)
            }
            .validate(Some(3))
            .unwrap_err();
            assert_eq!(
                (err.code(), err.row(), err.field()),
                ("invalid_value", Some(3), Some("confidence"))
            );
        }
        let err = NewAlias {
            similarity_threshold: Some(f32::NAN),
            ..NewAlias::new(1, "x", AliasType::Variant)
        }
        .validate(None)
        .unwrap_err();
        assert_eq!(err.field(), Some("similarity_threshold"));
    }

    #[test]
    fn round_trip_text() {
        for t in AliasType::ALL {
            assert_eq!(t.as_str().parse::<AliasType>().unwrap(), *t);
        }
        for s in BrandStatus::ALL {
            assert_eq!(s.to_string().parse::<BrandStatus>().unwrap(), *s);
        }
        assert_eq!(
            "gone".parse::<BrandStatus>().unwrap_err().to_string(),
            "invalid value for `status`: \"gone\" (expected one of active, inactive, deprecated)"
        );
    }

    #[test]
    fn nul_is_rejected() {
        let err = NewBrand {
            category: Some("a\0b".into()),
            ..NewBrand::new("X")
        }
        .validate(Some(0))
        .unwrap_err();
        assert_eq!(err.field(), Some("category"));
    }
}
