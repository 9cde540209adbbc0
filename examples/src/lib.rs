//! Seeded demo data for `make demo`: a small Philippine retail brand catalog and a feed of
//! messy brand text as it arrives from store feeds and speech-to-text.
//!
//! Everything is generated from a seed with a self-contained generator, so the demo stands
//! on its own and prints the same table on every machine.

use ces::brands::{AliasRecord, BrandRecord, CatalogSpec, NormalizerSpec};
pub use ces::rng::Rng;

pub mod affiliate;
pub mod retail;

/// A master brand of the demo catalog: name, category, aliases (alias, alias type).
#[derive(Clone, Debug, PartialEq)]
pub struct DemoBrand {
    /// Canonical brand name.
    pub name: &'static str,
    /// Product category.
    pub category: &'static str,
    /// Known aliases with their type.
    pub aliases: &'static [(&'static str, &'static str)],
}

/// The demo catalog (Philippine sari-sari store brands).
pub const CATALOG: &[DemoBrand] = &[
    DemoBrand {
        name: "Coca-Cola",
        category: "Beverages",
        aliases: &[("Coke", "variant"), ("koka", "phonetic")],
    },
    DemoBrand {
        name: "Royal Tru-Orange",
        category: "Beverages",
        aliases: &[("Royal", "variant")],
    },
    DemoBrand {
        name: "Sprite",
        category: "Beverages",
        aliases: &[("sprayt", "phonetic")],
    },
    DemoBrand {
        name: "Alaska Evaporated Filled Milk",
        category: "Dairy",
        aliases: &[("Alaska Evap", "abbreviation")],
    },
    DemoBrand {
        name: "Bear Brand",
        category: "Dairy",
        aliases: &[("Bearbrand", "misspelling")],
    },
    DemoBrand {
        name: "Nescafé Classic",
        category: "Coffee",
        aliases: &[("Nescafe", "variant")],
    },
    DemoBrand {
        name: "Great Taste",
        category: "Coffee",
        aliases: &[("Greyt Teyst", "phonetic")],
    },
    DemoBrand {
        name: "Kopiko",
        category: "Coffee",
        aliases: &[("Kopico", "misspelling")],
    },
    DemoBrand {
        name: "Lucky Me! Pancit Canton",
        category: "Instant Noodles",
        aliases: &[("Lucky Me", "variant"), ("TM", "abbreviation")],
    },
    DemoBrand {
        name: "Datu Puti Vinegar",
        category: "Condiments",
        aliases: &[("Datu Puti", "variant")],
    },
    DemoBrand {
        name: "Silver Swan Soy Sauce",
        category: "Condiments",
        aliases: &[("Silver Swan", "variant")],
    },
    DemoBrand {
        name: "UFC Banana Ketchup",
        category: "Condiments",
        aliases: &[("UFC", "abbreviation")],
    },
    DemoBrand {
        name: "Century Tuna",
        category: "Canned Goods",
        aliases: &[("Sentury Tuna", "phonetic")],
    },
    DemoBrand {
        name: "Ligo Sardines",
        category: "Canned Goods",
        aliases: &[("Ligo", "variant")],
    },
    DemoBrand {
        name: "Argentina Corned Beef",
        category: "Canned Goods",
        aliases: &[("Argentina", "variant")],
    },
    DemoBrand {
        name: "Safeguard",
        category: "Personal Care",
        aliases: &[("Safegard", "misspelling")],
    },
    DemoBrand {
        name: "Palmolive",
        category: "Personal Care",
        aliases: &[("Palmoliv", "misspelling")],
    },
    DemoBrand {
        name: "Head & Shoulders",
        category: "Personal Care",
        aliases: &[("H&S", "abbreviation")],
    },
    DemoBrand {
        name: "Tide",
        category: "Household",
        aliases: &[("Tayd", "phonetic")],
    },
    DemoBrand {
        name: "Surf",
        category: "Household",
        aliases: &[("Serf", "phonetic")],
    },
    DemoBrand {
        name: "Downy",
        category: "Household",
        aliases: &[("Dawny", "phonetic")],
    },
    DemoBrand {
        name: "San Miguel Pale Pilsen",
        category: "Beer",
        aliases: &[("San Mig", "abbreviation"), ("SMB", "ticker")],
    },
    DemoBrand {
        name: "Red Horse",
        category: "Beer",
        aliases: &[("Red Horse Beer", "variant")],
    },
    DemoBrand {
        name: "Piattos",
        category: "Snacks",
        aliases: &[("Pyatos", "phonetic")],
    },
    DemoBrand {
        name: "Skyflakes",
        category: "Snacks",
        aliases: &[("Sky Flakes", "variant")],
    },
];

const SIZES: &[&str] = &[
    "1.5L",
    "1,5 L",
    "1500ml",
    "330ml",
    "1L",
    "500g",
    "12oz",
    "6x330ml",
    "(Pack of 12)",
    "250 mL",
    "55g",
    "155g",
    "2.2kg",
];

/// Words that name no brand and must never resolve automatically (speech-to-text and
/// store-clerk shorthand, commodities).
pub const GENERIC_WORDS: &[&str] = &[
    "softdrinks",
    "shampoo",
    "load",
    "kape",
    "sabon",
    "gatas",
    "yosi",
    "rice",
    "bread",
    "eggs",
    "sugar",
];

