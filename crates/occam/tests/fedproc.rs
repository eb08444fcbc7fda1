//! Federated client processes through the facade: a client program that never connects (it
//! exits at once) stops the run with an error naming the client and the option, and a run
//! without a registered client program is refused naming it. (The run that equals the
//! in-process one bit for bit is the CLI's federated test, whose binary is the client.)

mod common;
use common::dataset;
use occam::Mlp;
use occam_nn::federated::{ClientSplit, FedConfig};

fn fed(processes: bool) -> FedConfig {
    FedConfig {
        clients: 2,
        rounds: 1,
        local_epochs: 1,
        mu: 0.0,
        split: ClientSplit::Iid,
        stragglers: 0.0,
        drop_stragglers: false,
        sample_rate: 1.0,
        processes,
    }
}

#[test]
fn a_client_that_exits_before_connecting_stops_the_run_naming_it() {
    let d = dataset("pima_indians_diabetes.csv", None);
    let m = |processes| Mlp {
        hidden: Some(vec![4]),
        federated: Some(fed(processes)),
        ..Mlp::default()
    };
    // nothing registered yet in this test binary
    let e = m(true).fit(&d).err().unwrap().to_string();
    assert!(
        e.contains("fed_processes") && e.contains("registered no client command"),
        "{e}"
    );
    occam::fedproc::register_client("/bin/false".into(), Vec::new());
    let e = m(true).fit(&d).err().unwrap().to_string();
    assert!(
        e.contains("fed_processes") && e.contains("exited before connecting"),
        "{e}"
    );
    // the clients in this process are unaffected
    assert!(m(false).fit(&d).is_ok());
}
