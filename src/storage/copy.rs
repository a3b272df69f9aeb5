//! Rows for PostgreSQL's `COPY ... FROM STDIN` text format, the fast path for bulk loads.

use std::fmt::Write;

use geozero::{CoordDimensions, ToWkb};
use sqlx::PgConnection;
use sqlx::postgres::PgCopyIn;

/// Streams `items` through `COPY ... FROM STDIN`, `row` writing each one's fields.
pub async fn copy_in<T>(
    conn: &mut PgConnection,
    statement: &str,
    items: impl IntoIterator<Item = T>,
    row: impl FnMut(&mut CopyRows, T),
) -> Result<u64, sqlx::Error> {
    let mut copy = CopyWriter::begin(conn, statement).await?;
    copy.write(items, row).await?;
    copy.finish().await
}

/// A `COPY ... FROM STDIN` written a batch at a time, for rows that are still being computed.
pub struct CopyWriter<'c> {
    copy: PgCopyIn<&'c mut PgConnection>,
    rows: CopyRows,
}

impl<'c> CopyWriter<'c> {
    pub async fn begin(conn: &'c mut PgConnection, statement: &str) -> Result<CopyWriter<'c>, sqlx::Error> {
        Ok(CopyWriter { copy: conn.copy_in_raw(statement).await?, rows: CopyRows::default() })
    }

    /// Writes `items`, `row` writing each one's fields; sends whenever a megabyte is ready.
    pub async fn write<T>(
        &mut self,
        items: impl IntoIterator<Item = T>,
        mut row: impl FnMut(&mut CopyRows, T),
    ) -> Result<(), sqlx::Error> {
        const CHUNK: usize = 1 << 20;
        for item in items {
            row(&mut self.rows, item);
            self.rows.end_row();
            if self.rows.len() >= CHUNK {
                self.copy.send(self.rows.take().into_bytes()).await?;
            }
        }
        Ok(())
    }

    /// Sends what is left and ends the COPY; the number of rows it loaded.
    pub async fn finish(mut self) -> Result<u64, sqlx::Error> {
        if !self.rows.is_empty() {
            self.copy.send(self.rows.take().into_bytes()).await?;
        }
        self.copy.finish().await
    }

    /// Ends the COPY without loading anything; the transaction is then aborted.
    pub async fn abort(self, why: &str) -> Result<(), sqlx::Error> {
        self.copy.abort(why).await
    }
}

#[derive(Default)]
pub struct CopyRows {
    buf: String,
    in_row: bool,
}

impl CopyRows {
    pub fn text(&mut self, v: Option<&str>) -> &mut Self {
        self.sep();
        match v {
            None => self.buf.push_str("\\N"),
            Some(s) => escape_into(&mut self.buf, s),
        }
        self
    }

    pub fn num(&mut self, v: Option<impl std::fmt::Display>) -> &mut Self {
        self.sep();
        match v {
            None => self.buf.push_str("\\N"),
            Some(n) => write!(self.buf, "{n}").expect("writing to a String"),
        }
        self
    }

    /// A `text[]` value.
    pub fn array<'a>(&mut self, items: impl IntoIterator<Item = &'a str>) -> &mut Self {
        let mut lit = String::from("{");
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                lit.push(',');
            }
            lit.push('"');
            for c in item.chars() {
                if c == '"' || c == '\\' {
                    lit.push('\\');
                }
                lit.push(c);
            }
            lit.push('"');
        }
        lit.push('}');
        self.text(Some(&lit))
    }

    /// A geometry as hex EWKB with its SRID.
    pub fn geometry(&mut self, g: &geo::Geometry, srid: i32) -> &mut Self {
        self.sep();
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let wkb = g.to_ewkb(CoordDimensions::xy(), Some(srid)).expect("geo geometries always encode");
        self.buf.reserve(wkb.len() * 2);
        for b in wkb {
            self.buf.push(HEX[usize::from(b >> 4)] as char);
            self.buf.push(HEX[usize::from(b & 15)] as char);
        }
        self
    }

    pub fn end_row(&mut self) {
        self.buf.push('\n');
        self.in_row = false;
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The complete rows written so far.
    pub fn take(&mut self) -> String {
        std::mem::take(&mut self.buf)
    }

    fn sep(&mut self) {
        if self.in_row {
            self.buf.push('\t');
        }
        self.in_row = true;
    }
}

fn escape_into(buf: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => buf.push_str("\\\\"),
            '\t' => buf.push_str("\\t"),
            '\n' => buf.push_str("\\n"),
            '\r' => buf.push_str("\\r"),
            c => buf.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_arrays() {
        let mut r = CopyRows::default();
        r.text(Some("a\tb\\c")).text(None).array(["x\"y", "z"]).num(Some(1.5));
        r.end_row();
        assert_eq!(r.take(), "a\\tb\\\\c\t\\N\t{\"x\\\\\"y\",\"z\"}\t1.5\n");
        r.geometry(&geo::Geometry::Point(geo::Point::new(1.0, 2.0)), 4326);
        assert_eq!(r.take(), "0101000020e6100000000000000000f03f0000000000000040");
    }
}
