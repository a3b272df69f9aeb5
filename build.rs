//! Builds the tile catalog (`tiles/*.toml`) and the MapLibre styles (`styles/*.json`) into the
//! binary, so `diachinh serve` runs from any directory; `--tiles-dir` and `--styles-dir` override
//! them. Writes `$OUT_DIR/bundled.rs`: one `include_str!` per file, so an edited file rebuilds.

use std::fmt::Write;
use std::path::PathBuf;

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let mut out = String::new();
    for (name, dir, ext) in [("TILES", "tiles", "toml"), ("STYLES", "styles", "json")] {
        println!("cargo:rerun-if-changed={dir}");
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap_or_else(|e| panic!("cannot read {dir}/: {e}"))
            .map(|e| e.expect("a directory entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == ext))
            .collect();
        files.sort();
        writeln!(out, "pub const {name}: &[(&str, &str)] = &[").unwrap();
        for f in files {
            let stem = f.file_stem().expect("a file name").to_string_lossy().into_owned();
            writeln!(out, "    ({stem:?}, include_str!({:?})),", f.display().to_string()).unwrap();
        }
        writeln!(out, "];").unwrap();
    }
    let target = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("bundled.rs");
    std::fs::write(target, out).expect("cannot write bundled.rs");
}
