//! Shared pieces of the benchmarks: a seeded data generator (no dependency on a random-number
//! crate, so the same seed gives the same data on every machine) and measurement helpers.

pub use ces::rng::Rng;

const STEMS: &[&str] = &[
    "coca",
    "cola",
    "pepsi",
    "sprite",
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
    "safeguard",
    "palmolive",
    "head",
    "shoulders",
    "tide",
    "surf",
    "ariel",
    "downy",
    "colgate",
    "kopiko",
    "great",
    "taste",
    "tang",
    "eden",
    "magnolia",
    "century",
    "tuna",
    "ligo",
    "piattos",
    "nova",
    "oishi",
    "rebisco",
    "skyflakes",
    "gardenia",
    "knorr",
    "maggi",
    "café",
    "nestlé",
    "jalapeño",
    "müller",
    "可口可乐",
    "кола",
    "ไทย",
];
const WORDS: &[&str] = &[
    "milk", "evap", "coffee", "tea", "juice", "zero", "sugar", "light", "classic", "original",
    "sardines", "noodles", "shampoo", "soap", "cream", "cheese", "sauce", "vinegar", "beer",
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
];

/// A brand-like product name.
pub fn product_name(rng: &mut Rng) -> String {
    let mut s = String::new();
    for i in 0..1 + rng.below(3) {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(rng.pick::<&str>(STEMS));
    }
    if rng.chance(0.6) {
        s.push(' ');
        s.push_str(rng.pick::<&str>(WORDS));
    }
    if rng.chance(0.4) {
        s.push(' ');
        s.push_str(rng.pick::<&str>(SIZES));
    }
    s
}

/// `name` with up to three character edits, random case and punctuation, as typed in a feed.
pub fn messy(rng: &mut Rng, name: &str) -> String {
    let mut chars: Vec<char> = name.chars().collect();
    for _ in 0..rng.below(4) {
        if chars.is_empty() {
            break;
        }
        let i = rng.below(chars.len());
        match rng.below(4) {
            0 => {
                chars.remove(i);
            }
            1 => chars.insert(i, (b'a' + rng.below(26) as u8) as char),
            2 => chars[i] = (b'a' + rng.below(26) as u8) as char,
            _ => chars[i] = if rng.chance(0.5) { '-' } else { ' ' },
        }
    }
    let s: String = chars.into_iter().collect();
    if rng.chance(0.3) { s.to_uppercase() } else { s }
}

/// `n` seeded pairs (a product name, and either a messy copy of it or another name).
pub fn pairs(seed: u64, n: usize) -> (Vec<String>, Vec<String>) {
    let mut rng = Rng::new(seed);
    let mut left = Vec::with_capacity(n);
    let mut right = Vec::with_capacity(n);
    for _ in 0..n {
        let a = product_name(&mut rng);
        let b = if rng.chance(0.6) {
            messy(&mut rng, &a)
        } else {
            product_name(&mut rng)
        };
        left.push(a);
        right.push(b);
    }
    (left, right)
}

// --- Brand catalogs and messy brand queries (`brands_vs_postgres`) ------------------------

