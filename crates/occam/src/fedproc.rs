//! Federated clients as separate OS processes over loopback TCP (`FedConfig::processes`).
//!
//! The server (the process that trains) listens on 127.0.0.1 at a port the system picks,
//! starts one client process per client with the command the running program registered
//! ([`register_client`]: the CLI registers `occam fed-client`, the Python package its own
//! interpreter), and gives each, in its environment, the address, its client number, a
//! session token and the thread count. A client connects, says hello with its number and
//! the token, receives its setup (the network spec, the client training config, the
//! federated settings, the seed and its own rows), then for each round it takes part in
//! receives the global network (safetensors bytes, batch-norm statistics included), runs
//! [`occam_nn::federated::local_round`] — the same function the in-process clients run —
//! and sends back its network, rows and loss. The server averages as in one process, so a
//! run with client processes equals the in-process run bit for bit (tests/fedproc.rs and
//! the CLI's federated test).
//!
//! Frames: a u32 little-endian length and that much JSON, then a u64 little-endian length
//! and that many bytes. Client failures (an exit, a closed socket, an error it reports)
//! stop the run with an error naming the client; the client processes are waited for or
//! killed when the run ends either way.

use crate::error::{Error, Result};
use occam_nn::federated::{
    self, ClientPool, ClientUpdate, FedConfig, Federated, InProcess, RoundHook,
};
use occam_nn::{Data, Features, Mat, MlpSpec, Net, TrainConfig};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How to start a client process of this program: a program and its arguments.
#[derive(Clone, Debug)]
pub struct ClientCommand {
    /// The executable.
    pub program: PathBuf,
    /// Its arguments, before nothing: the rest comes in the environment.
    pub args: Vec<String>,
}

static CLIENT: OnceLock<ClientCommand> = OnceLock::new();

/// Registers how this program starts a federated client process (once; later calls keep
/// the first).
pub fn register_client(program: PathBuf, args: Vec<String>) {
    let _ = CLIENT.set(ClientCommand { program, args });
}

/// Seconds a client process has to connect.
const CONNECT_SECONDS: u64 = 60;

fn io_err(what: String, source: std::io::Error) -> Error {
    Error::Io {
        path: PathBuf::from(what),
        source,
    }
}

fn proto(k: usize, detail: impl std::fmt::Display) -> Error {
    Error::param_err("fed_processes", format!("client {k}: {detail}"))
}

fn write_frame(s: &mut TcpStream, head: &Value, bin: &[u8]) -> std::io::Result<()> {
    let h = serde_json::to_vec(head).expect("a JSON value serializes");
    s.write_all(&(h.len() as u32).to_le_bytes())?;
    s.write_all(&h)?;
    s.write_all(&(bin.len() as u64).to_le_bytes())?;
    s.write_all(bin)?;
    s.flush()
}

fn read_frame(s: &mut TcpStream) -> std::io::Result<(Value, Vec<u8>)> {
    let mut n4 = [0u8; 4];
    s.read_exact(&mut n4)?;
    let mut h = vec![0u8; u32::from_le_bytes(n4) as usize];
    s.read_exact(&mut h)?;
    let mut n8 = [0u8; 8];
    s.read_exact(&mut n8)?;
    let mut bin = vec![0u8; u64::from_le_bytes(n8) as usize];
    s.read_exact(&mut bin)?;
    let head = serde_json::from_slice(&h)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    Ok((head, bin))
}

