//! Reading back numbers that were NaN when written. JSON has no NaN, so serde_json writes a
//! NaN (an AUC on one class, the mean of a pruned trial) as `null`; these deserializers read
//! such a `null` back as NaN instead of failing. Use with `#[serde(deserialize_with = ...)]`.

use serde::{Deserialize, Deserializer};

/// A number, `null` read as NaN.
pub fn f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// A list of numbers, each `null` read as NaN.
pub fn vec<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
    Ok(Vec::<Option<f64>>::deserialize(d)?
        .into_iter()
        .map(|v| v.unwrap_or(f64::NAN))
        .collect())
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct T {
        #[serde(deserialize_with = "super::f64")]
        a: f64,
        #[serde(deserialize_with = "super::vec")]
        b: Vec<f64>,
    }

    #[test]
    fn null_reads_as_nan_and_numbers_as_themselves() {
        let t: T = serde_json::from_str(r#"{"a": null, "b": [1.5, null]}"#).unwrap();
        assert!(t.a.is_nan());
        assert_eq!(t.b[0], 1.5);
        assert!(t.b[1].is_nan());
        let t: T = serde_json::from_str(r#"{"a": 2, "b": []}"#).unwrap();
        assert_eq!(t.a, 2.0);
        assert!(serde_json::from_str::<T>(r#"{"a": "x", "b": []}"#).is_err());
    }
}