const ONSETS: &[&str] = &[
    "", "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "y",
    "z", "br", "cr", "dr", "fr", "gr", "kr", "pr", "tr", "bl", "cl", "fl", "gl", "pl", "sl", "st",
    "sp", "sk", "ch", "sh", "th", "qu",
];
const NUCLEI: &[&str] = &[
    "a", "e", "i", "o", "u", "a", "e", "i", "o", "ai", "ea", "ou", "io", "ee", "oo", "y",
];
const CODAS: &[&str] = &[
    "n", "r", "s", "l", "m", "x", "t", "k", "nd", "st", "rt", "ng",
];
const BRAND_PREFIXES: &[&str] = &[
    "Del", "San", "La", "Golden", "Royal", "Mama", "Lucky", "Great", "Silver", "Super", "Happy",
    "Blue", "Red", "Green", "Sun", "Star", "Tita", "Don", "Island", "Pinoy",
];
const BRAND_SUFFIXES: &[&str] = &["Foods", "Farms", "Corp", "& Co.", "Inc.", "Bros", "Kitchen"];
const UNICODE_STEMS: &[&str] = &[
    "Café",
    "Nestlé",
    "Jalapeño",
    "Müller",
    "Señorita",
    "Crème",
    "可口可乐",
    "Кола",
    "ไทย",
];
const LINES: &[&str] = &[
    "Gold", "Lite", "Kids", "Plus", "Max", "Classic", "Original", "Premium", "Extra", "Zero",
    "Fresh", "Select", "Choice", "Family", "Junior", "Pro",
];
const PRODUCTS: &[&str] = &[
    "Evaporated Milk",
    "Condensed Milk",
    "Powdered Milk",
    "Fresh Milk",
    "Instant Coffee",
    "3-in-1 Coffee",
    "Corned Beef",
    "Sardines in Tomato Sauce",
    "Pancit Canton",
    "Instant Noodles",
    "Soy Sauce",
    "Cane Vinegar",
    "Fish Sauce",
    "Laundry Powder",
    "Fabric Conditioner",
    "Dishwashing Liquid",
    "Shampoo",
    "Conditioner",
    "Bath Soap",
    "Toothpaste",
    "Orange Juice",
    "Softdrink",
    "Bottled Water",
    "Crackers",
    "Potato Chips",
    "Cookies",
    "Chocolate Bar",
    "Peanut Butter",
    "Mayonnaise",
    "Banana Ketchup",
    "Tuna Flakes",
    "Luncheon Meat",
    "Hotdog",
    "Ice Cream",
    "Yogurt Drink",
    "Cheese",
    "Butter",
    "Loaf Bread",
    "Jasmine Rice",
    "Cooking Oil",
    "Beer",
    "Energy Drink",
    "Iced Tea",
    "Cereal",
    "Oatmeal",
    "Biscuits",
    "Wafer",
    "Candy",
    "Chewing Gum",
    "Diapers",
];
const FLAVOURS: &[&str] = &[
    "Chocolate",
    "Strawberry",
    "Mango",
    "Ube",
    "Buko Pandan",
    "Calamansi",
    "Spicy",
    "Sweet",
    "Hot",
    "Chili",
    "Garlic",
    "Cheese",
    "Vanilla",
    "Lemon",
    "Apple",
    "Orange",
    "Pineapple",
    "Coconut",
    "Menthol",
    "Mint",
    "Lavender",
    "Aloe Vera",
    "Extra Hot",
    "Barbecue",
    "Sweet & Spicy",
    "Salted Caramel",
    "Kalamansi",
    "Lychee",
];
const UNITS: &[(&str, &[u32])] = &[
    (
        "ml",
        &[80, 180, 237, 240, 250, 300, 330, 350, 370, 500, 750, 800],
    ),
    ("L", &[1, 2, 3]),
    (
        "g",
        &[
            20, 25, 28, 55, 60, 80, 85, 100, 155, 180, 200, 250, 300, 400, 500, 800,
        ],
    ),
    ("kg", &[1, 2, 5, 10, 25]),
    ("oz", &[8, 12, 16]),
];
const PACKS: &[&str] = &[
    "(Pack of 12)",
    "Twin Pack",
    "x 10",
    "6x330ml",
    "Family Pack",
];

/// An invented brand name: two or three syllables (onset, vowel, optional coda), sometimes with a prefix word, a company suffix or a
/// non-ASCII stem.
pub fn brand(rng: &mut Rng) -> String {
    let mut core = String::new();
    for _ in 0..2 + rng.below(2) {
        core.push_str(rng.pick::<&str>(ONSETS));
        core.push_str(rng.pick::<&str>(NUCLEI));
        if rng.chance(0.4) {
            core.push_str(rng.pick::<&str>(CODAS));
        }
    }
    let mut c = core.chars();
    let core: String = match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => core,
    };
    let mut s = String::new();
    if rng.chance(0.25) {
        s.push_str(rng.pick::<&str>(BRAND_PREFIXES));
        s.push(' ');
    }
    if rng.chance(0.03) {
        s.push_str(rng.pick::<&str>(UNICODE_STEMS));
        s.push(' ');
    }
    s.push_str(&core);
    if rng.chance(0.08) {
        s.push(' ');
        s.push_str(rng.pick::<&str>(BRAND_SUFFIXES));
    }
    s
}

/// A size as printed on a pack: `370ml`, `1.5L`, `155g`, `(Pack of 12)`, `2 x 25g`, …
pub fn size(rng: &mut Rng) -> String {
    if rng.chance(0.1) {
        return rng.pick::<&str>(PACKS).to_string();
    }
    let (unit, values) = *rng.pick(UNITS);
    let v = *rng.pick(values);
    let mut s = if unit == "L" && rng.chance(0.4) {
        format!("{v}.5{unit}")
    } else {
        format!("{v}{unit}")
    };
    if rng.chance(0.1) {
        s = format!("{} x {s}", 2 + rng.below(5));
    }
    s
}

/// A product of `brand`: brand, an optional line, a product type, an optional flavour and an
/// optional size (`Marisol Gold Evaporated Milk Chocolate 370ml`).
pub fn brand_product(rng: &mut Rng, brand: &str) -> String {
    let mut s = brand.to_owned();
    if rng.chance(0.35) {
        s.push(' ');
        s.push_str(rng.pick::<&str>(LINES));
    }
    s.push(' ');
    s.push_str(rng.pick::<&str>(PRODUCTS));
    if rng.chance(0.4) {
        s.push(' ');
        s.push_str(rng.pick::<&str>(FLAVOURS));
    }
    if rng.chance(0.7) {
        s.push(' ');
        s.push_str(&size(rng));
    }
    s
}

