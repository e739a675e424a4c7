//! Prints the extraction of one page as JSON: a debugging aid.
//!
//! ```text
//! cargo run --release -p newsflow-extract --example inspect -- PAGE.html[.gz] [URL]
//! ```

use flate2::read::GzDecoder;
use std::io::Read;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: inspect PAGE.html[.gz] [URL]");
        std::process::exit(2);
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    };
    let mut raw = Vec::new();
    let html = if path.ends_with(".gz") && GzDecoder::new(&bytes[..]).read_to_end(&mut raw).is_ok() {
        String::from_utf8_lossy(&raw).into_owned()
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let opts = newsflow_extract::Options { url: args.next(), ..Default::default() };
    match newsflow_extract::extract(&html, &opts) {
        Ok(a) => println!("{}", serde_json::to_string_pretty(&a).unwrap_or_default()),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
