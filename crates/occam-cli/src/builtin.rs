//! The small real data sets embedded in the binary, named on the command line as `builtin:NAME`.

/// One embedded data set: its name, file name under datasets/, and bytes.
pub struct Builtin {
    pub name: &'static str,
    pub file: &'static str,
    pub bytes: &'static [u8],
    #[allow(dead_code)]
    pub about: &'static str,
}

macro_rules! builtin {
    ($name:expr, $file:expr, $about:expr) => {
        Builtin {
            name: $name,
            file: $file,
            bytes: include_bytes!(concat!("../../../datasets/", $file)),
            about: $about,
        }
    };
}

pub const BUILTINS: &[Builtin] = &[
    builtin!(
        "pima",
        "pima_indians_diabetes.csv",
        "Pima diabetes: 768 x 8, binary target 'diabetes'"
    ),
    builtin!(
        "diabetes",
        "diabetes_regression.csv",
        "diabetes progression (Efron et al.): 442 x 10, regression"
    ),
    builtin!(
        "colon",
        "colon_cancer_alon1999.csv",
        "colon cancer (Alon et al.): 62 x 2000 genes, binary 'tumor'"
    ),
    builtin!(
        "digits",
        "digits_8x8.csv",
        "handwritten digits 8x8: 1797 x 64, 10 classes"
    ),
    builtin!(
        "sentences",
        "sentence_polarity.csv",
        "sentence polarity: 10662 texts, binary 'label'"
    ),
    builtin!(
        "movie-reviews",
        "movie_reviews_polarity_counts.svm.gz",
        "movie reviews bag of words: 2000 x 50920 sparse (libsvm)"
    ),
    builtin!(
        "co2",
        "co2_mauna_loa_weekly.csv",
        "Mauna Loa CO2, weekly, 59 weeks missing"
    ),
    builtin!(
        "electricity",
        "electricity_usage_hourly.csv",
        "hourly electricity use of one home"
    ),
    builtin!(
        "insteval",
        "insteval_ratings.csv",
        "InstEval lecture ratings: 73421 ratings"
    ),
];

/// Vocabulary of the movie-review bag of words: feature i is line i.
pub const MOVIE_VOCAB: &[u8] = include_bytes!("../../../datasets/movie_reviews_polarity_vocab.txt");

pub fn find(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name || b.file == name)
}

/// "pima, diabetes, ..." for error messages.
pub fn names() -> String {
    BUILTINS
        .iter()
        .map(|b| b.name)
        .collect::<Vec<_>>()
        .join(", ")
}
