//! Shared by the service's tests: the real `baton serve` started on 127.0.0.1 with an ephemeral
//! port, an HTTP client, tokens, and a real PostgreSQL server started from Debian's packages.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `baton serve`, killed when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    /// Starts the service on `dir` (and `database`), waiting for its address on stdout.
    pub fn start(dir: &Path, database: Option<&str>) -> Server {
        Server::start_with(dir, database, &[], &[])
    }

    /// As [`Server::start`], with more arguments and environment variables.
    pub fn start_with(
        dir: &Path,
        database: Option<&str>,
        args: &[&str],
        envs: &[(&str, &str)],
    ) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_baton"));
        cmd.envs(envs.iter().copied());
        cmd.args([
            "serve",
            dir.to_str().expect("utf8"),
            "--listen",
            "127.0.0.1:0",
        ]);
        cmd.args(args);
        if let Some(db) = database {
            cmd.args(["--database", db]);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(if std::env::var_os("BATON_TEST_SERVER_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .expect("baton serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            for _ in lines {}
        });
        let line = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("baton serve prints its address");
        let base = line
            .strip_prefix("listening on ")
            .expect("listening on …")
            .to_string();
        Server { child, base }
    }

    /// Kills it at once (SIGKILL).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Asks it to stop (SIGTERM) and waits.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().expect("wait")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A token of `scope` for the store of `dir` (and `database`).
pub fn token(dir: &Path, database: Option<&str>, scope: &str, origins: &[&str]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_baton"));
    cmd.args([
        "serve",
        "token",
        "create",
        dir.to_str().expect("utf8"),
        "--scope",
        scope,
    ]);
    for o in origins {
        cmd.args(["--origin", o]);
    }
    if let Some(db) = database {
        cmd.args(["--database", db]);
    }
    let out = cmd.output().expect("token create");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf8")
        .trim()
        .to_string()
}

/// An answer: status, headers we look at, body.
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub retry_after: Option<String>,
    pub allow_origin: Option<String>,
    pub allow_headers: Option<String>,
    pub etag: Option<String>,
    pub bytes: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// A blocking HTTP client that returns every status as an answer.
pub struct Client {
    agent: ureq::Agent,
    base: String,
}

impl Client {
    pub fn new(base: &str) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        Client {
            agent,
            base: base.to_string(),
        }
    }

    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Answer {
        let url = format!("{}{path}", self.base);
        let mut req = ureq::http::Request::builder().method(method).uri(&url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let result = match body {
            Some(b) => self.agent.run(req.body(b.to_string()).expect("request")),
            None => self.agent.run(req.body(()).expect("request")),
        };
        let mut resp = result.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let retry_after = header("retry-after");
        let allow_origin = header("access-control-allow-origin");
        let allow_headers = header("access-control-allow-headers");
        let etag = header("etag");
        let status = resp.status().as_u16();
        let bytes = resp.body_mut().read_to_vec().unwrap_or_default();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        Answer {
            status,
            body,
            retry_after,
            allow_origin,
            allow_headers,
            etag,
            bytes,
        }
    }

    pub fn get(&self, path: &str, token: &str) -> Answer {
        let auth = format!("Bearer {token}");
        self.send("GET", path, &[("authorization", &auth)], None)
    }

    pub fn post(&self, path: &str, token: &str, body: &str) -> Answer {
        let auth = format!("Bearer {token}");
        self.send(
            "POST",
            path,
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            Some(body),
        )
    }
}

/// A copy of a workspace folder (the store's file goes into it).
pub fn workspace_copy(from: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    copy_dir(from, dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else if entry.file_name() != "baton.db"
            && !entry.file_name().to_string_lossy().starts_with("baton.db-")
        {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs the `baton` binary.
pub fn baton(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(args)
        .output()
        .expect("baton runs")
}

/// A PostgreSQL server from Debian's packages in a scratch folder, stopped when dropped.
pub struct Postgres {
    pub url: String,
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_root: bool,
}

fn pg_bin() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .filter(|p| p.join("postgres").exists())
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    versions.pop().expect(
        "PostgreSQL is not installed (/usr/lib/postgresql/*/bin/postgres): the store's tests run against a real server; install Debian's `postgresql` package (.ci/run does)",
    )
}

impl Postgres {
    /// initdb, start on a free port, create a database.
    pub fn start() -> Postgres {
        let bin = pg_bin();
        let dir = tempfile::Builder::new()
            .prefix("baton-pg")
            .tempdir_in("/tmp")
            .expect("tmp");
        let as_root = unsafe_is_root();
        let data = dir.path().join("data");
        if as_root {
            // PostgreSQL refuses to run as root: the `postgres` user the package made runs it.
            run(Command::new("chown").args(["-R", "postgres", dir.path().to_str().expect("utf8")]));
        }
        let port = free_port();
        let pg = |tool: &str| -> Command {
            if as_root {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(bin.join(tool));
                c
            } else {
                Command::new(bin.join(tool))
            }
        };
        run(pg("initdb").args([
            "-D",
            data.to_str().expect("utf8"),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        ]));
        let log = dir.path().join("log");
        run(pg("pg_ctl").args([
            "-D",
            data.to_str().expect("utf8"),
            "-l",
            log.to_str().expect("utf8"),
            "-o",
            &format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=on",
                dir.path().display()
            ),
            "-w",
            "start",
        ]));
        run(pg("createdb").args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            "postgres",
            "baton",
        ]));
        Postgres {
            url: format!("postgres://postgres@127.0.0.1:{port}/baton"),
            dir,
            bin,
            as_root,
        }
    }

    /// A fresh database on the same server.
    pub fn database(&self, name: &str) -> String {
        let port = self
            .url
            .rsplit(':')
            .next()
            .and_then(|p| p.split('/').next())
            .expect("port")
            .to_string();
        run(Command::new(self.bin.join("createdb")).args([
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-U",
            "postgres",
            name,
        ]));
        format!("postgres://postgres@127.0.0.1:{port}/{name}")
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let mut c = if self.as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"])
                .arg(self.bin.join("pg_ctl"));
            c
        } else {
            Command::new(self.bin.join("pg_ctl"))
        };
        let _ = c
            .args(["-D", data.to_str().unwrap_or(""), "-m", "immediate", "stop"])
            .output();
    }
}

fn unsafe_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Waits until `f` holds (bounded).
pub fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let began = Instant::now();
    while !f() {
        assert!(
            began.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
