//! The plugin side of the ABI: stdin in, stdout out, stderr as the log.

use std::io::{Read, Write};

use crate::{Description, Input, Verdict};

/// Reads the input on stdin, answers on stdout, and exits with status 1 (message on stderr) when
/// the input cannot be read or `evaluate` returns an error. Called by [`crate::plugin!`].
pub fn run(describe: fn() -> Description, evaluate: fn(&Input) -> Result<Verdict, String>) {
    let mut raw = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut raw) {
        fail(&format!("cannot read stdin: {e}"));
    }
    let input: Input = match serde_json::from_slice(&raw) {
        Ok(i) => i,
        Err(e) => fail(&format!("input is not a Baton ABI v1 document: {e}")),
    };
    let out = if input.describe {
        serde_json::to_vec(&describe())
    } else {
        match evaluate(&input) {
            Ok(v) => serde_json::to_vec(&v),
            Err(e) => fail(&e),
        }
    };
    match out {
        Ok(bytes) => {
            let mut stdout = std::io::stdout().lock();
            if stdout
                .write_all(&bytes)
                .and_then(|()| stdout.flush())
                .is_err()
            {
                std::process::exit(1);
            }
        }
        Err(e) => fail(&format!("cannot encode the answer: {e}")),
    }
}

fn fail(message: &str) -> ! {
    let _ = writeln!(std::io::stderr(), "{message}");
    std::process::exit(1)
}
