//! The SMSC simulator of tests/smsc (node, on the published `smpp` npm package, installed by
//! scripts/test): started on a free port, controlled over its loopback HTTP port.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running simulator; killed when dropped.
pub struct Smsc {
    child: Child,
    /// The SMPP port on 127.0.0.1.
    pub port: u16,
    control: u16,
}

impl Drop for Smsc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The account the simulator accepts.
pub const SYSTEM_ID: &str = "ecenter";
/// Its password.
pub const PASSWORD: &str = "secret";

/// Starts the simulator on a free port (or on `port`).
pub fn start_smsc() -> Smsc {
    start_smsc_on(0)
}

/// Starts the simulator on `port` (0: any free one).
pub fn start_smsc_on(port: u16) -> Smsc {
    start(port, &[])
}

/// Starts the simulator speaking SMPP over TLS with `cert` and `key` (PEM files).
pub fn start_smsc_tls(cert: &std::path::Path, key: &std::path::Path) -> Smsc {
    start(
        0,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    )
}

fn start(port: u16, extra: &[&str]) -> Smsc {
    let dir = format!(
        "{}/tests/smsc",
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into())
    );
    let mut child = Command::new("node")
        .arg(format!("{dir}/simulator.js"))
        .args(["--port", &port.to_string()])
        .args(["--system-id", SYSTEM_ID, "--password", PASSWORD])
        .args(extra)
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node runs the SMSC simulator (npm ci in tests/smsc: scripts/test does it)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ports: Value = serde_json::from_str(line.trim()).unwrap_or_else(|e| {
        panic!("the SMSC simulator did not start ({e}): {line:?}; its error is above")
    });
    Smsc {
        child,
        port: ports["smpp"].as_u64().unwrap() as u16,
        control: ports["control"].as_u64().unwrap() as u16,
    }
}

impl Smsc {
    fn http(&self, method: &str, path: &str, body: &Value) -> Value {
        let mut s = TcpStream::connect(("127.0.0.1", self.control)).unwrap();
        let body = body.to_string();
        write!(
            s,
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        let (_, json) = out.split_once("\r\n\r\n").expect("an HTTP answer");
        serde_json::from_str(json).unwrap()
    }

    /// Every reassembled message it received.
    pub fn messages(&self) -> Vec<Value> {
        self.http("GET", "/messages", &Value::Null)
            .as_array()
            .unwrap()
            .clone()
    }

    /// Its counters.
    pub fn stats(&self) -> Value {
        self.http("GET", "/stats", &Value::Null)
    }

    /// Merges `config` (see tests/smsc/simulator.js).
    pub fn configure(&self, config: Value) {
        self.http("POST", "/config", &config);
    }

    /// Drops every connection now.
    pub fn drop_connections(&self) {
        self.http("POST", "/drop", &Value::Null);
    }

    /// Stops listening and drops every connection.
    pub fn down(&self) {
        self.http("POST", "/down", &Value::Null);
    }

    /// Listens again on the same port.
    pub fn up(&self) {
        self.http("POST", "/up", &Value::Null);
    }

    /// Sends a receipt for `id` (any id, known or not) from a handset that got no SMS of the hub's
    /// (`10000`).
    pub fn receipt(&self, id: &str, stat: &str) {
        self.receipt_from(id, stat, "10000");
    }

    /// Sends a receipt for `id` as from `handset` (its `source_addr`; SMPP 3.4 §4.6.1).
    pub fn receipt_from(&self, id: &str, stat: &str, handset: &str) {
        self.http(
            "POST",
            "/receipt",
            &serde_json::json!({"id": id, "stat": stat, "dest": handset}),
        );
    }

    /// Sends any PDU (`command` as the npm smpp library names it, with `fields`; `command_id`
    /// overrides the id) and returns what the ESME answered: `{"response": null}` when it did not
    /// answer within 15 s (ample for an answer that is due; the simulator returns as soon as one
    /// comes), else the response's command name and `command_status`. For a PDU that must go
    /// unanswered, [`Smsc::send_pdu_waiting`] with a short wait.
    pub fn send_pdu(&self, command: &str, fields: Value, command_id: Option<u32>) -> Value {
        let mut body = serde_json::json!({"command": command, "fields": fields, "wait_ms": 15000});
        if let Some(id) = command_id {
            body["command_id"] = id.into();
        }
        self.http("POST", "/pdu", &body)
    }

    /// Like [`Smsc::send_pdu`], waiting up to `wait` for the answer (a receipt for an id the hub
    /// does not know is answered only after the hub's grace period for late submit answers).
    pub fn send_pdu_waiting(&self, command: &str, fields: Value, wait: Duration) -> Value {
        let body = serde_json::json!({"command": command, "fields": fields,
                                      "wait_ms": wait.as_millis()});
        self.http("POST", "/pdu", &body)
    }

    /// Sends a deliver_sm with the fields of `mo` (`source`, `text`, `esm_class`).
    pub fn http_mo(&self, mo: Value) {
        self.http("POST", "/mo", &mo);
    }

    /// Sends a handset's message (mobile-originated, esm_class 0) with `text` from `source`.
    pub fn mobile_originated(&self, source: &str, text: &str) {
        self.http(
            "POST",
            "/mo",
            &serde_json::json!({"source": source, "text": text}),
        );
    }

    /// Waits until `count` messages arrived (or panics after `secs` seconds).
    pub fn wait_messages(&self, count: usize, secs: u64) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let m = self.messages();
            if m.len() >= count {
                return m;
            }
            assert!(
                started.elapsed() < Duration::from_secs(secs),
                "the SMSC received {} of {count} messages: {m:?}",
                m.len()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
