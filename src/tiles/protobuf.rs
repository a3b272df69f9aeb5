//! The Mapbox Vector Tile 2.1 protobuf, written straight into the tile's bytes: a tile of
//! thousands of features builds no message structs and allocates per layer, not per feature.

use crate::index::value::Value;
use geozero::mvt::tile::GeomType;

const VARINT: u32 = 0;
const FIXED64: u32 = 1;
const LEN: u32 = 2;

fn varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

fn key(buf: &mut Vec<u8>, field: u32, wire: u32) {
    varint(buf, u64::from(field << 3 | wire));
}

fn bytes(buf: &mut Vec<u8>, field: u32, b: &[u8]) {
    key(buf, field, LEN);
    varint(buf, b.len() as u64);
    buf.extend_from_slice(b);
}

fn packed_len(values: &[u32]) -> usize {
    values.iter().map(|v| varint_len(u64::from(*v))).sum()
}

fn packed(buf: &mut Vec<u8>, field: u32, values: &[u32], len: usize) {
    key(buf, field, LEN);
    varint(buf, len as u64);
    for v in values {
        varint(buf, u64::from(*v));
    }
}

/// Appends one feature (Layer field 2) to a layer's features.
pub fn feature(buf: &mut Vec<u8>, id: u64, tags: &[u32], kind: GeomType, geometry: &[u32]) {
    let (tags_len, geometry_len) = (packed_len(tags), packed_len(geometry));
    let mut len = 1 + varint_len(id) + 1 + 1 + 1 + varint_len(geometry_len as u64) + geometry_len;
    if !tags.is_empty() {
        len += 1 + varint_len(tags_len as u64) + tags_len;
    }
    key(buf, 2, LEN);
    varint(buf, len as u64);
    key(buf, 1, VARINT);
    varint(buf, id);
    if !tags.is_empty() {
        packed(buf, 2, tags, tags_len);
    }
    key(buf, 3, VARINT);
    varint(buf, kind as u64);
    packed(buf, 4, geometry, geometry_len);
}

fn value(buf: &mut Vec<u8>, v: &Value) {
    let mut m = Vec::with_capacity(16);
    match v {
        Value::Str(s) => bytes(&mut m, 1, s.as_bytes()),
        Value::Double(d) => {
            key(&mut m, 3, FIXED64);
            m.extend_from_slice(&d.to_le_bytes());
        }
        Value::Sint(i) => {
            key(&mut m, 6, VARINT);
            varint(&mut m, ((i << 1) ^ (i >> 63)) as u64);
        }
        Value::Bool(b) => {
            key(&mut m, 7, VARINT);
            varint(&mut m, u64::from(*b));
        }
    }
    bytes(buf, 4, &m);
}

/// Appends a layer (Tile field 3) holding `features` (as [`feature`] wrote them).
pub fn layer(tile: &mut Vec<u8>, name: &str, features: &[u8], keys: &[String], values: &[&Value], extent: u32) {
    let mut rest = Vec::with_capacity(64 + keys.len() * 16 + values.len() * 24);
    bytes(&mut rest, 1, name.as_bytes());
    for k in keys {
        bytes(&mut rest, 3, k.as_bytes());
    }
    for v in values {
        value(&mut rest, v);
    }
    key(&mut rest, 5, VARINT);
    varint(&mut rest, u64::from(extent));
    key(&mut rest, 15, VARINT);
    varint(&mut rest, 2);
    key(tile, 3, LEN);
    varint(tile, (features.len() + rest.len()) as u64);
    tile.extend_from_slice(&rest[..]);
    tile.extend_from_slice(features);
}

#[cfg(test)]
mod tests {
    use super::*;
    use geozero::mvt::{Message, Tile, TileValue};

    #[test]
    fn what_is_written_decodes_as_the_protobuf_says() {
        let mut features = Vec::new();
        feature(&mut features, 300, &[0, 0, 1, 1], GeomType::Polygon, &[9, 40, 20, 26, 0, 20, 19, 0, 0, 19, 15]);
        feature(&mut features, 7, &[], GeomType::Point, &[9, 2, 2]);
        let values = [Value::Str("ODT".into()), Value::Double(229.6), Value::Sint(-3), Value::Bool(true)];
        let expected =
            [TileValue::Str("ODT".into()), TileValue::Double(229.6), TileValue::Sint(-3), TileValue::Bool(true)];
        let mut tile = Vec::new();
        layer(&mut tile, "parcels", &features, &["a".into(), "b".into()], &values.iter().collect::<Vec<_>>(), 4096);
        let t = Tile::decode(&tile[..]).unwrap();
        let l = &t.layers[0];
        assert_eq!(
            (l.name.as_str(), l.version, l.extent, l.keys.clone()),
            ("parcels", 2, Some(4096), vec!["a".into(), "b".into()])
        );
        assert_eq!(l.values.iter().map(|v| TileValue::try_from(v.clone()).unwrap()).collect::<Vec<_>>(), expected);
        assert_eq!((l.features[0].id, l.features[0].tags.clone()), (Some(300), vec![0, 0, 1, 1]));
        assert_eq!(l.features[0].geometry, vec![9, 40, 20, 26, 0, 20, 19, 0, 0, 19, 15]);
        assert_eq!((l.features[1].r#type, l.features[1].tags.len()), (Some(GeomType::Point as i32), 0));
        assert_eq!(varint_len(0), 1);
        assert_eq!(varint_len(127), 1);
        assert_eq!(varint_len(128), 2);
        assert_eq!(varint_len(u64::MAX), 10);
    }
}