fn floats(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn unfloats(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn net_bytes(net: &Net<f32>) -> Result<Vec<u8>> {
    Ok(occam_nn::model::save_weights(net)?)
}

fn net_from(spec: &MlpSpec, bytes: &[u8]) -> Result<Net<f32>> {
    let mut net = Net::new(spec, 0);
    let tensors = occam_nn::tensors::decode::<f32>(bytes)?;
    occam_nn::tensors::load_net_tensors(&mut net, &tensors)?;
    Ok(net)
}

/// The client processes of one run, connected.
struct ProcessPool {
    spec: MlpSpec,
    children: Vec<Child>,
    streams: Vec<TcpStream>,
    rows: Vec<usize>,
    addr: String,
    /// The error that stopped a round, as the facade reports it.
    failed: Option<Error>,
}

impl ProcessPool {
    /// Starts one process per client of `data`, connects them and sends each its setup.
    fn start(
        cmd: &ClientCommand,
        spec: &MlpSpec,
        local: &TrainConfig,
        fed: &FedConfig,
        seed: u64,
        data: &[Data<f32>],
    ) -> Result<ProcessPool> {
        if data.iter().any(|d| !matches!(d.x, Features::Dense(_))) {
            return Err(Error::param_err(
                "fed_processes",
                "client processes take dense features only; run the clients in one process",
            ));
        }
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|e| io_err("federated server on 127.0.0.1".into(), e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| io_err("federated server on 127.0.0.1".into(), e))?
            .to_string();
        let token = format!(
            "{:016x}",
            occam_core::rng::Rng::new(seed ^ 0x70c3).next_u64()
        ) + &format!("{:x}", std::process::id());
        let mut pool = ProcessPool {
            spec: spec.clone(),
            children: Vec::new(),
            streams: Vec::new(),
            rows: data.iter().map(Data::rows).collect(),
            addr: addr.clone(),
            failed: None,
        };
        for k in 0..data.len() {
            let child = Command::new(&cmd.program)
                .args(&cmd.args)
                .env("OCCAM_FED_SERVER", &addr)
                .env("OCCAM_FED_CLIENT", k.to_string())
                .env("OCCAM_FED_TOKEN", &token)
                .env(
                    "OCCAM_FED_THREADS",
                    rayon::current_num_threads().to_string(),
                )
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .spawn()
                .map_err(|e| {
                    io_err(
                        format!("{} (federated client {k})", cmd.program.display()),
                        e,
                    )
                })?;
            pool.children.push(child);
        }
        // accept until every client said hello, watching for clients that exit first
        let mut slots: Vec<Option<TcpStream>> = (0..data.len()).map(|_| None).collect();
        listener
            .set_nonblocking(true)
            .map_err(|e| io_err(format!("federated server {addr}"), e))?;
        let deadline = Instant::now() + Duration::from_secs(CONNECT_SECONDS);
        while slots.iter().any(Option::is_none) {
            match listener.accept() {
                Ok((mut s, _)) => {
                    s.set_nonblocking(false)
                        .map_err(|e| io_err(format!("federated server {addr}"), e))?;
                    let _ = s.set_nodelay(true);
                    // a connection that says nothing is not one of ours: drop it after a while
                    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
                    let Ok((hello, _)) = read_frame(&mut s) else {
                        continue;
                    };
                    let _ = s.set_read_timeout(None);
                    let k = hello["hello"].as_u64().map(|k| k as usize);
                    match k {
                        Some(k) if k < slots.len() && hello["token"] == token.as_str() => {
                            slots[k] = Some(s)
                        }
                        _ => continue, // not one of ours
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    for (k, c) in pool.children.iter_mut().enumerate() {
                        if slots[k].is_none() {
                            if let Ok(Some(status)) = c.try_wait() {
                                return Err(proto(
                                    k,
                                    format!("exited before connecting ({status})"),
                                ));
                            }
                        }
                    }
                    if Instant::now() > deadline {
                        return Err(Error::param_err(
                            "fed_processes",
                            format!("the client processes did not connect to {addr} within {CONNECT_SECONDS} s"),
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => return Err(io_err(format!("federated server {addr}"), e)),
            }
        }
        pool.streams = slots
            .into_iter()
            .map(|s| s.expect("all connected"))
            .collect();
        for (k, d) in data.iter().enumerate() {
            let Features::Dense(x) = &d.x else {
                unreachable!("checked above: dense features only")
            };
            let head = json!({
                "spec": spec, "local": local, "fed": fed, "seed": seed, "client": k,
                "rows": x.rows, "cols": x.cols, "task": d.task, "outputs": d.outputs,
                "y_scale": d.y_scale,
            });
            let mut bin = floats(&x.data);
            bin.extend(floats(&d.y));
            write_frame(&mut pool.streams[k], &head, &bin).map_err(|e| pool.client_io(k, e))?;
        }
        Ok(pool)
    }

    /// Tells the clients to stop and waits for them (kills what does not stop in time).
    fn finish(&mut self) {
        for s in &mut self.streams {
            let _ = write_frame(s, &json!({"done": true}), &[]);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        for c in &mut self.children {
            while Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
        self.children.clear();
    }
}

impl Drop for ProcessPool {
    fn drop(&mut self) {
        self.finish();
    }
}

impl ClientPool<f32> for ProcessPool {
    fn round(
        &mut self,
        round: usize,
        global: &Net<f32>,
        taking_part: &[bool],
    ) -> occam_nn::error::Result<Vec<Option<ClientUpdate<f32>>>> {
        self.ask(round, global, taking_part).map_err(|e| {
            let msg = e.to_string();
            self.failed = Some(e);
            occam_nn::NnError::Callback(msg)
        })
    }
}

impl ProcessPool {
    /// One round: the global network to every taking-part client with rows, then their
    /// answers in client order.
    fn ask(
        &mut self,
        round: usize,
        global: &Net<f32>,
        taking_part: &[bool],
    ) -> Result<Vec<Option<ClientUpdate<f32>>>> {
        let bytes = net_bytes(global)?;
        let asked: Vec<usize> = (0..self.streams.len())
            .filter(|&k| taking_part[k] && self.rows[k] > 0)
            .collect();
        // every asked client works at once; the answers are read in client order
        for &k in &asked {
            write_frame(&mut self.streams[k], &json!({"round": round}), &bytes)
                .map_err(|e| self.client_io(k, e))?;
        }
        let mut out: Vec<Option<ClientUpdate<f32>>> =
            (0..self.streams.len()).map(|_| None).collect();
        for &k in &asked {
            let (head, bin) = read_frame(&mut self.streams[k]).map_err(|e| self.client_io(k, e))?;
            if let Some(msg) = head["error"].as_str() {
                return Err(proto(k, msg));
            }
            if head["dropped"].as_bool() == Some(true) {
                continue;
            }
            let loss = head["loss_bits"]
                .as_u64()
                .map(f64::from_bits)
                .ok_or_else(|| proto(k, "a reply without its loss"))?;
            out[k] = Some(ClientUpdate {
                net: net_from(&self.spec, &bin)?,
                rows: self.rows[k],
                loss,
            });
        }
        Ok(out)
    }

    /// An I/O error on client `k`'s connection, naming it.
    fn client_io(&self, k: usize, e: std::io::Error) -> Error {
        io_err(format!("federated client {k} at {}", self.addr), e)
    }
}

/// Trains `net` federated as `fed` says: the clients in this process, or with
/// `fed.processes` in client processes started by the registered command.
pub(crate) fn fit(
    net: Net<f32>,
    cfg: &TrainConfig,
    fed: &FedConfig,
    train: &Data<f32>,
    val: Option<&Data<f32>>,
    on_round: &mut RoundHook<'_, f32>,
) -> Result<Federated<f32>> {
    if !fed.processes {
        return Ok(federated::fit(net, cfg, fed, train, val, on_round)?);
    }
    fed.validate()?;
    let cmd = CLIENT.get().ok_or_else(|| {
        Error::param_err(
            "fed_processes",
            "this program registered no client command (the occam CLI and the Python package do)",
        )
    })?;
    let (parts, clients) = InProcess::new(train, cfg, fed)?;
    let mut pool =
        ProcessPool::start(cmd, &net.spec, &clients.local, fed, cfg.seed, &clients.data)?;
    let out = federated::fit_with(net, cfg, fed, &parts, val, on_round, &mut pool);
    pool.finish();
    match (out, pool.failed.take()) {
        (Ok(f), _) => Ok(f),
        (Err(_), Some(e)) => Err(e),
        (Err(e), None) => Err(e.into()),
    }
}

/// A client process's main: connects to the server its environment names, trains each round
/// it is asked to, and returns when the server says done.
pub fn serve() -> Result<()> {
    let env = |k: &str| {
        std::env::var(k).map_err(|_| {
            Error::param_err(
                "fed_processes",
                format!("{k} is not set: a federated client is started by the server"),
            )
        })
    };
    let (addr, token) = (env("OCCAM_FED_SERVER")?, env("OCCAM_FED_TOKEN")?);
    let k: usize = env("OCCAM_FED_CLIENT")?
        .parse()
        .map_err(|_| Error::param_err("fed_processes", "OCCAM_FED_CLIENT is not a number"))?;
    if let Some(n) = std::env::var("OCCAM_FED_THREADS")
        .ok()
        .and_then(|t| t.parse::<usize>().ok())
    {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global();
    }
    let io = |e| io_err(format!("federated server {addr}"), e);
    let mut s = TcpStream::connect(&addr).map_err(io)?;
    let _ = s.set_nodelay(true);
    write_frame(&mut s, &json!({"hello": k, "token": token}), &[]).map_err(io)?;
    let (setup, bin) = read_frame(&mut s).map_err(io)?;
    let field = |name: &str| -> Result<Value> {
        setup
            .get(name)
            .cloned()
            .ok_or_else(|| proto(k, format!("a setup without '{name}'")))
    };
    let spec: MlpSpec = serde_json::from_value(field("spec")?).map_err(|e| proto(k, e))?;
    let local: TrainConfig = serde_json::from_value(field("local")?).map_err(|e| proto(k, e))?;
    let fed: FedConfig = serde_json::from_value(field("fed")?).map_err(|e| proto(k, e))?;
    let seed = field("seed")?
        .as_u64()
        .ok_or_else(|| proto(k, "bad seed"))?;
    let (rows, cols) = (
        field("rows")?.as_u64().unwrap_or(0) as usize,
        field("cols")?.as_u64().unwrap_or(0) as usize,
    );
    let values = unfloats(&bin);
    if values.len() != rows * cols + rows {
        return Err(proto(k, "the setup's rows do not match its size"));
    }
    let data = Data {
        x: Features::Dense(Mat::from_vec(rows, cols, values[..rows * cols].to_vec())),
        y: values[rows * cols..].to_vec(),
        task: serde_json::from_value(field("task")?).map_err(|e| proto(k, e))?,
        outputs: field("outputs")?.as_u64().unwrap_or(1) as usize,
        y_scale: serde_json::from_value(field("y_scale")?).map_err(|e| proto(k, e))?,
    };
    loop {
        let (head, bin) = read_frame(&mut s).map_err(io)?;
        if head["done"].as_bool() == Some(true) {
            return Ok(());
        }
        let round = head["round"]
            .as_u64()
            .ok_or_else(|| proto(k, "a message that is neither a round nor done"))?;
        let reply = net_from(&spec, &bin).and_then(|global| {
            Ok(federated::local_round(
                &global,
                &local,
                &fed,
                seed,
                round as usize,
                k,
                &data,
            )?)
        });
        match reply {
            Ok(Some(u)) => {
                let head = json!({"rows": u.rows, "loss_bits": u.loss.to_bits()});
                write_frame(&mut s, &head, &net_bytes(&u.net)?).map_err(io)?;
            }
            Ok(None) => write_frame(&mut s, &json!({"dropped": true}), &[]).map_err(io)?,
            Err(e) => {
                write_frame(&mut s, &json!({"error": e.to_string()}), &[]).map_err(io)?;
                return Err(e);
            }
        }
    }
}
