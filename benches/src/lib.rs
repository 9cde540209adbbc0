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
}
