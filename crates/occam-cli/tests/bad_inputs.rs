//! Bad inputs: each one gives a one-paragraph message naming the problem, the exact error
//! kind (`error[kind]`), exit code 2, and never a panic.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

fn occam() -> Command {
    Command::new(env!("CARGO_BIN_EXE_occam"))
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("occam-bad-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A bad-input case: a file to create, the command (with {} for the file), the kind expected
/// and a piece of text the message must contain.
struct Case {
    name: &'static str,
    file: &'static str,
    content: Vec<u8>,
    args: Vec<&'static str>,
    kind: &'static str,
    says: &'static str,
}

fn case(
    name: &'static str,
    file: &'static str,
    content: &[u8],
    args: &[&'static str],
    kind: &'static str,
    says: &'static str,
) -> Case {
    Case {
        name,
        file,
        content: content.to_vec(),
        args: args.to_vec(),
        kind,
        says,
    }
}

fn run_case(c: &Case) {
    let dir = tmpdir(c.name);
    let path = dir.join(c.file);
    std::fs::write(&path, &c.content).unwrap();
    let args: Vec<String> = c
        .args
        .iter()
        .map(|a| {
            a.replace("{}", path.to_str().unwrap())
                .replace("{dir}", dir.to_str().unwrap())
        })
        .collect();
    let out = occam().args(&args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}: exit code; stderr: {stderr}",
        c.name
    );
    assert!(
        !stderr.contains("panicked"),
        "{}: panicked: {stderr}",
        c.name
    );
    assert!(
        stderr.len() < 1500,
        "{}: a {}-byte message is not one paragraph",
        c.name,
        stderr.len()
    );
    assert!(
        stderr.contains(&format!("error[{}]", c.kind)),
        "{}: expected error[{}], got: {stderr}",
        c.name,
        c.kind
    );
    assert!(
        stderr.contains(c.says),
        "{}: message should mention '{}': {stderr}",
        c.name,
        c.says
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

const PATH: &[&str] = &["linear", "path", "{}"];

#[test]
fn every_bad_input_is_a_clear_error_with_exit_code_2() {
    let good = b"a,b,y\n1,2,0.5\n3,4,1.5\n5,7,2.5\n6,1,0.1\n";
    let huge_cell = format!("a,y\n{},1\n2,0\n", "x".repeat(1_000_000)).into_bytes();
    let truncated = {
        let g = gz(&b"a,b,y\n1,2,3\n".repeat(2000));
        g[..g.len() / 2].to_vec()
    };
    let mut idx_bad = vec![8u8, 0, 8, 1, 0, 0, 0, 2];
    idx_bad.extend([1, 2]);
    let cases = vec![
        case("empty", "e.csv", b"", PATH, "empty-file", "e.csv is empty"),
        case("blank", "b.csv", b"\n\n  \n", PATH, "empty-file", "empty"),
        case(
            "header_only",
            "h.csv",
            b"a,b,y\n",
            PATH,
            "header-only",
            "no data rows",
        ),
        case(
            "ragged",
            "r.csv",
            b"a,b,y\n1,2,3\n4,5\n",
            PATH,
            "ragged-row",
            "line 3",
        ),
        case(
            "non_numeric",
            "n.csv",
            b"a,b,y\n1,2,3\n4,x5,6\n",
            PATH,
            "not-numeric",
            "line 3, column 2 ('b')",
        ),
        case(
            "categorical_hint",
            "c.csv",
            b"a,c,y\n1,red,3\n4,blue,6\n",
            PATH,
            "not-numeric",
            "--categorical c",
        ),
        case(
            "nan_cell",
            "nan.csv",
            b"a,b,y\n1,NaN,3\n4,5,6\n",
            PATH,
            "non-finite",
            "'NaN' is not a finite number",
        ),
        case(
            "inf_cell",
            "inf.csv",
            b"a,b,y\n1,2,3\n4,-inf,6\n",
            PATH,
            "non-finite",
            "line 3, column 2",
        ),
        case(
            "duplicate_columns",
            "d.csv",
            b"a,b,a,y\n1,2,3,4\n",
            PATH,
            "duplicate-column",
            "'a' appears twice",
        ),
        case(
            "empty_column_name",
            "ec.csv",
            b"a,,y\n1,2,3\n",
            PATH,
            "empty-column-name",
            "column 2",
        ),
        case(
            "missing_target",
            "mt.csv",
            good,
            &["linear", "path", "{}", "--target", "outcome"],
            "missing-column",
            "no column named 'outcome'",
        ),
        case(
            "missing_value",
            "mv.csv",
            b"a,b,y\n1,,3\n4,5,6\n",
            PATH,
            "missing-value",
            "line 2, column 2 ('b')",
        ),
        case(
            "single_class",
            "sc.csv",
            b"a,y\n1,1\n2,1\n3,1\n",
            &["linear", "path", "{}", "--task", "binary"],
            "single-class",
            "single class",
        ),
        case(
            "missing_target_imputed",
            "mti.csv",
            b"a,y\n1,1\n2,\n3,0\n",
            &["linear", "path", "{}", "--missing", "mean"],
            "bad-target",
            "never imputed",
        ),
        case(
            "text_target_regression",
            "tt.csv",
            b"a,y\n1,x\n2,y\n3,x\n",
            &["linear", "path", "{}", "--task", "regression"],
            "bad-target",
            "must be numeric",
        ),
        case(
            "no_features",
            "nf.csv",
            good,
            &["linear", "path", "{}", "--drop", "a,b"],
            "no-features",
            "no feature columns",
        ),
        case(
            "feature_is_target",
            "ft.csv",
            good,
            &["linear", "path", "{}", "--features", "a,y"],
            "invalid-parameter",
            "is the target",
        ),
        case(
            "unknown_categorical",
            "uc.csv",
            good,
            &["linear", "path", "{}", "--categorical", "colour"],
            "missing-column",
            "no column named 'colour'",
        ),
        case(
            "libsvm_unsorted",
            "u.svm",
            b"1 1:1 3:2\n0 3:1 2:1\n",
            &["data", "inspect", "{}"],
            "libsvm",
            "line 2, token 3",
        ),
        case(
            "libsvm_index_far_beyond_its_values",
            "far.svm",
            b"1 3:1\n0 4000000000:1\n",
            &["data", "inspect", "{}"],
            "libsvm",
            "line 2, token 2: feature index 4000000000",
        ),
        case(
            "libsvm_index_5e7_for_two_values",
            "far2.svm",
            b"1 50000000:1\n0 2:1\n",
            &["linear", "path", "{}"],
            "libsvm",
            "renumber the features densely",
        ),
        case(
            "libsvm_zero_index",
            "z.svm",
            b"1 0:1\n0 1:1\n",
            &["data", "inspect", "{}"],
            "libsvm",
            "start at 1",
        ),
        case(
            "libsvm_bad_label",
            "bl.svm",
            b"pos 1:1\n",
            &["data", "inspect", "{}"],
            "libsvm",
            "label 'pos'",
        ),
        case(
            "libsvm_no_colon",
            "nc.svm",
            b"1 1:1 7\n",
            &["data", "inspect", "{}"],
            "libsvm",
            "index:value",
        ),
        case(
            "truncated_gzip",
            "t.csv.gz",
            &truncated,
            PATH,
            "corrupt",
            "truncated or damaged",
        ),
        case(
            "idx_wrong_magic",
            "x-idx1-ubyte",
            &idx_bad,
            &["data", "inspect", "{}"],
            "idx",
            "wrong magic number",
        ),
        case(
            "idx_truncated",
            "y-idx1-ubyte",
            &[0, 0, 8, 1, 0, 0, 0, 9, 1, 2],
            &["data", "inspect", "{}"],
            "idx",
            "need 17 bytes",
        ),
        case(
            "invalid_utf8",
            "u8.csv",
            b"a,b,y\n1,\xff\xfe,3\n",
            PATH,
            "malformed",
            "UTF-8",
        ),
        case(
            "no_such_file",
            "exists.csv",
            good,
            &["linear", "path", "{dir}/absent.csv"],
            "io",
            "absent.csv",
        ),
        case(
            "unknown_builtin",
            "x.csv",
            good,
            &["linear", "path", "builtin:iris"],
            "usage",
            "no builtin data set 'iris'",
        ),
        case(
            "alpha_out_of_range",
            "a.csv",
            good,
            &["linear", "path", "{}", "--alpha", "2"],
            "invalid-parameter",
            "--alpha",
        ),
        case(
            "bad_missing_policy",
            "m.csv",
            good,
            &["linear", "path", "{}", "--missing", "zero"],
            "invalid-parameter",
            "--missing",
        ),
        case(
            "bad_task",
            "t.csv",
            good,
            &["linear", "path", "{}", "--task", "ranking"],
            "invalid-parameter",
            "--task",
        ),
        case(
            "bad_family",
            "f.csv",
            good,
            &["linear", "path", "{}", "--family", "gamma"],
            "invalid-parameter",
            "--family",
        ),
        case(
            "negative_lambda",
            "nl.csv",
            good,
            &["linear", "path", "{}", "--lambda", "0.1,-1"],
            "invalid-parameter",
            "--lambda",
        ),
        case(
            "too_few_folds",
            "tf.csv",
            good,
            &["linear", "cv", "{}", "--folds", "1"],
            "invalid-parameter",
            "--folds",
        ),
        case(
            "auc_for_gaussian",
            "au.csv",
            good,
            &["linear", "cv", "{}", "--measure", "auc"],
            "invalid-parameter",
            "does not apply",
        ),
        case(
            "a_megabyte_cell_is_not_echoed_whole",
            "huge.csv",
            &huge_cell,
            PATH,
            "not-numeric",
            "... (1000000 characters)' is not a number",
        ),
        case(
            "tune_space_width_below_one",
            "space.toml",
            b"[width]\nint = [-3, 8]\n",
            &[
                "tune",
                "builtin:pima",
                "--space",
                "{}",
                "--out",
                "{dir}/run",
            ],
            "usage",
            "[width]: values must be at least 1",
        ),
        case(
            "semicolon_separated",
            "semi.csv",
            b"a;b;y\n1;2;0\n3;4;1\n",
            PATH,
            "malformed",
            "looks ';'-separated",
        ),
        case(
            "tab_separated",
            "tab.csv",
            b"a\tb\ty\n1\t2\t0\n3\t4\t1\n",
            &["train", "{}", "--out", "{dir}/run"],
            "malformed",
            "looks tab-separated",
        ),
        case(
            "binomial_one_value",
            "one.csv",
            b"a,y\n1,1\n2,1\n3,1\n",
            &["linear", "path", "{}", "--family", "binomial"],
            "usage",
            "'y' has 1 distinct value",
        ),
        case(
            "momentum_above_one",
            "m.csv",
            good,
            &[
                "train",
                "{}",
                "--optimizer",
                "sgd",
                "--momentum",
                "2",
                "--out",
                "{dir}/run",
            ],
            "invalid-parameter",
            "--momentum: 2 is not in [0, 1)",
        ),
        case(
            "step_schedule_every_zero",
            "st.csv",
            good,
            &[
                "train",
                "{}",
                "--schedule",
                "step:0:2",
                "--out",
                "{dir}/run",
            ],
            "invalid-parameter",
            "EVERY >= 1",
        ),
        case(
            "plateau_factor_one",
            "pl.csv",
            good,
            &[
                "train",
                "{}",
                "--schedule",
                "plateau:1:5",
                "--out",
                "{dir}/run",
            ],
            "invalid-parameter",
            "FACTOR must be in (0, 1)",
        ),
        case(
            "zero_width_among_hidden_layers",
            "h.csv",
            good,
            &["train", "{}", "--hidden", "16,0", "--out", "{dir}/run"],
            "invalid-parameter",
            "--hidden",
        ),
        case(
            "penalty_layer_beyond_the_network",
            "pb.csv",
            good,
            &[
                "train",
                "{}",
                "--l1",
                "0.01",
                "--penalty-layers",
                "0,7",
                "--out",
                "{dir}/run",
            ],
            "invalid-parameter",
            "dense layer 7 does not exist",
        ),
        case(
            "repeats_zero",
            "r0.csv",
            good,
            &[
                "train",
                "{}",
                "--baseline",
                "--repeats",
                "0",
                "--out",
                "{dir}/run",
            ],
            "invalid-parameter",
            "--repeats",
        ),
        case(
            "epochs_per_point_zero",
            "ep.csv",
            good,
            &[
                "path",
                "{}",
                "--epochs-per-point",
                "0",
                "--out",
                "{dir}/run",
            ],
            "invalid-parameter",
            "--epochs-per-point",
        ),
        case(
            "stability_q_zero",
            "q0.csv",
            good,
            &[
                "select",
                "{}",
                "--stability",
                "--q",
                "0",
                "--out",
                "{dir}/run",
            ],
            "invalid-parameter",
            "--q",
        ),
        case(
            "negative_learning_rate_in_the_space_form",
            "lr.csv",
            good,
            &["train", "{}", "--lr", "-0.01", "--out", "{dir}/run"],
            "invalid-parameter",
            "--lr: -0.01",
        ),
        case(
            "binomial_three_classes",
            "b3.csv",
            b"a,y\n1,0\n2,1\n3,2\n4,0\n",
            &["linear", "path", "{}", "--family", "binomial"],
            "usage",
            "two-class target",
        ),
        case(
            "constant_response",
            "cr.csv",
            b"a,y\n1,2.5\n2,2.5\n3,2.5\n",
            &["linear", "path", "{}", "--task", "regression"],
            "invalid-parameter",
            "constant",
        ),
        case(
            "json_into_missing_folder",
            "j.csv",
            good,
            &["linear", "path", "{}", "--json", "{dir}/no/such/out.json"],
            "usage",
            "does not exist",
        ),
        case(
            "series_without_time_column",
            "s.csv",
            b"t,y\n2020-01-01,1\n2020-01-02,2\n2020-01-03,3\n",
            &["train", "{}", "--model", "lstm", "--out", "{dir}/run"],
            "usage",
            "needs --time-column",
        ),
        case(
            "series_bad_date",
            "s.csv",
            b"t,y\n2020-01-01,1\n2020-01-02,2\n2020-13-03,3\n",
            &[
                "train",
                "{}",
                "--model",
                "gru",
                "--time-column",
                "t",
                "--out",
                "{dir}/run",
            ],
            "malformed",
            "line 4: column 1 ('t'): '2020-13-03' is not a date",
        ),
        case(
            "series_unsorted",
            "s.csv",
            b"t,y\n2020-01-01,1\n2020-01-03,2\n2020-01-02,3\n",
            &[
                "train",
                "{}",
                "--model",
                "lstm",
                "--time-column",
                "t",
                "--out",
                "{dir}/run",
            ],
            "malformed",
            "sort the file by time",
        ),
        case(
            "series_horizon_past_season",
            "s.csv",
            b"t,y\n2020-01-01,1\n2020-01-02,2\n2020-01-03,3\n",
            &[
                "train",
                "{}",
                "--model",
                "lstm",
                "--time-column",
                "t",
                "--horizon",
                "9",
                "--out",
                "{dir}/run",
            ],
            "invalid-parameter",
            "--horizon",
        ),
    ];
    assert!(cases.len() >= 25);
    for c in &cases {
        run_case(c);
    }
}

/// Runs `occam linear CMD DATA FLAG FILE`, expects exit code 2, returns stderr.
fn fails_with_file(
    cmd: &str,
    data: &std::path::Path,
    flag: &str,
    file: &std::path::Path,
) -> String {
    let out = occam()
        .args([
            "linear",
            cmd,
            data.to_str().unwrap(),
            flag,
            file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn bad_penalty_factor_and_foldid_files() {
    let dir = tmpdir("files");
    let data = dir.join("d.csv");
    std::fs::write(&data, b"a,b,y\n1,2,0.5\n3,4,1.5\n5,7,2.5\n6,1,0.1\n").unwrap();
    let pf = dir.join("pf.txt");
    std::fs::write(&pf, b"1\n").unwrap();
    let e = fails_with_file("path", &data, "--penalty-factor", &pf);
    assert!(e.contains("1 factors given for 2 features"), "{e}");
    std::fs::write(&pf, b"1\nheavy\n").unwrap();
    let e = fails_with_file("path", &data, "--penalty-factor", &pf);
    assert!(
        e.contains("error[malformed]") && e.contains("line 2"),
        "{e}"
    );
    let fold = dir.join("fold.txt");
    std::fs::write(&fold, b"1\n2\n3\n").unwrap();
    let e = fails_with_file("cv", &data, "--foldid", &fold);
    assert!(e.contains("3 fold ids for 4 rows"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unknown_flag_is_a_usage_error_with_code_2() {
    let out = occam()
        .args(["linear", "path", "builtin:pima", "--lamda", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_failed_run_never_clobbers_an_earlier_result() {
    let dir = tmpdir("clobber");
    let json = dir.join("out.json");
    let ok = occam()
        .args([
            "linear",
            "path",
            "builtin:diabetes",
            "--json",
            json.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let before = std::fs::read(&json).unwrap();
    let bad = occam()
        .args([
            "linear",
            "path",
            "builtin:diabetes",
            "--alpha",
            "7",
            "--json",
            json.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(std::fs::read(&json).unwrap(), before);
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "no temporary files are left: {names:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Inputs that used to panic now get an answer: a one-lambda path (glmnet's lambda_max, no
/// feature) for `--nlambda 1`, and a description of a libsvm file with fractional labels.
#[test]
fn former_panics_now_answer() {
    for cmd in ["path", "cv"] {
        let out = occam()
            .args(["linear", cmd, "builtin:diabetes", "--nlambda", "1"])
            .output()
            .unwrap();
        let (o, e) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert_eq!(out.status.code(), Some(0), "{cmd}: {o}{e}");
        assert!(
            o.contains("no feature enters") || o.contains("intercept only"),
            "{o}"
        );
    }
    let dir = tmpdir("fractional-labels");
    let f = dir.join("f.svm");
    std::fs::write(&f, "1.5 1:2 3:4\n0 2:1\n2.5 1:1\n").unwrap();
    let out = occam()
        .args(["data", "inspect", f.to_str().unwrap()])
        .output()
        .unwrap();
    let o = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{o}");
    assert!(o.contains("regression"), "{o}");
    std::fs::remove_dir_all(&dir).unwrap();
}
