//! The tile catalog and the styles as built into the binary (see `build.rs`), or as a directory
//! given instead holds them.

use std::path::Path;

mod files {
    include!(concat!(env!("OUT_DIR"), "/bundled.rs"));
}

/// One file of a kind: its name without extension, where it came from (for messages), its text.
pub struct File {
    pub stem: String,
    pub origin: String,
    pub text: String,
}

/// The files ending in `.{ext}` of `dir`, or, without one, those built in.
fn read(dir: Option<&Path>, ext: &str, builtin: &'static [(&str, &str)], what: &str) -> Result<Vec<File>, String> {
    let Some(dir) = dir else {
        return Ok(builtin
            .iter()
            .map(|(stem, text)| File {
                stem: (*stem).to_owned(),
                origin: format!("the built-in {what} ({stem}.{ext})"),
                text: (*text).to_owned(),
            })
            .collect());
    };
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read the {what} in {}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_none_or(|e| e != ext) {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let stem = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
        files.push(File { stem, origin: path.display().to_string(), text });
    }
    Ok(files)
}

/// The tile catalog's layer files (`*.toml`).
pub fn tiles(dir: Option<&Path>) -> Result<Vec<File>, String> {
    read(dir, "toml", files::TILES, "tile catalog")
}

/// The MapLibre styles (`*.json`).
pub fn styles(dir: Option<&Path>) -> Result<Vec<File>, String> {
    read(dir, "json", files::STYLES, "styles")
}
