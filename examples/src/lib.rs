//! Seeded demo data for `make demo`: a small Philippine retail brand catalog and a feed of
//! messy brand text as it arrives from store feeds and speech-to-text.
//!
//! Everything is generated from a seed with a self-contained generator, so the demo stands
//! on its own and prints the same table on every machine.

pub use ces::rng::Rng;

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
    "330ml",
    "1L",
    "500g",
    "12oz",
    "6x330ml",
    "(Pack of 12)",
    "250 mL",
    "55g",
    "155g",
];

/// One line of the messy feed: the raw text and the brand the generator meant (`None` for
/// generic words that name no brand).
#[derive(Clone, Debug, PartialEq)]
pub struct FeedLine {
    /// Raw brand text as it arrived.
    pub raw: String,
    /// The catalog brand the generator derived it from.
    pub truth: Option<&'static str>,
    /// How it was made (exact, case, size, typo, alias, generic).
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

/// `n` seeded feed lines.
pub fn feed(seed: u64, n: usize) -> Vec<FeedLine> {
    let mut rng = Rng::new(seed);
    let generic = [
        "softdrinks",
        "shampoo",
        "load",
        "kape",
        "sabon",
        "RICE",
        "bread",
    ];
    (0..n)
        .map(|_| {
            let b = rng.pick(CATALOG);
            match rng.below(6) {
                0 => FeedLine {
                    raw: b.name.to_owned(),
                    truth: Some(b.name),
                    kind: "exact",
                },
                1 => FeedLine {
                    raw: b.name.to_uppercase(),
                    truth: Some(b.name),
                    kind: "case",
                },
                2 => FeedLine {
                    raw: format!("{} {}", b.name, rng.pick(SIZES)),
                    truth: Some(b.name),
                    kind: "size",
                },
                3 => FeedLine {
                    raw: typo(&mut rng, b.name),
                    truth: Some(b.name),
                    kind: "typo",
                },
                4 => {
                    let (alias, _) = rng.pick(b.aliases);
                    FeedLine {
                        raw: (*alias).to_owned(),
                        truth: Some(b.name),
                        kind: "alias",
                    }
                }
                _ => FeedLine {
                    raw: (*rng.pick(&generic)).to_owned(),
                    truth: None,
                    kind: "generic",
                },
            }
        })
        .collect()
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
