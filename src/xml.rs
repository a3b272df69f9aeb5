//! A small element tree read with quick-xml, within limits, for the XML documents callers send
//! (FES filters, WFS transactions): local names, attributes, text, and where each element lies in
//! the source (OGR reads geometries from that slice).

use quick_xml::XmlVersion;
use quick_xml::events::Event;

/// How much a caller's document may hold before it is refused unread.
pub struct Limits {
    pub bytes: usize,
    pub depth: usize,
    pub nodes: usize,
}

/// An element: local name, attributes (local names), children, text, span in the source.
#[derive(Debug, Default)]
pub struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
    pub text: String,
    pub span: (usize, usize),
}

impl Node {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }
}

fn local(qname: &str) -> String {
    qname.rsplit(':').next().unwrap_or_default().to_owned()
}

/// The top-level elements of `xml` (`what` names the document in messages).
pub fn parse(xml: &str, what: &str, limits: &Limits) -> Result<Vec<Node>, String> {
    if xml.len() > limits.bytes {
        return Err(format!("{what} is {} bytes; at most {} are accepted", xml.len(), limits.bytes));
    }
    let bad = |e: &dyn std::fmt::Display| format!("{what} is not well-formed XML: {e}");
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<Node> = vec![Node::default()];
    let mut nodes = 0;
    loop {
        let start = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| bad(&e))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                nodes += 1;
                if stack.len() > limits.depth || nodes > limits.nodes {
                    return Err(format!(
                        "{what} is too large: at most {} levels and {} elements",
                        limits.depth, limits.nodes
                    ));
                }
                let attrs = e
                    .attributes()
                    .map(|a| {
                        let a = a.map_err(|e| bad(&e))?;
                        let v = a.normalized_value(XmlVersion::Implicit1_0).map_err(|e| bad(&e))?;
                        Ok((local(a.key.as_ref()), v.into_owned()))
                    })
                    .collect::<Result<_, String>>()?;
                let name = local(e.name().as_ref());
                let node = Node { name, attrs, span: (start, 0), ..Node::default() };
                if matches!(event, Event::Empty(_)) {
                    let mut node = node;
                    node.span.1 = reader.buffer_position() as usize;
                    stack.last_mut().expect("root").children.push(node);
                } else {
                    stack.push(node);
                }
            }
            Event::End(_) => {
                let mut node = stack.pop().expect("quick-xml checks nesting");
                node.span.1 = reader.buffer_position() as usize;
                stack.last_mut().ok_or_else(|| bad(&"unbalanced"))?.children.push(node);
            }
            Event::Text(t) => stack.last_mut().expect("root").text.push_str(&t.xml10_content()),
            Event::CData(t) => stack.last_mut().expect("root").text.push_str(&t.into_inner()),
            // Entities come apart from the text around them.
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().map_err(|e| bad(&e))? {
                    Some(c) => c.to_string(),
                    None => {
                        quick_xml::escape::unescape(&format!("&{};", r.into_inner())).map_err(|e| bad(&e))?.into_owned()
                    }
                };
                stack.last_mut().expect("root").text.push_str(&c);
            }
            // No DTD: no entity is ever defined, so none can expand or reach outside.
            Event::DocType(_) => return Err(format!("{what} may not declare a DTD (<!DOCTYPE …>)")),
            Event::Eof => break,
            _ => {}
        }
    }
    let root = stack.pop().filter(|_| stack.is_empty()).ok_or_else(|| bad(&"unclosed element"))?;
    Ok(root.children)
}
