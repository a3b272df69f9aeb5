//! Content codings the service stores its answers in, so that a file or a cached tile is
//! compressed once rather than on every response (tower-http's compression layer, which still
//! compresses what goes out without a coding, compresses each response anew: a dense cached
//! tile of 300 KB took 3.5 ms of CPU in brotli and 7.7 ms in gzip, 40 and 90 times its cost sent
//! as is).

use std::io::Write;

/// A content coding a response may be stored in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Br,
    Gzip,
}

/// How hard to compress: at the best ratio (files compressed once at start-up) or quickly (a
/// tile compressed when the first client asks for it, who waits for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effort {
    Best,
    Quick,
}

impl Coding {
    pub const ALL: [Coding; 2] = [Coding::Br, Coding::Gzip];

    /// Its place in `ALL`, for tables kept per coding.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Its name in `Content-Encoding` and `Accept-Encoding`.
    pub fn name(self) -> &'static str {
        match self {
            Coding::Br => "br",
            Coding::Gzip => "gzip",
        }
    }

    /// The coding a client prefers among those stored, from its `Accept-Encoding` values:
    /// brotli (smaller) before gzip, and neither when it refuses them (`;q=0`) or names neither.
    pub fn preferred<'a>(accept_encoding: impl IntoIterator<Item = &'a str>) -> Option<Coding> {
        let mut accepted = [false; 2];
        for item in accept_encoding.into_iter().flat_map(|v| v.split(',')) {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused =
                parts.any(|p| p.trim().strip_prefix("q=").is_some_and(|q| q.trim().parse::<f32>() == Ok(0.0)));
            if let Some(c) = Coding::ALL.into_iter().find(|c| name.eq_ignore_ascii_case(c.name())) {
                accepted[c.index()] = !refused;
            }
        }
        Coding::ALL.into_iter().find(|c| accepted[c.index()])
    }

    pub fn compress(self, data: &[u8], effort: Effort) -> Vec<u8> {
        const IN_MEMORY: &str = "compressing into memory cannot fail";
        match self {
            Coding::Br => {
                // Quality 4 is what tower-http and nginx use for on-the-fly brotli; 11 took
                // 1.1 s for MapLibre's megabyte (9: 80 ms, for 9% more bytes).
                let quality = if effort == Effort::Best { 11 } else { 4 };
                let params = brotli::enc::BrotliEncoderParams { quality, lgwin: 22, ..Default::default() };
                let mut out = Vec::with_capacity(data.len() / 3);
                brotli::BrotliCompress(&mut &data[..], &mut out, &params).expect(IN_MEMORY);
                out
            }
            Coding::Gzip => {
                let level =
                    if effort == Effort::Best { flate2::Compression::best() } else { flate2::Compression::default() };
                let mut out = flate2::write::GzEncoder::new(Vec::with_capacity(data.len() / 3), level);
                out.write_all(data).expect(IN_MEMORY);
                out.finish().expect(IN_MEMORY)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn a_client_gets_the_smaller_coding_it_accepts_and_none_it_refuses() {
        let preferred = |values: &[&str]| Coding::preferred(values.iter().copied());
        assert_eq!(preferred(&["gzip, deflate, br, zstd"]), Some(Coding::Br));
        assert_eq!(preferred(&["gzip;q=0.5, br;q=0"]), Some(Coding::Gzip));
        assert_eq!(preferred(&["deflate", "GZIP"]), Some(Coding::Gzip));
        assert_eq!(preferred(&["br;q=0, gzip;q=0.0"]), None);
        assert_eq!(preferred(&["identity"]), None);
        assert_eq!(preferred(&[]), None);
    }

    #[test]
    fn each_coding_decodes_to_what_was_compressed() {
        let data: Vec<u8> = (0..50_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        for effort in [Effort::Best, Effort::Quick] {
            let br = Coding::Br.compress(&data, effort);
            let mut back = Vec::new();
            brotli::Decompressor::new(&br[..], 4096).read_to_end(&mut back).unwrap();
            assert!(back == data && br.len() < data.len() / 4, "brotli {effort:?}: {} bytes", br.len());
            let gzip = Coding::Gzip.compress(&data, effort);
            let mut back = Vec::new();
            flate2::read::GzDecoder::new(&gzip[..]).read_to_end(&mut back).unwrap();
            assert!(back == data && gzip.len() < data.len() / 4, "gzip {effort:?}: {} bytes", gzip.len());
        }
    }
}
