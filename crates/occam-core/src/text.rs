//! Text to a sparse document-term matrix: a tokenizer (lowercase, runs of letters, digits and
//! apostrophes of two or more characters, as scikit-learn's default pattern but keeping
//! apostrophes), word n-grams, a vocabulary limited by document frequency and size, and raw
//! counts or tf-idf (smooth idf = ln((1 + n) / (1 + df)) + 1, rows scaled to unit L2 norm,
//! scikit-learn's TfidfVectorizer defaults). The vocabulary is fitted on training texts only
//! and then applied to any text.

use crate::matrix::CscMatrix;
use std::collections::HashMap;

/// Settings.
///
/// | field | default | meaning |
/// |---|---|---|
/// | `ngram` | 1 | use 1..=ngram word n-grams |
/// | `min_df` | 2 | keep terms in at least this many training documents |
/// | `max_features` | 50000 | keep at most this many terms (highest document frequency) |
/// | `tfidf` | true | tf-idf with L2-normalised rows; false = raw counts |
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TextConfig {
    pub ngram: usize,
    pub min_df: usize,
    pub max_features: usize,
    pub tfidf: bool,
}

impl Default for TextConfig {
    fn default() -> Self {
        TextConfig {
            ngram: 1,
            min_df: 2,
            max_features: 50_000,
            tfidf: true,
        }
    }
}

/// A fitted vocabulary.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Vectorizer {
    pub config: TextConfig,
    pub terms: Vec<String>,
    /// idf per term (all 1 for raw counts).
    pub idf: Vec<f64>,
    #[serde(skip)]
    index: HashMap<String, u32>,
}

/// Lowercased tokens: maximal runs of alphanumerics and apostrophes, at least 2 characters.
pub fn tokenize(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for ch in text.chars().flat_map(char::to_lowercase) {
        if ch.is_alphanumeric() || ch == '\'' {
            cur.push(ch);
        } else if !cur.is_empty() {
            let t = std::mem::take(&mut cur);
            if t.chars().count() >= 2 {
                out.push(t);
            }
        }
    }
    if cur.chars().count() >= 2 {
        out.push(cur);
    }
    out
}

/// The terms (1..=n-grams) of one text.
fn terms_of(text: &str, n: usize) -> Vec<String> {
    let toks = tokenize(text);
    let mut out = toks.clone();
    for k in 2..=n {
        for w in toks.windows(k) {
            out.push(w.join(" "));
        }
    }
    out
}

impl Vectorizer {
    /// Learns the vocabulary (and idf) from `texts`.
    pub fn fit(texts: &[&str], config: &TextConfig) -> Vectorizer {
        let mut df: HashMap<String, usize> = HashMap::new();
        for t in texts {
            let mut seen: Vec<String> = terms_of(t, config.ngram.max(1));
            seen.sort_unstable();
            seen.dedup();
            for term in seen {
                *df.entry(term).or_default() += 1;
            }
        }
        let mut kept: Vec<(String, usize)> = df
            .into_iter()
            .filter(|(_, d)| *d >= config.min_df.max(1))
            .collect();
        // Most frequent first, ties by term, so the vocabulary is deterministic.
        kept.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        kept.truncate(config.max_features.max(1));
        kept.sort_by(|a, b| a.0.cmp(&b.0));
        let n = texts.len() as f64;
        let idf = kept
            .iter()
            .map(|(_, d)| {
                if config.tfidf {
                    ((1.0 + n) / (1.0 + *d as f64)).ln() + 1.0
                } else {
                    1.0
                }
            })
            .collect();
        let terms: Vec<String> = kept.into_iter().map(|(t, _)| t).collect();
        let index = terms
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        Vectorizer {
            config: config.clone(),
            terms,
            idf,
            index,
        }
    }

    /// The same vocabulary with its term index rebuilt (the index is not serialized: call
    /// this after deserializing).
    pub fn reindex(mut self) -> Vectorizer {
        self.index = self
            .terms
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        self
    }

    /// The document-term matrix of `texts` (rows = texts, columns = `terms`), sparse.
    pub fn transform(&self, texts: &[&str]) -> CscMatrix {
        let p = self.terms.len();
        let (mut ptr, mut cols, mut vals) = (vec![0usize], Vec::new(), Vec::new());
        for t in texts {
            let mut counts: HashMap<u32, f64> = HashMap::new();
            for term in terms_of(t, self.config.ngram.max(1)) {
                if let Some(&j) = self.index.get(&term) {
                    *counts.entry(j).or_default() += 1.0;
                }
            }
            let mut row: Vec<(usize, f64)> = counts
                .into_iter()
                .map(|(j, c)| (j as usize, c * self.idf[j as usize]))
                .collect();
            row.sort_by_key(|e| e.0);
            if self.config.tfidf {
                let norm = row.iter().map(|e| e.1 * e.1).sum::<f64>().sqrt();
                if norm > 0.0 {
                    row.iter_mut().for_each(|e| e.1 /= norm);
                }
            }
            for (j, v) in row {
                cols.push(j as u32);
                vals.push(v);
            }
            ptr.push(cols.len());
        }
        CscMatrix::from_rows(texts.len(), p, &ptr, &cols, &vals)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_ngrams_vocabulary_and_tfidf_follow_their_definitions() {
        assert_eq!(
            tokenize("It's a GREAT film , isn't it ?"),
            vec!["it's", "great", "film", "isn't", "it"]
        );
        let docs = ["good film good", "bad film", "good bad plot", "plot"];
        let cfg = TextConfig {
            ngram: 2,
            min_df: 2,
            max_features: 100,
            tfidf: true,
        };
        let v = Vectorizer::fit(&docs, &cfg);
        assert_eq!(
            v.terms,
            vec!["bad", "film", "good", "plot"],
            "bigrams seen once are dropped"
        );
        let x = v.transform(&["good good film", "nothing known"]);
        // idf(good) = ln(5/3) + 1, idf(film) = ln(5/3) + 1; tf good = 2, film = 1; unit norm.
        let (gi, fi) = (2, 1);
        let (rg, vg) = x.col(gi);
        let (_, vf) = x.col(fi);
        assert_eq!(rg, &[0]);
        assert!((vg[0] / vf[0] - 2.0).abs() < 1e-12);
        assert!((vg[0].powi(2) + vf[0].powi(2) - 1.0).abs() < 1e-12);
        assert_eq!(x.nnz(), 2, "the unknown text has no entries");
        let small = Vectorizer::fit(
            &docs,
            &TextConfig {
                max_features: 2,
                min_df: 1,
                ngram: 1,
                tfidf: false,
            },
        );
        // Every term has document frequency 2 here, so the tie-break by term decides.
        assert_eq!(
            small.terms,
            vec!["bad", "film"],
            "the most frequent terms (ties by term)"
        );
        let more = [
            "good film good",
            "bad film",
            "good bad plot",
            "plot",
            "good",
        ];
        let one = Vectorizer::fit(
            &more,
            &TextConfig {
                max_features: 1,
                min_df: 1,
                ngram: 1,
                tfidf: false,
            },
        );
        assert_eq!(
            one.terms,
            vec!["good"],
            "the most frequent term (df 3) wins"
        );
    }
}