/// A seeded catalog of `n` distinct product names over about `n / 7` distinct brands, and the
/// brands themselves (so that queries can invent brands the catalog does not have).
pub fn brand_catalog(seed: u64, n: usize) -> (Vec<String>, std::collections::HashSet<String>) {
    let mut rng = Rng::new(seed);
    let mut brands = Vec::with_capacity(n / 7 + 1);
    let mut brand_set = std::collections::HashSet::with_capacity(n / 7 + 1);
    while brands.len() < (n / 7).max(1) {
        let b = brand(&mut rng);
        if brand_set.insert(b.clone()) {
            brands.push(b);
        }
    }
    let mut seen = std::collections::HashSet::with_capacity(n);
    let mut names = Vec::with_capacity(n);
    while names.len() < n {
        let b = rng.pick(&brands);
        let name = brand_product(&mut rng, b);
        if seen.insert(name.clone()) {
            names.push(name);
        }
    }
    (names, brand_set)
}

/// `name` as a feed would carry it: sizes dropped or written another way (`1.5 L`, `1,5L`,
/// `1500ml`), the last word sometimes cut, up to three typos, case and punctuation changes.
pub fn messy_brand(rng: &mut Rng, name: &str) -> String {
    let mut words: Vec<String> = name.split(' ').map(str::to_owned).collect();
    // Sizes: drop, rewrite or keep.
    if let Some(last) = words.last().cloned()
        && last.chars().next().is_some_and(|c| c.is_ascii_digit())
    {
        let r = rng.next_f64();
        if r < 0.3 {
            words.pop();
        } else if r < 0.55 {
            let digits: String = last
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let unit = &last[digits.len()..];
            let rewritten = match (unit, rng.below(3)) {
                ("L", 0) => match digits.parse::<f64>() {
                    Ok(v) => format!("{}ml", (v * 1000.0).round() as u32),
                    Err(_) => last.clone(),
                },
                (_, 1) => format!("{}{unit}", digits.replace('.', ",")),
                _ => format!("{digits} {unit}"),
            };
            *words.last_mut().expect("non-empty") = rewritten;
        }
    } else if rng.chance(0.15) {
        words.push(size(rng));
    }
    if words.len() > 2 && rng.chance(0.1) {
        words.pop();
    }
    let mut s = words.join(" ");
    // Punctuation.
    match rng.below(8) {
        0 => s = s.replacen(' ', "-", 1),
        1 => s.push('.'),
        2 => s = s.replace(' ', "  "),
        3 => s = format!("{s},"),
        _ => {}
    }
    // Typos and case: `messy` makes up to three edits and upper-cases 30 %.
    let s = messy(rng, &s);
    if rng.chance(0.3) { s.to_lowercase() } else { s }
}

/// `n` seeded queries against `catalog`: about 70 % messy copies of catalog names (with the
/// row they came from) and 30 % products of brands the catalog does not have (`None`).
pub fn brand_queries(
    seed: u64,
    catalog: &[String],
    brands: &std::collections::HashSet<String>,
    n: usize,
) -> Vec<(String, Option<usize>)> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        if rng.chance(0.7) {
            let i = rng.below(catalog.len());
            out.push((messy_brand(&mut rng, &catalog[i]), Some(i)));
        } else {
            let b = brand(&mut rng);
            if brands.contains(&b) {
                continue;
            }
            let name = brand_product(&mut rng, &b);
            out.push((messy_brand(&mut rng, &name), None));
        }
    }
    out
}

/// Peak resident memory of process `pid` (`VmHWM`, bytes), or of this process with `None`.
pub fn peak_rss(pid: Option<u32>) -> Option<u64> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/status"),
        None => "/proc/self/status".to_owned(),
    };
    let status = std::fs::read_to_string(path).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Bytes as MiB with one decimal.
pub fn mib(bytes: Option<u64>) -> String {
    match bytes {
        Some(b) => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
        None => "n/a".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_pairs_are_deterministic() {
        assert_eq!(pairs(7, 100), pairs(7, 100));
        assert_ne!(pairs(7, 100), pairs(8, 100));
        assert!(peak_rss(None).unwrap_or(0) > 0);
    }

    #[test]
    fn brand_catalog_is_distinct_and_seeded() {
        let (names, brands) = brand_catalog(3, 2_000);
        let set: std::collections::HashSet<&String> = names.iter().collect();
        assert_eq!(set.len(), 2_000);
        assert_eq!(brand_catalog(3, 2_000).0, names);
        let q = brand_queries(4, &names, &brands, 500);
        assert_eq!(q, brand_queries(4, &names, &brands, 500));
        assert!(q.iter().all(|(s, _)| !s.contains(['\t', '\n'])));
        let known = q.iter().filter(|(_, i)| i.is_some()).count();
        assert!((300..400).contains(&known), "{known}");
    }
}
