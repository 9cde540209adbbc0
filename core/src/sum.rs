//! Compensated summation shared by the crate's statistics: Neumaier's algorithm, whose error
//! does not grow with the number of terms. It is order-dependent in the last bits, so callers
//! that promise identical output for any row order sum in a canonical order.

/// Neumaier's compensated sum.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Sum {
    sum: f64,
    compensation: f64,
}

impl Sum {
    /// Adds one term.
    pub(crate) fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
    }

    /// The sum so far.
    pub(crate) fn get(&self) -> f64 {
        self.sum + self.compensation
    }

    /// The running sum and its compensation, unevaluated (for double-double arithmetic).
    pub(crate) fn parts(&self) -> (f64, f64) {
        (self.sum, self.compensation)
    }
}

/// Compensated sum of an iterator.
pub(crate) fn compensated_sum(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut s = Sum::default();
    for v in values {
        s.add(v);
    }
    s.get()
}

/// Accurate mean: compensated sum / n, then one correction pass (the mean of the deviations).
pub(crate) fn accurate_mean(values: impl Iterator<Item = f64> + Clone) -> f64 {
    let n = values.clone().count() as f64;
    let m = compensated_sum(values.clone()) / n;
    m + compensated_sum(values.map(|v| v - m)) / n
}
