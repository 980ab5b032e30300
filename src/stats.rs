//! Percentiles for the benchmarks and `steward eval` (nearest rank on the
//! sorted sample, so every figure is a value that was actually measured).

/// Sorts a sample of measurements.
pub fn sorted(mut sample: Vec<f64>) -> Vec<f64> {
    sample.sort_by(f64::total_cmp);
    sample
}

/// The `p` quantile (0..=1) of an already sorted sample; 0 when empty.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_on_the_sorted_sample() {
        let s = sorted(vec![5.0, 1.0, 4.0, 2.0, 3.0]);
        assert_eq!(
            (
                percentile(&s, 0.5),
                percentile(&s, 0.95),
                percentile(&s, 1.0)
            ),
            (3.0, 5.0, 5.0)
        );
        assert_eq!(percentile(&[], 0.5), 0.0);
    }
}
