//! A real SMTP server for tests: aiosmtpd (PyPI, installed by scripts/test) with the fault-injecting
//! handler of tests/python/smtp_faults.py, and a reader of what it stored.

use super::Succeeds;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// aiosmtpd delivering into a maildir; killed when dropped.
pub struct SmtpServer {
    child: Child,
    pub addr: SocketAddr,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Ports handed out below the kernel's ephemeral range (`ip_local_port_range`; Linux's default
/// starts at 32768), so that no `bind(…:0)` and no outgoing connection of any process can take one
/// between the moment a test picks it and the moment its server binds it (the race of asking the
/// kernel for port 0 and closing it again). Each test process starts at its own offset (nextest
/// runs every test in a process of its own) and walks the range; a port something already listens
/// on is skipped. Two processes could still meet on one port between the check and the bind, at
/// offsets that differ by the number of ports they took: far less likely than the kernel's reuse.
fn test_ports() -> std::ops::Range<u16> {
    let ephemeral_from = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32_768);
    ephemeral_from.saturating_sub(12_000).max(1_024)..ephemeral_from
}

/// A loopback port for a server a test is about to start (see [`test_ports`]).
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let ports = test_ports();
    let span = u32::from(ports.end - ports.start);
    let _ = NEXT.compare_exchange(
        u32::MAX,
        std::process::id().wrapping_mul(7_919) % span,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    for _ in 0..span {
        let offset = NEXT.fetch_add(1, Ordering::SeqCst) % span;
        let port = ports.start + u16::try_from(offset).unwrap();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in {ports:?} on 127.0.0.1");
}

/// aiosmtpd with the test handler of tests/python/smtp_faults.py (fails on request).
pub fn start_aiosmtpd(maildir: &Path) -> SmtpServer {
    start_aiosmtpd_on(maildir, free_port())
}

/// aiosmtpd on a chosen port (to bring a relay "back" where the hub expects it).
pub fn start_aiosmtpd_on(maildir: &Path, port: u16) -> SmtpServer {
    // Python's Maildir makes tmp/, new/ and cur/ only when the directory itself is new.
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    start_python_smtp_on("smtp_faults.py", port, &[maildir.to_str().unwrap()])
}

/// One of the aiosmtpd servers of tests/python on a free port: `script PORT args...`.
pub fn start_python_smtp(script: &str, args: &[&str]) -> SmtpServer {
    start_python_smtp_on(script, free_port(), args)
}

fn start_python_smtp_on(script: &str, port: u16, args: &[&str]) -> SmtpServer {
    let mut child = Command::new("python3")
        .arg(format!(
            "{}/tests/python/{script}",
            std::env::var("CARGO_MANIFEST_DIR")
                .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
        ))
        .arg(port.to_string())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("aiosmtpd is installed by scripts/test (pip install aiosmtpd)");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let started = Instant::now();
    while TcpStream::connect(addr).is_err() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("{script} exited at start-up ({status}); its error is above");
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{script} did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    SmtpServer { child, addr }
}

/// Every message in `maildir`, decoded by Python's email package.
pub fn received(maildir: &Path) -> Vec<serde_json::Value> {
    let script = r#"
import email.header, json, mailbox, sys
out = []
for m in mailbox.Maildir(sys.argv[1], factory=None, create=False):
    subject = str(email.header.make_header(email.header.decode_header(m['Subject'])))
    body = m.get_payload(decode=True).decode(m.get_content_charset() or 'utf-8')
    out.append({'subject': subject, 'message_id': m['Message-ID'], 'to': m['To'], 'body': body})
print(json.dumps(out, ensure_ascii=False))
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(maildir)
        .succeeds();
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}
