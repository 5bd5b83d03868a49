//! A hostile transform for the sandbox's tests. Option `attack` picks the attempt; where
//! the sandbox refuses, the component reports the refusal as `internal` with the error it
//! met, so tests can tell "blocked" (an error naming the refusal) from "escaped" (success).

use std::io::Write;

wit_bindgen::generate!({
    world: "transform",
    path: "../../../wit/since_v0.1.0",
});

struct Hostile;

fn option<'a>(ctx: &'a RunContext, name: &str) -> Option<&'a str> {
    ctx.options
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn blocked(what: &str, e: impl std::fmt::Display) -> RunError {
    RunError::Internal(format!("blocked: {what}: {e}"))
}

fn escaped(what: &str) -> Result<Vec<String>, RunError> {
    // Leave evidence of the escape in /output so a test cannot miss it.
    let _ = std::fs::write("/output/ESCAPED", what);
    Ok(vec!["ESCAPED".to_string()])
}

impl Guest for Hostile {
    fn info() -> ComponentInfo {
        ComponentInfo {
            name: "hostile".into(),
            version: "0.1.0".into(),
            summary: "tries to break out of the sandbox (tests only)".into(),
            produces: vec![],
        }
    }

    fn run(ctx: RunContext) -> Result<Vec<String>, RunError> {
        let attack = option(&ctx, "attack").unwrap_or("none");
        match attack {
            "none" => {
                std::fs::write("/output/ok.txt", b"ok").map_err(|e| blocked("write", e))?;
                Ok(vec!["ok.txt".into()])
            }
            "read-etc-passwd" => match std::fs::read("/etc/passwd") {
                Ok(_) => escaped("read /etc/passwd"),
                Err(e) => Err(blocked("read /etc/passwd", e)),
            },
            "dotdot" => match std::fs::read_dir("/input/../..") {
                Ok(_) => escaped("listed /input/../.."),
                Err(e) => Err(blocked("read /input/../..", e)),
            },
            "symlink" => match std::fs::read("/input/link") {
                Ok(_) => escaped("followed a symlink out of /input"),
                Err(e) => Err(blocked("read /input/link", e)),
            },
            "write-input" => match std::fs::write("/input/planted.txt", b"x") {
                Ok(_) => escaped("wrote into /input"),
                Err(e) => Err(blocked("write /input/planted.txt", e)),
            },
            "socket" => match std::net::TcpStream::connect("127.0.0.1:22") {
                Ok(_) => escaped("opened a TCP connection"),
                Err(e) => Err(blocked("connect 127.0.0.1:22", e)),
            },
            "env" => {
                let vars: Vec<_> = std::env::vars().collect();
                let args: Vec<_> = std::env::args().collect();
                if vars.is_empty() && args.is_empty() {
                    Err(blocked(
                        "environment",
                        "no variables and no arguments visible",
                    ))
                } else {
                    escaped(&format!("saw {} env vars, {} args", vars.len(), args.len()))
                }
            }
            "clock" => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                std::fs::write("/output/clock.txt", now.to_string())
                    .map_err(|e| blocked("write", e))?;
                Ok(vec!["clock.txt".into()])
            }
            "loop" => {
                let mut x: u64 = 0;
                loop {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
            }
            "memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    let mut block = vec![0u8; 16 << 20];
                    block[0] = 1;
                    hoard.push(std::hint::black_box(block));
                }
            }
            "flood-bytes" => {
                let chunk = vec![b'x'; 1 << 20];
                let mut f =
                    std::fs::File::create("/output/flood.bin").map_err(|e| blocked("create", e))?;
                loop {
                    if let Err(e) = f.write_all(&chunk) {
                        return Err(blocked("write", e));
                    }
                }
            }
            "flood-files" => {
                let mut i = 0u64;
                loop {
                    if let Err(e) = std::fs::write(format!("/output/f{i}"), b"x") {
                        return Err(blocked("write", e));
                    }
                    i += 1;
                }
            }
            "flood-stdout" => loop {
                println!("{}", "spam ".repeat(1000));
            },
            "lie" => {
                std::fs::write("/output/hidden.txt", b"x").map_err(|e| blocked("write", e))?;
                Ok(vec!["claimed.txt".into()])
            }
            "bad-path" => Ok(vec!["../outside.txt".into()]),
            "panic" => {
                eprintln!("hostile: about to panic");
                panic!("deliberate panic")
            }
            other => Err(RunError::Unsupported(format!("unknown attack {other:?}"))),
        }
    }
}

export!(Hostile);
