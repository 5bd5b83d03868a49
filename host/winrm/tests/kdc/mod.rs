//! A throwaway MIT Kerberos realm for tests: database, a user (with pre-authentication,
//! which sspi requires), a service principal `HTTP/<host>` exported to a keytab, and
//! `krb5kdc -n` on a free loopback port, all in a temporary directory (no root, nothing
//! under /etc). Stopped by its PID when dropped. Without the MIT binaries the tests skip
//! with a message, except under CI=true, where that is a failure.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const REALM: &str = "STIGPACK.TEST";
pub const SERVICE_HOST: &str = "winrm.stigpack.test";
pub const USER: &str = "alice";
pub const PASSWORD: &str = "Kerb-Pass-2026!";

pub struct Kdc {
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub krb5_conf: PathBuf,
    pub keytab: PathBuf,
    /// How long creating the realm and starting the KDC took.
    pub startup: Duration,
    child: Child,
}

fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/bin".into(), "/sbin".into()])
        .map(|d| d.join(name))
        .find(|p| p.exists())
}

/// `None` (with a message) when the MIT KDC is not installed; a panic in CI.
pub fn binaries() -> Option<[PathBuf; 3]> {
    let found = ["kdb5_util", "kadmin.local", "krb5kdc"].map(find);
    if let [Some(a), Some(b), Some(c)] = found {
        return Some([a, b, c]);
    }
    let msg =
        "MIT Kerberos KDC not installed (apt-get install krb5-kdc krb5-admin-server krb5-user)";
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{msg} — required in CI");
    }
    eprintln!("SKIP: {msg}");
    None
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Kdc {
    /// Starts a realm, or returns `None` when the tests must skip.
    pub fn start() -> Option<Kdc> {
        let [kdb5_util, kadmin, krb5kdc] = binaries()?;
        let t0 = Instant::now();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let port = free_port();
        let krb5_conf = d.join("krb5.conf");
        let kdc_conf = d.join("kdc.conf");
        let keytab = d.join("http.keytab");
        std::fs::write(
            &krb5_conf,
            format!(
                "[libdefaults]\n    default_realm = {REALM}\n    dns_lookup_kdc = false\n    \
                 dns_lookup_realm = false\n    dns_canonicalize_hostname = false\n    rdns = false\n    \
                 udp_preference_limit = 1\n\n[realms]\n    {REALM} = {{\n        kdc = 127.0.0.1:{port}\n    }}\n\n\
                 [domain_realm]\n    .stigpack.test = {REALM}\n    stigpack.test = {REALM}\n"
            ),
        )
        .unwrap();
        std::fs::write(
            &kdc_conf,
            format!(
                "[kdcdefaults]\n    kdc_listen = 127.0.0.1:{port}\n    kdc_tcp_listen = 127.0.0.1:{port}\n\n\
                 [realms]\n    {REALM} = {{\n        database_name = {db}\n        key_stash_file = {stash}\n        \
                 acl_file = {acl}\n        kdc_listen = 127.0.0.1:{port}\n        kdc_tcp_listen = 127.0.0.1:{port}\n        \
                 supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal\n        \
                 max_life = 1h\n    }}\n\n[logging]\n    kdc = FILE:{log}\n",
                db = d.join("principal").display(),
                stash = d.join("stash").display(),
                acl = d.join("kadm5.acl").display(),
                log = d.join("kdc.log").display(),
            ),
        )
        .unwrap();
        std::fs::write(d.join("kadm5.acl"), "").unwrap();
        let env = |c: &mut Command| {
            c.env("KRB5_CONFIG", &krb5_conf)
                .env("KRB5_KDC_PROFILE", &kdc_conf)
                .env("KRB5CCNAME", format!("FILE:{}", d.join("ccache").display()))
                .env("KRB5_KTNAME", d.join("none.keytab"))
                .env("KRB5_CLIENT_KTNAME", d.join("none.keytab"))
                .stdin(Stdio::null());
        };
        let mut c = Command::new(&kdb5_util);
        env(&mut c);
        run(
            c.args(["create", "-s", "-r", REALM, "-P", "throwaway-master-key"]),
            "kdb5_util create",
        );
        for q in [
            format!("addprinc -pw {PASSWORD} +requires_preauth {USER}"),
            format!("addprinc -randkey HTTP/{SERVICE_HOST}"),
            format!("ktadd -k {} HTTP/{SERVICE_HOST}", keytab.display()),
        ] {
            let mut c = Command::new(&kadmin);
            env(&mut c);
            run(c.args(["-r", REALM, "-q", &q]), &q);
        }
        let mut c = Command::new(&krb5kdc);
        env(&mut c);
        let child = c
            .args(["-n", "-r", REALM])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut kdc = Kdc {
            dir,
            port,
            krb5_conf,
            keytab,
            startup: Duration::ZERO,
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "krb5kdc did not listen on 127.0.0.1:{port}: {}",
                std::fs::read_to_string(kdc.dir.path().join("kdc.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        kdc.startup = t0.elapsed();
        Some(kdc)
    }

    /// `kinit` the user into a credential cache in the realm's directory (for peers that
    /// take their ticket from a cache, like pywinrm); returns the cache path.
    pub fn kinit(&self) -> PathBuf {
        let cache = self.dir.path().join("ccache");
        let kinit = find("kinit").expect("kinit (krb5-user) not installed");
        let mut child = Command::new(kinit)
            .env("KRB5_CONFIG", &self.krb5_conf)
            .env("KRB5CCNAME", format!("FILE:{}", cache.display()))
            .arg(format!("{USER}@{REALM}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            writeln!(stdin, "{PASSWORD}").unwrap();
        }
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "kinit: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        cache
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Kdc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The venv's Python if it imports `modules`; `None` (with a message) when not, a panic
/// in CI.
pub fn python_with(modules: &str) -> Option<PathBuf> {
    let p = match std::env::var_os("STIGPACK_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python"),
    };
    let ok = Command::new(&p)
        .args(["-c", &format!("import {modules}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        return Some(p);
    }
    let msg = format!(
        "Python with {modules} not available at {} (scripts/setup.sh installs it)",
        p.display()
    );
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{msg} — required in CI");
    }
    eprintln!("SKIP: {msg}");
    None
}

/// An HTTPS acceptor that checks channel binding (`tests/peers/kerberos_cb_peer.py`,
/// python-gssapi over MIT), with a leaf certificate for 127.0.0.1 issued by a throwaway
/// CA (the openssl CLI). `right`: it binds its own certificate; `wrong`: a made-up one.
pub struct CbPeer {
    child: Child,
    pub port: u16,
    /// The CA the client must trust.
    pub ca: PathBuf,
    lines: std::io::Lines<std::io::BufReader<std::process::ChildStdout>>,
}

impl CbPeer {
    pub fn start(kdc: &Kdc, python: &Path, mode: &str) -> CbPeer {
        use std::io::BufRead;
        let d = kdc.path().join(format!("tls-{mode}"));
        std::fs::create_dir_all(&d).unwrap();
        let ssl = |args: &[&str], what: &str| {
            run(Command::new("openssl").current_dir(&d).args(args), what);
        };
        ssl(
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=stigpack test CA",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
            ],
            "openssl CA",
        );
        ssl(
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=127.0.0.1",
                "-keyout",
                "leaf.key",
                "-out",
                "leaf.csr",
            ],
            "openssl CSR",
        );
        std::fs::write(
            d.join("leaf.ext"),
            "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        ssl(
            &[
                "x509",
                "-req",
                "-in",
                "leaf.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-sha256",
                "-extfile",
                "leaf.ext",
                "-out",
                "leaf.pem",
            ],
            "openssl sign",
        );
        let mut child = Command::new(python)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/peers/kerberos_cb_peer.py"
            ))
            .arg(format!("HTTP@{SERVICE_HOST}"))
            .arg(d.join("leaf.pem"))
            .arg(d.join("leaf.key"))
            .arg(mode)
            .env("KRB5_CONFIG", &kdc.krb5_conf)
            .env("KRB5_KTNAME", &kdc.keytab)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let port = lines.next().unwrap().unwrap().trim().parse().unwrap();
        CbPeer {
            child,
            port,
            ca: d.join("ca.pem"),
            lines,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("https://127.0.0.1:{}/wsman", self.port)
    }

    /// Stops the peer; what it printed after the port.
    pub fn finish(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.lines.by_ref().map_while(Result::ok).collect()
    }
}

/// What a client's status call against a [`CbPeer`] must have led to: with the right
/// binding MIT accepted alice (and the plaintext SOAP that follows got its 400); with the
/// wrong one MIT refused the AP-REQ for its channel bindings.
pub fn assert_binding_verdict(mode: &str, seen: &[String], client_error: &str) {
    let first = seen.first().map(String::as_str).unwrap_or_default();
    if mode == "right" {
        assert_eq!(
            first,
            format!("AUTH {USER}@{REALM}"),
            "{seen:?} / client: {client_error}"
        );
        assert!(client_error.contains("HTTP 400"), "{client_error}");
    } else {
        assert!(
            first.starts_with("REJECT") && first.to_lowercase().contains("channel binding"),
            "{seen:?} / client: {client_error}"
        );
    }
}
