//! The `occam` binary: flags -> configs -> library calls. The only crate that decides where
//! files go; every bad input is reported as one paragraph and exit code 2.

mod cmd_bench;
mod cmd_data;
mod cmd_demo;
mod cmd_explain;
mod cmd_forecast;
mod cmd_linear;
mod cmd_path;
mod cmd_predict;
mod cmd_privacy;
mod cmd_rec;
mod cmd_report;
mod cmd_select;
mod cmd_text;
mod cmd_train;
mod cmd_tune;
mod flags;
mod flags_nn;
mod load;
mod nn_setup;
mod output;
mod progress;

use clap::Parser;
use flags::{BenchCommand, Cli, Command, DataCommand, LinearCommand, PrivacyCommand};

/// A bad input found by the CLI itself (flags that do not fit together, unknown builtin, ...).
#[derive(Debug)]
pub struct UserError(pub String);

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UserError {}

/// The error kind printed as `error[kind]`, found by looking through the error chain.
/// Training that stopped because its loss became non-finite or exploded (exit code 3).
#[derive(Debug)]
pub struct Stopped(pub String);

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Stopped {}

fn kind_of(e: &anyhow::Error) -> &'static str {
    for cause in e.chain() {
        if cause.downcast_ref::<Stopped>().is_some() {
            return "diverged";
        }
        if let Some(o) = cause.downcast_ref::<occam::Error>() {
            return o.kind();
        }
        if let Some(d) = cause.downcast_ref::<occam_core::DataError>() {
            return d.kind();
        }
        if let Some(occam_linear::LinearError::Data(d)) =
            cause.downcast_ref::<occam_linear::LinearError>()
        {
            return d.kind();
        }
        if let Some(n) = cause.downcast_ref::<occam_nn::NnError>() {
            return n.kind();
        }
        if cause.downcast_ref::<UserError>().is_some() {
            return "usage";
        }
    }
    "error"
}

/// The parameter (or column role) an error in the chain names, as the config spells it.
fn config_names(e: &anyhow::Error) -> Vec<String> {
    use occam_core::DataError;
    use occam_linear::LinearError;
    fn of_data(d: &DataError) -> Option<&String> {
        match d {
            DataError::Param { param, .. } => Some(param),
            DataError::MissingColumn { role, .. } => Some(role),
            _ => None,
        }
    }
    let mut out = Vec::new();
    for cause in e.chain() {
        let name = if let Some(o) = cause.downcast_ref::<occam::Error>() {
            match o {
                occam::Error::Param { param, .. } => Some(param),
                occam::Error::Data(d) | occam::Error::Linear(LinearError::Data(d)) => of_data(d),
                occam::Error::Nn(occam_nn::NnError::Config { param, .. }) => Some(param),
                _ => None,
            }
        } else if let Some(d) = cause.downcast_ref::<DataError>() {
            of_data(d)
        } else if let Some(LinearError::Data(d)) = cause.downcast_ref::<LinearError>() {
            of_data(d)
        } else if let Some(occam_nn::NnError::Config { param, .. }) =
            cause.downcast_ref::<occam_nn::NnError>()
        {
            Some(param)
        } else {
            None
        };
        out.extend(name.cloned());
    }
    out
}

/// The libraries name a parameter as its config spells it (`lambda_min_ratio`); the CLI
/// prints the flag (`--lambda-min-ratio`). Names that are no flag (`data`, `x`, `y`, a
/// phrase) stay as they are.
fn with_flags(e: &anyhow::Error, mut msg: String) -> String {
    for name in config_names(e) {
        let plain = name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit());
        if !plain || ["data", "x", "y", "validation"].contains(&name.as_str()) {
            continue;
        }
        // The one field whose flag has another name: the forecaster's covariates.
        let flag = match name.as_str() {
            "covariates" => "--features".to_string(),
            _ => format!("--{}", name.replace('_', "-")),
        };
        msg = msg
            .replacen(
                &format!("invalid value for {name}:"),
                &format!("invalid value for {flag}:"),
                1,
            )
            .replacen(&format!("(for {name})"), &format!("(for {flag})"), 1);
    }
    msg
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Data(DataCommand::Inspect(a)) => cmd_data::inspect(&a),
        Command::Demo(a) => cmd_demo::run(&a),
        Command::Linear(l) => match *l {
            LinearCommand::Path(a) => cmd_linear::path(&a),
            LinearCommand::Cv(a) => cmd_linear::cv(&a),
            LinearCommand::Bayes(a) => cmd_linear::bayes(&a),
        },
        Command::Train(a) => cmd_train::run(&a),
        Command::Tune(a) => cmd_tune::run(&a),
        Command::Path(a) => cmd_path::run(&a),
        Command::Select(a) => cmd_select::run(&a),
        Command::Report(a) => cmd_report::run(&a),
        Command::Predict(a) => cmd_predict::run(&a),
        Command::Explain(a) => cmd_explain::run(&a),
        Command::FedClient => Ok(occam::fedproc::serve()?),
        Command::Privacy(p) => match p {
            PrivacyCommand::Epsilon(a) => cmd_privacy::epsilon(&a),
            PrivacyCommand::Noise(a) => cmd_privacy::noise(&a),
        },
        Command::Bench(BenchCommand::Mlp(a)) => cmd_bench::bench_mlp(&a),
        Command::Bench(BenchCommand::Gemm(a)) => cmd_bench::bench_gemm(&a),
        Command::Bench(BenchCommand::Load(a)) => cmd_bench::bench_load(&a),
        Command::Bench(BenchCommand::Rnn(a)) => cmd_bench::bench_rnn(&a),
    }
}

/// Restores the default SIGPIPE action, so that `occam ... | head` ends quietly when the
/// reader closes the pipe (Rust ignores SIGPIPE, and `println!` would then panic).
fn default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL is a valid action.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// The default panic hook, quiet about the Parquet decoder's panics: the reader catches them
/// and reports the file as corrupt (exit code 2), so the panic's own message would only be
/// noise before that error.
fn quiet_decoder_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let decoder = info
            .location()
            .is_some_and(|l| occam_core::parquet::is_decoder_panic(l.file()));
        if !decoder {
            default(info);
        }
    }));
}

fn main() {
    default_sigpipe();
    quiet_decoder_panics();
    let cli = Cli::parse(); // clap exits with code 2 on bad flags
                            // federated client processes (--fed-processes) are this program's `fed-client`
    if let Ok(exe) = std::env::current_exe() {
        occam::fedproc::register_client(exe, vec!["fed-client".into()]);
    }
    if let Err(e) = run(cli) {
        let mut msg = e.to_string();
        for cause in e.chain().skip(1) {
            let c = cause.to_string();
            if !msg.contains(&c) {
                msg.push_str(": ");
                msg.push_str(&c);
            }
        }
        let kind = kind_of(&e);
        eprintln!("error[{kind}]: {}", with_flags(&e, msg));
        // 3: training diverged (documented in the README); 2: every other bad input.
        let diverged = matches!(kind, "diverged" | "non-finite-loss");
        std::process::exit(if diverged { 3 } else { 2 });
    }
}
