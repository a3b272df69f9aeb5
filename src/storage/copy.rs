//! Rows for PostgreSQL's binary `COPY ... FROM STDIN`, the fast path for bulk loads: no text to
//! parse on the server, and geometries go as the EWKB PostGIS reads directly.

use geozero::wkb::{WkbDialect, WkbWriter};
use geozero::{CoordDimensions, GeozeroGeometry};
use sqlx::PgConnection;
use sqlx::postgres::PgCopyIn;

/// Streams `items` through `statement` (a `COPY ... FROM STDIN (FORMAT binary)`), `row` writing
/// each one's fields.
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

/// A binary `COPY ... FROM STDIN` written a batch at a time, for rows that are still being
/// computed.
pub struct CopyWriter<'c> {
    copy: PgCopyIn<&'c mut PgConnection>,
    rows: CopyRows,
}

impl<'c> CopyWriter<'c> {
    pub async fn begin(conn: &'c mut PgConnection, statement: &str) -> Result<CopyWriter<'c>, sqlx::Error> {
        let mut rows = CopyRows::default();
        // The signature, no flags, no header extension.
        rows.buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
        rows.buf.extend_from_slice(&[0; 8]);
        Ok(CopyWriter { copy: conn.copy_in_raw(statement).await?, rows })
    }

    /// Writes `items`, `row` writing each one's fields; sends whenever a megabyte is ready. The
    /// buffer is kept from one send to the next: grown afresh each time, its pages were 11% of a
    /// parcel import's client time, zeroed by the kernel.
    pub async fn write<T>(
        &mut self,
        items: impl IntoIterator<Item = T>,
        mut row: impl FnMut(&mut CopyRows, T),
    ) -> Result<(), sqlx::Error> {
        const CHUNK: usize = 1 << 20;
        for item in items {
            self.rows.begin_row();
            row(&mut self.rows, item);
            self.rows.end_row();
            if self.rows.buf.len() >= CHUNK {
                self.copy.send(&self.rows.buf[..]).await?;
                self.rows.buf.clear();
            }
        }
        Ok(())
    }

    /// Sends what is left and the trailer, and ends the COPY; the number of rows it loaded.
    pub async fn finish(mut self) -> Result<u64, sqlx::Error> {
        self.rows.buf.extend_from_slice(&(-1i16).to_be_bytes());
        self.copy.send(&self.rows.buf[..]).await?;
        self.copy.finish().await
    }

    /// Ends the COPY without loading anything; the transaction is then aborted.
    pub async fn abort(self, why: &str) -> Result<(), sqlx::Error> {
        self.copy.abort(why).await
    }
}

/// Rows in the binary COPY format: a field count, then each field's length and bytes in the
/// type's binary form (`-1` for NULL).
#[derive(Default)]
pub struct CopyRows {
    buf: Vec<u8>,
    /// Where the current row's field count goes, and how many fields it has so far.
    row_start: usize,
    fields: i16,
}

/// `text`'s type OID, for the elements of a `text[]`.
const TEXT_OID: i32 = 25;

impl CopyRows {
    pub fn text(&mut self, v: Option<&str>) -> &mut Self {
        self.field(v.map(str::as_bytes))
    }

    pub fn int4(&mut self, v: Option<i32>) -> &mut Self {
        self.field(v.map(i32::to_be_bytes).as_ref().map(|b| &b[..]))
    }

    pub fn int8(&mut self, v: Option<i64>) -> &mut Self {
        self.field(v.map(i64::to_be_bytes).as_ref().map(|b| &b[..]))
    }

    pub fn float8(&mut self, v: Option<f64>) -> &mut Self {
        self.field(v.map(f64::to_be_bytes).as_ref().map(|b| &b[..]))
    }

    /// A one-dimensional `text[]` without NULLs.
    pub fn text_array<'a>(&mut self, items: impl IntoIterator<Item = &'a str>) -> &mut Self {
        let items: Vec<&str> = items.into_iter().collect();
        let mut a = Vec::with_capacity(20 + items.iter().map(|i| 4 + i.len()).sum::<usize>());
        for n in [1, 0, TEXT_OID, items.len() as i32, 1] {
            // dimensions, has NULLs, element type, length, lower bound
            a.extend_from_slice(&n.to_be_bytes());
        }
        for item in items {
            a.extend_from_slice(&(item.len() as i32).to_be_bytes());
            a.extend_from_slice(item.as_bytes());
        }
        self.field(Some(&a))
    }

    /// A geometry as EWKB with its SRID, written in place.
    pub fn geometry(&mut self, g: &geo::Geometry, srid: i32) -> &mut Self {
        self.fields += 1;
        let at = self.buf.len();
        self.buf.extend_from_slice(&0i32.to_be_bytes());
        let mut wkb =
            WkbWriter::with_opts(&mut self.buf, WkbDialect::Ewkb, CoordDimensions::xy(), Some(srid), Vec::new());
        g.process_geom(&mut wkb).expect("geo geometries always encode");
        let len = (self.buf.len() - at - 4) as i32;
        self.buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
        self
    }

    fn field(&mut self, bytes: Option<&[u8]>) -> &mut Self {
        self.fields += 1;
        match bytes {
            None => self.buf.extend_from_slice(&(-1i32).to_be_bytes()),
            Some(b) => {
                self.buf.extend_from_slice(&(b.len() as i32).to_be_bytes());
                self.buf.extend_from_slice(b);
            }
        }
        self
    }

    fn begin_row(&mut self) {
        self.row_start = self.buf.len();
        self.fields = 0;
        self.buf.extend_from_slice(&0i16.to_be_bytes());
    }

    fn end_row(&mut self) {
        self.buf[self.row_start..self.row_start + 2].copy_from_slice(&self.fields.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn writes_fields_in_the_binary_copy_format() {
        let mut r = CopyRows::default();
        r.begin_row();
        r.text(Some("ab")).text(None).int4(Some(7)).text_array(["x"]);
        r.end_row();
        let mut want = vec![0, 4, 0, 0, 0, 2, b'a', b'b', 255, 255, 255, 255, 0, 0, 0, 4, 0, 0, 0, 7];
        want.extend_from_slice(&[0, 0, 0, 25, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 25, 0, 0, 0, 1, 0, 0, 0, 1]);
        want.extend_from_slice(&[0, 0, 0, 1, b'x']);
        assert_eq!(r.buf, want);
    }

    #[test]
    fn writes_a_geometry_as_the_ewkb_postgis_reads() {
        let g = geo::Geometry::Polygon(polygon![(x: 105.8, y: 21.0), (x: 105.9, y: 21.0), (x: 105.9, y: 21.1)]);
        let mut r = CopyRows::default();
        r.begin_row();
        r.int4(Some(1)).geometry(&g, 4326).int4(None);
        r.end_row();
        let ewkb = geozero::ToWkb::to_ewkb(&g, CoordDimensions::xy(), Some(4326)).unwrap();
        let mut want = vec![0, 3, 0, 0, 0, 4, 0, 0, 0, 1];
        want.extend_from_slice(&(ewkb.len() as i32).to_be_bytes());
        want.extend_from_slice(&ewkb);
        want.extend_from_slice(&[255, 255, 255, 255]);
        assert_eq!(r.buf, want);
    }
}
