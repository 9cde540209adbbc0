//! The process-wide parallelism switch.
//!
//! Batch functions run on rayon's global pool when the `parallel` feature is on and this
//! switch is enabled (the default). Bindings turn it off in forked child processes, where a
//! thread pool inherited from the parent would deadlock. Results never depend on it: every
//! batch function is a pure map over rows.
//!
//! ```
//! ces::parallel::set_enabled(false);
//! assert!(!ces::parallel::enabled());
//! ces::parallel::set_enabled(true);
//! ```

use std::sync::atomic::{AtomicBool, Ordering};

static ENABLED: AtomicBool = AtomicBool::new(true);

/// Turns parallel batch execution on or off for the whole process.
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

/// Is parallel batch execution on? Always `false` without the `parallel` feature.
pub fn enabled() -> bool {
    cfg!(feature = "parallel") && ENABLED.load(Ordering::Relaxed)
}

/// Rows per parallel task: small enough to balance, large enough to amortise scheduling.
const MIN_ROWS_PER_TASK: usize = 2048;

/// `out[i] = f(&a[i], &b[i])` for every row, in order.
pub(crate) fn map_pairs<A: Sync, B: Sync, R: Send>(
    a: &[A],
    b: &[B],
    f: impl Fn((&A, &B)) -> R + Sync + Send,
) -> Vec<R> {
    #[cfg(feature = "parallel")]
    if enabled() && a.len() > MIN_ROWS_PER_TASK {
        use rayon::prelude::*;
        return a
            .par_iter()
            .zip(b.par_iter())
            .with_min_len(MIN_ROWS_PER_TASK)
            .map(f)
            .collect();
    }
    a.iter().zip(b.iter()).map(f).collect()
}

/// `out[i] = f(&items[i])` for every item, in order; parallel above a few items.
pub(crate) fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    #[cfg(feature = "parallel")]
    if enabled() && items.len() > 64 {
        use rayon::prelude::*;
        return items.par_iter().with_min_len(32).map(f).collect();
    }
    items.iter().map(f).collect()
}

/// Threads batch functions use: rayon's pool size when parallel, else 1.
pub fn threads() -> usize {
    #[cfg(feature = "parallel")]
    if enabled() {
        return rayon::current_num_threads();
    }
    1
}

/// `out[i] = f(items[i])` for a few heavy owned items (each its own task), in order.
pub(crate) fn map_owned<T: Send, R: Send>(
    items: Vec<T>,
    f: impl Fn(T) -> R + Sync + Send,
) -> Vec<R> {
    #[cfg(feature = "parallel")]
    if enabled() && items.len() > 1 {
        use rayon::prelude::*;
        return items.into_par_iter().with_max_len(1).map(f).collect();
    }
    items.into_iter().map(f).collect()
}
