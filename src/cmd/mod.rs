//! Offline command-line tools, one file each.

pub mod alerts;
pub mod cluster;
pub mod enrich;
pub mod extract;
pub mod sources;

use std::io::{BufRead, Write};
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{Map, Value};

/// Read JSON lines from FILE (or `-` for stdin) and write one JSON line per
/// non-blank input line: `f(object, line_number)`, or `{"line": N, "error":
/// …}` when the line is not a JSON object or `f` fails. One bad line never
/// stops the rest.
pub(crate) fn map_json_lines(
    input: &Path,
    mut f: impl FnMut(Map<String, Value>, usize) -> Result<Value, String>,
) -> Result<()> {
    let reader: Box<dyn BufRead> = if input == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(std::fs::File::open(input).with_context(|| input.display().to_string())?))
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (n, line) in reader.split(b'\n').enumerate() {
        let line = line?;
        let line = String::from_utf8_lossy(&line);
        if line.trim().is_empty() {
            continue;
        }
        let value = match serde_json::from_str::<Value>(&line) {
            Ok(Value::Object(obj)) => f(obj, n + 1).unwrap_or_else(|e| serde_json::json!({"line": n + 1, "error": e})),
            Ok(_) => serde_json::json!({"line": n + 1, "error": "expected a JSON object"}),
            Err(e) => serde_json::json!({"line": n + 1, "error": e.to_string()}),
        };
        serde_json::to_writer(&mut out, &value)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

/// The first of `names` that holds a non-blank string.
pub(crate) fn str_field<'a>(obj: &'a Map<String, Value>, names: &[&str]) -> Option<&'a str> {
    names.iter().find_map(|n| obj.get(*n).and_then(Value::as_str)).filter(|s| !s.trim().is_empty())
}
