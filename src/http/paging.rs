//! Links between pages, built one way for every endpoint that pages: the request's own
//! parameters in a stable order, the paging ones replaced, every value URL-encoded.

/// `base?…`: the pairs of `query` except those named in `replaced`, sorted, then `set` in order.
pub fn page_url<'a>(
    base: &str,
    query: impl IntoIterator<Item = (&'a String, &'a String)>,
    replaced: &[&str],
    set: &[(&str, String)],
) -> String {
    let mut pairs: Vec<(&str, &str)> =
        query.into_iter().map(|(k, v)| (k.as_str(), v.as_str())).filter(|(k, _)| !replaced.contains(k)).collect();
    pairs.sort();
    pairs.extend(set.iter().map(|(k, v)| (*k, v.as_str())));
    let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    format!("{base}?{query}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn the_paging_parameters_are_replaced_and_the_rest_kept_in_order() {
        let q: HashMap<String, String> = [("bbox", "1,2,3,4"), ("after", "9"), ("f", "json"), ("limit", "5")]
            .map(|(k, v)| (k.into(), v.into()))
            .into();
        assert_eq!(
            page_url("/x", &q, &["after", "limit"], &[("limit", "5".into()), ("after", "12 b".into())]),
            "/x?bbox=1%2C2%2C3%2C4&f=json&limit=5&after=12+b"
        );
    }
}
