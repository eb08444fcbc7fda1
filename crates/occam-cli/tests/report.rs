//! Reports: `occam report` on training and linear runs writes one self-contained page with
//! every section; the colon weight overlay counts exact zeros per run; the page renders in
//! headless Chromium (installed by scripts/install-chromium.sh) without console messages, and
//! a screenshot is kept under target/ for a human to look at; a garbage metrics.csv is refused.

mod common;
use common::*;

use std::path::Path;
use std::process::Command;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A page that loads nothing: no scripts, no links, no external sources.
fn assert_self_contained(html: &str) {
    for bad in [
        "<script", "<link", "src=", "http://", "https://", "@import", "url(",
    ] {
        assert!(!html.contains(bad), "report contains {bad}");
    }
}

const TRAIN_SECTIONS: [&str; 7] = [
    "data", "metrics", "baseline", "curves", "weights", "selected", "config",
];
const CV_SECTIONS: [&str; 5] = ["run", "metrics", "baseline", "selected", "path"];

#[test]
fn train_and_linear_runs_write_reports_with_every_section() {
    let dir = tmp("sections");
    let run = dir.join("net");
    let out = ok(&[
        "train",
        "builtin:pima",
        "--hidden",
        "16",
        "--epochs",
        "20",
        "--l1",
        "0.01",
        "--patience",
        "5",
        "--test-fraction",
        "0.2",
        "--baseline",
        "--threads",
        "2",
        "--out",
        s(&run),
    ]);
    assert!(out.contains("report.html"), "{out}");
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert_self_contained(&html);
    for id in TRAIN_SECTIONS {
        assert!(
            html.contains(&format!("<section id=\"{id}\">")),
            "section {id} missing"
        );
    }
    assert!(html.contains("regularized") && html.contains("unregularized"));
    assert_eq!(
        html.matches("<svg").count(),
        4,
        "curves, 2 weight histograms, selected features"
    );
    // `occam report` rewrites it from the folder alone.
    std::fs::remove_file(run.join("report.html")).unwrap();
    let out = ok(&["report", s(&run), "--png"]);
    assert!(run.join("report.html").exists());
    // PNG on request: one image per plot, rasterized from the SVG.
    assert!(out.contains("wrote 4 PNG plots"), "{out}");
    for i in 1..=4 {
        let png = std::fs::read(run.join(format!("plots/figure-{i:02}.png"))).unwrap();
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000,
            "figure {i}: {} bytes",
            png.len()
        );
    }

    let cv = dir.join("cv");
    ok(&[
        "linear",
        "cv",
        "builtin:colon",
        "--folds",
        "5",
        "--out",
        s(&cv),
    ]);
    let html = std::fs::read_to_string(cv.join("report.html")).unwrap();
    assert_self_contained(&html);
    for id in CV_SECTIONS {
        assert!(
            html.contains(&format!("<section id=\"{id}\">")),
            "section {id} missing"
        );
    }
    assert!(cv.join("cv.json").exists());
    // the selected features compare on the standardized scale, and the table gives both
    assert!(html.contains("coefficient x sd(feature) (standardized scale)"));
    assert!(html.contains("<th>standardized</th>") && html.contains("<th>original scale</th>"));
    let sd = json(&cv.join("cv.json"))["feature_sd"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(sd, 2000, "a standard deviation per colon gene");
    ok(&[
        "linear",
        "path",
        "builtin:diabetes",
        "--out",
        s(&dir.join("path")),
        "--no-report",
    ]);
    assert!(dir.join("path/path.json").exists() && !dir.join("path/report.html").exists());
    ok(&["report", s(&dir.join("path"))]);
    assert!(std::fs::read_to_string(dir.join("path/report.html"))
        .unwrap()
        .contains("<section id=\"path\">"));

    let demo = dir.join("demo");
    let out = ok(&["demo", "--out", s(&demo)]);
    assert!(
        out.trim_end()
            .ends_with(&format!("report: {}", demo.join("report.html").display())),
        "{out}"
    );
    assert!(demo.join("report.html").exists());

    // Not a run folder, and several folders without --out: clear errors, exit 2.
    fails_naming(&["report", s(&dir)], "not a run folder");
    fails_naming(&["report", s(&run), s(&run)], "--out");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn colon_weight_overlay_counts_exact_zeros_l1_most_l2_none() {
    let dir = tmp("overlay");
    let base: Vec<&str> = COLON.iter().copied().chain(["--no-report"]).collect();
    let runs: [(&str, &[&str]); 4] = [
        ("none", &[]),
        ("L2", &["--l2", "0.01"]),
        (
            "L1",
            &[
                "--l1",
                "0.03",
                "--penalty-layers",
                "first",
                "--no-restore-best",
            ],
        ),
        (
            "elastic-net",
            &[
                "--elastic-net",
                "0.04,0.5",
                "--penalty-layers",
                "first",
                "--no-restore-best",
            ],
        ),
    ];
    for (name, extra) in runs {
        let mut a = vec!["train"];
        a.extend_from_slice(&base);
        a.extend_from_slice(extra);
        let o = dir.join(name);
        a.extend_from_slice(&["--out", s(&o)]);
        ok(&a);
    }
    let page = dir.join("compare.html");
    let names: Vec<String> = runs
        .iter()
        .map(|(n, _)| s(&dir.join(n)).to_string())
        .collect();
    let mut a = vec!["report"];
    a.extend(names.iter().map(String::as_str));
    a.extend_from_slice(&["--out", s(&page)]);
    ok(&a);
    let html = std::fs::read_to_string(&page).unwrap();
    assert_self_contained(&html);
    let count = |label: &str| -> usize {
        let key = format!("{label}: ");
        let i = html
            .find(&key)
            .unwrap_or_else(|| panic!("no legend entry for {label}"));
        let rest = &html[i + key.len()..];
        let n: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        assert!(
            rest[n.len()..].starts_with(" of 64000 exactly zero"),
            "{}",
            &rest[..40]
        );
        n.parse().unwrap()
    };
    assert!(
        count("L1") > 32000,
        "L1: most first-layer weights exactly zero ({})",
        count("L1")
    );
    assert_eq!(count("L2"), 0, "L2 shrinks but leaves no exact zero");
    assert_eq!(count("none"), 0);
    assert!(count("elastic-net") > 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn chromium() -> String {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scripts/install-chromium.sh"
    );
    let st = Command::new("bash").arg(script).status().expect("bash");
    assert!(
        st.success(),
        "scripts/install-chromium.sh failed: the browser test needs Debian's chromium"
    );
    "chromium".into()
}

#[test]
fn report_renders_in_headless_chromium_without_console_messages() {
    let dir = tmp("browser");
    let run = dir.join("net");
    ok(&[
        "train",
        "builtin:pima",
        "--hidden",
        "16",
        "--epochs",
        "15",
        "--l1",
        "0.01",
        "--threads",
        "2",
        "--out",
        s(&run),
    ]);
    let page = run.join("report.html");
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshot.png");
    let _ = std::fs::remove_file(&shot);
    let browser = chromium();
    let profile = dir.join("profile");
    let run_chromium = |extra: &[&str]| render(&browser, &page, &profile, extra);
    let (dom, log) = run_chromium(&["--dump-dom"]);
    let console: Vec<&str> = log.lines().filter(|l| l.contains("CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    for id in TRAIN_SECTIONS {
        assert!(
            dom.contains(&format!("<section id=\"{id}\">")),
            "rendered page lacks section {id}"
        );
    }
    assert!(
        dom.matches("<svg").count() >= 4,
        "curves, 2 weight histograms, selected features"
    );
    let (_, log) = run_chromium(&[
        "--window-size=1000,4000",
        &format!("--screenshot={}", shot.display()),
    ]);
    assert!(!log.lines().any(|l| l.contains("CONSOLE")));
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "a real screenshot ({} bytes)",
        png.len()
    );
    eprintln!("screenshot: {}", shot.display());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_garbage_metrics_csv_is_refused_not_drawn() {
    let dir = tmp("garbage-metrics");
    let run = dir.join("run");
    ok(&[
        "train",
        &datasets("pima_indians_diabetes.csv"),
        "--epochs",
        "3",
        "--no-report",
        "--out",
        s(&run),
    ]);
    let metrics = run.join("metrics.csv");
    let text = std::fs::read_to_string(&metrics).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut cells: Vec<&str> = lines[2].split(',').collect();
    cells[2] = "oops"; // train_loss
    lines[2] = cells.join(",");
    std::fs::write(&metrics, lines.join("\n") + "\n").unwrap();
    // The manifest's checksum catches the edit.
    let (_, err, code) = occam(&["report", s(&run)]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("metrics.csv") && err.contains("has changed"),
        "{err}"
    );
    // A folder without a manifest (from before it) is read as it is: the bad cell is named.
    std::fs::remove_file(run.join("manifest.json")).unwrap();
    let (_, err, code) = occam(&["report", s(&run)]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("metrics.csv") && err.contains("line 3"),
        "{err}"
    );
    assert!(!run.join("report.html").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs headless Chromium (`browser`, profile folder `profile`) on `page` with the flags
/// `extra` (`--dump-dom`, `--screenshot=...`): (stdout, stderr), the console log on stderr.
fn render(browser: &str, page: &Path, profile: &Path, extra: &[&str]) -> (String, String) {
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", s(page)))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn explain_and_bayes_pages_render_in_chromium_with_their_error_bars_and_heat_maps() {
    let dir = tmp("browser-explain");
    let data = datasets("diabetes_regression.csv");
    ok(&[
        "linear",
        "cv",
        &data,
        "--out",
        s(&dir.join("cv")),
        "--no-report",
    ]);
    ok(&[
        "explain",
        s(&dir.join("cv")),
        &data,
        "--out",
        s(&dir.join("ex")),
    ]);
    ok(&[
        "linear",
        "bayes",
        &data,
        "--ard",
        "--out",
        s(&dir.join("ard")),
    ]);
    // integrated gradients of a CNN: the chosen rows as heat maps
    ok(&[
        "train",
        "builtin:digits",
        "--model",
        "cnn",
        "--conv",
        "4:3:2",
        "--epochs",
        "1",
        "--out",
        s(&dir.join("cnn")),
        "--no-report",
    ]);
    ok(&[
        "explain",
        s(&dir.join("cnn")),
        &datasets("digits_8x8.csv"),
        "--method",
        "ig",
        "--out",
        s(&dir.join("ig")),
    ]);
    let browser = chromium();
    for (run, sections, svgs) in [
        ("ex", &["run", "importance", "rows"][..], 4),
        ("ig", &["run", "importance", "rows"][..], 4),
        (
            "ard",
            &["run", "selected", "precisions", "evidence", "metrics"][..],
            2,
        ),
    ] {
        let (dom, log) = render(
            &browser,
            &dir.join(run).join("report.html"),
            &dir.join("profile"),
            &["--dump-dom"],
        );
        let console: Vec<&str> = log.lines().filter(|l| l.contains("CONSOLE")).collect();
        assert!(console.is_empty(), "{run}: console messages: {console:?}");
        for id in sections {
            assert!(
                dom.contains(&format!("<section id=\"{id}\">")),
                "{run}: rendered page lacks section {id}"
            );
        }
        assert!(dom.matches("<svg").count() >= svgs, "{run}: the plots");
        // the interval chart (its whiskers are counted in occam-report's svg_structure test)
        assert!(dom.contains("95% "), "{run}: the chart with intervals");
        if run == "ig" {
            // three rows, an input and an attribution map of 8 x 8 cells each
            assert!(
                dom.matches("<rect").count() >= 3 * 2 * 64,
                "{run}: the heat maps"
            );
            assert!(
                dom.contains("attribution (red +"),
                "{run}: the heat maps' scale"
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