/// Real brands that are not in the demo catalog (they must stay unresolved).
pub const UNKNOWN_BRANDS: &[&str] = &[
    "Zesto",
    "Boy Bawang",
    "Chippy",
    "Fita",
    "Cheezy",
    "Magic Flakes",
    "Hansel",
    "Ricoa",
    "Presto",
    "Jolly",
];

/// One line of the messy feed: the raw text and the brand the generator meant (`None` for
/// generic words and brands the catalog does not have).
#[derive(Clone, Debug, PartialEq)]
pub struct FeedLine {
    /// Raw brand text as it arrived.
    pub raw: String,
    /// The catalog brand the generator derived it from.
    pub truth: Option<&'static str>,
    /// How it was made: exact, case, size, punctuation, legal, typo, alias, stt, generic, unknown.
    pub kind: &'static str,
}

fn typo(rng: &mut Rng, s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    let i = rng.below(chars.len().max(1));
    match rng.below(3) {
        0 if chars.len() > 3 => {
            chars.remove(i);
        }
        1 => chars.insert(i, (b'a' + rng.below(26) as u8) as char),
        _ if chars.len() > 1 => {
            let j = (i + 1).min(chars.len() - 1);
            chars.swap(i, j);
        }
        _ => {}
    }
    chars.into_iter().collect()
}

/// What speech-to-text makes of a name: sound-alike spellings.
fn stt(s: &str) -> String {
    let lower = s.to_lowercase();
    let mut out = lower
        .replace("ph", "f")
        .replace("qu", "kw")
        .replace("ck", "k")
        .replace('c', "k")
        .replace("ee", "i");
    if out == lower {
        out = lower.replace('o', "u").replace('e', "i");
    }
    out
}

/// `n` seeded feed lines.
pub fn feed(seed: u64, n: usize) -> Vec<FeedLine> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let b = rng.pick(CATALOG);
            let line = |raw: String, kind| FeedLine {
                raw,
                truth: Some(b.name),
                kind,
            };
            match rng.below(20) {
                0..=1 => line(b.name.to_owned(), "exact"),
                2..=3 => line(
                    if rng.chance(0.5) {
                        b.name.to_uppercase()
                    } else {
                        b.name.to_lowercase()
                    },
                    "case",
                ),
                4..=6 => line(
                    format!(
                        "{} {}",
                        if rng.chance(0.5) {
                            b.name.to_uppercase()
                        } else {
                            b.name.to_owned()
                        },
                        rng.pick(SIZES)
                    ),
                    "size",
                ),
                7 => line(
                    b.name
                        .replace(['-', '!', '\'', '.'], " ")
                        .replace('&', "and"),
                    "punctuation",
                ),
                8 => line(
                    format!("{} {}", b.name, rng.pick(&["Inc.", "Corp.", "Co.", "Ltd."])),
                    "legal",
                ),
                9..=11 => line(typo(&mut rng, b.name), "typo"),
                12..=13 => {
                    let (alias, _) = rng.pick(b.aliases);
                    line(
                        if rng.chance(0.5) {
                            alias.to_uppercase()
                        } else {
                            (*alias).to_owned()
                        },
                        "alias",
                    )
                }
                14..=15 => line(stt(b.name), "stt"),
                16..=17 => FeedLine {
                    raw: (*rng.pick(GENERIC_WORDS)).to_owned(),
                    truth: None,
                    kind: "generic",
                },
                _ => FeedLine {
                    raw: (*rng.pick(UNKNOWN_BRANDS)).to_owned(),
                    truth: None,
                    kind: "unknown",
                },
            }
        })
        .collect()
}

/// The demo catalog as a [`CatalogSpec`]: brand ids `1..` in [`CATALOG`] order, the aliases
/// and the generic words, with `normalizer`.
pub fn catalog_spec(normalizer: NormalizerSpec) -> CatalogSpec {
    let brands = CATALOG
        .iter()
        .enumerate()
        .map(|(i, b)| BrandRecord {
            id: i as i64 + 1,
            name: b.name.into(),
            threshold: None,
        })
        .collect();
    let aliases = CATALOG
        .iter()
        .enumerate()
        .flat_map(|(i, b)| {
            b.aliases.iter().map(move |(alias, kind)| AliasRecord {
                brand_id: i as i64 + 1,
                alias: (*alias).into(),
                alias_type: kind.parse().unwrap_or_default(),
                threshold: None,
            })
        })
        .collect();
    CatalogSpec {
        brands,
        aliases,
        generic_words: GENERIC_WORDS.iter().map(|w| (*w).into()).collect(),
        normalizer,
    }
}

/// The brand id [`catalog_spec`] gives the brand named `name`.
pub fn brand_id(name: &str) -> Option<i64> {
    CATALOG
        .iter()
        .position(|b| b.name == name)
        .map(|i| i as i64 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_is_seeded() {
        assert_eq!(feed(1, 50), feed(1, 50));
        assert_ne!(feed(1, 50), feed(2, 50));
        let names: std::collections::HashSet<_> = CATALOG.iter().map(|b| b.name).collect();
        assert_eq!(names.len(), CATALOG.len(), "brand names are unique");
    }
}
