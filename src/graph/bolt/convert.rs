//! Values between bingraph and Bolt: parameters out, rows, nodes, paths back,
//! and the column names of a `RETURN`.

use super::*;

/// A label or relationship type as a Cypher identifier: backquoted, with
/// backquotes inside doubled, so names from an import file cannot change the
/// statement they are spliced into (values always go as parameters).
pub(super) fn quoted(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

pub(super) fn build(query: &str, params: &Params) -> Query {
    let mut q = Query::new(query.to_string());
    for (k, v) in params {
        q = q.param(k, to_bolt(v));
    }
    q
}

pub(super) fn params_map(p: &Params) -> BoltType {
    to_bolt(&Value::Map(p.clone()))
}

pub(super) fn to_rows(columns: &[String], rows: Vec<neo4rs::Row>) -> Result<Rows, GraphError> {
    let mut out = Rows {
        columns: columns.to_vec(),
        rows: Vec::with_capacity(rows.len()),
    };
    let mut first = true;
    for row in rows {
        let mut values: HashMap<String, BoltType> = row
            .to_strict()
            .map_err(|e| GraphError::Backend(format!("reading a bolt row: {e}")))?;
        if first {
            // Names the query text did not give, in name order.
            let mut extra: Vec<String> = values
                .keys()
                .filter(|k| !out.columns.contains(k))
                .cloned()
                .collect();
            extra.sort();
            out.columns.retain(|c| values.contains_key(c));
            out.columns.extend(extra);
            first = false;
        }
        out.rows.push(
            out.columns
                .iter()
                .map(|c| values.remove(c).map_or(Value::Null, from_bolt))
                .collect(),
        );
    }
    Ok(out)
}

/// The column names of the last RETURN of a query, as Cypher names them:
/// the alias after AS, else the expression's text.
pub fn return_columns(query: &str) -> Vec<String> {
    let upper = query.to_ascii_uppercase();
    let Some(start) = find_last_keyword(&upper, "RETURN") else {
        return Vec::new();
    };
    let mut body = &query[start + "RETURN".len()..];
    // Cut at ORDER BY / SKIP / LIMIT / UNION at depth 0.
    let body_upper = body.to_ascii_uppercase();
    for kw in ["ORDER BY", "SKIP", "LIMIT", "UNION"] {
        if let Some(i) = find_last_keyword(&body_upper, kw) {
            body = &body[..i.min(body.len())];
        }
    }
    let body = body.trim();
    let body = body
        .strip_prefix("DISTINCT ")
        .or_else(|| body.strip_prefix("distinct "))
        .unwrap_or(body);
    split_top_level(body)
        .into_iter()
        .map(|item| {
            let item = item.trim();
            let upper = item.to_ascii_uppercase();
            match find_last_keyword(&upper, "AS") {
                Some(i) => item[i + 2..].trim().trim_matches('`').to_string(),
                None => item.to_string(),
            }
        })
        .filter(|c| !c.is_empty() && c != "*")
        .collect()
}

/// The byte offset of the last `kw` that stands as a word outside brackets
/// and quotes.
pub(super) fn find_last_keyword(upper: &str, kw: &str) -> Option<usize> {
    let bytes = upper.as_bytes();
    let mut depth = 0i32;
    let mut quote: Option<u8> = None;
    let mut found = None;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        match c {
            b'\'' | b'"' | b'`' => quote = Some(c),
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            _ if depth == 0 && upper[i..].starts_with(kw) => {
                let before_ok =
                    i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
                let end = i + kw.len();
                let after_ok = end >= bytes.len()
                    || !(bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_');
                if before_ok && after_ok {
                    found = Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    found
}

pub(super) fn split_top_level(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None, 0);
    for (i, c) in s.char_indices() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' | '`' => quote = Some(c),
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

pub(super) fn to_bolt(v: &Value) -> BoltType {
    match v {
        Value::Null => BoltType::Null(neo4rs::BoltNull),
        Value::Bool(b) => BoltType::from(*b),
        Value::Int(i) => BoltType::from(*i),
        Value::Float(f) => BoltType::from(*f),
        Value::String(s) => BoltType::from(s.as_str()),
        Value::List(l) => {
            let mut list = neo4rs::BoltList::with_capacity(l.len());
            for i in l {
                list.push(to_bolt(i));
            }
            BoltType::List(list)
        }
        Value::Map(m) => {
            let mut map = neo4rs::BoltMap::with_capacity(m.len());
            for (k, v) in m {
                map.put(neo4rs::BoltString::new(k), to_bolt(v));
            }
            BoltType::Map(map)
        }
        // Graph values are results, never parameters; pass their properties.
        Value::Node(n) => to_bolt(&Value::Map(n.properties.clone())),
        Value::Relationship(r) => to_bolt(&Value::Map(r.properties.clone())),
        Value::Path(_) => BoltType::Null(neo4rs::BoltNull),
    }
}

pub(super) fn props(m: neo4rs::BoltMap) -> BTreeMap<String, Value> {
    m.value
        .into_iter()
        .map(|(k, v)| (k.value, from_bolt(v)))
        .collect()
}

pub(super) fn node(n: neo4rs::BoltNode) -> Node {
    Node {
        id: n.id.value.to_string(),
        labels: n
            .labels
            .value
            .into_iter()
            .filter_map(|l| match l {
                BoltType::String(s) => Some(s.value),
                _ => None,
            })
            .collect(),
        properties: props(n.properties),
    }
}

pub(super) fn from_bolt(b: BoltType) -> Value {
    match b {
        BoltType::Null(_) => Value::Null,
        BoltType::Boolean(b) => Value::Bool(b.value),
        BoltType::Integer(i) => Value::Int(i.value),
        BoltType::Float(f) => Value::Float(f.value),
        BoltType::String(s) => Value::String(s.value),
        BoltType::List(l) => Value::List(l.value.into_iter().map(from_bolt).collect()),
        BoltType::Map(m) => Value::Map(props(m)),
        BoltType::Node(n) => Value::Node(Box::new(node(n))),
        BoltType::Relation(r) => Value::Relationship(Box::new(Relationship {
            id: r.id.value.to_string(),
            rel_type: r.typ.value,
            start: r.start_node_id.value.to_string(),
            end: r.end_node_id.value.to_string(),
            properties: props(r.properties),
        })),
        BoltType::UnboundedRelation(r) => Value::Relationship(Box::new(Relationship {
            id: r.id.value.to_string(),
            rel_type: r.typ.value,
            start: String::new(),
            end: String::new(),
            properties: props(r.properties),
        })),
        BoltType::Path(p) => Value::Path(Box::new(path(p))),
        BoltType::Bytes(b) => Value::String(hex::encode(b.value)),
        other => Value::String(format!("{other:?}")),
    }
}

/// A Bolt path (nodes, unbound relationships, and an index walk) as the
/// sequence of nodes and directed relationships along it.
pub(super) fn path(p: neo4rs::BoltPath) -> Path {
    let nodes: Vec<Node> = p.nodes().into_iter().map(node).collect();
    let rels = p.rels();
    let idx: Vec<i64> = p.indices().into_iter().map(|i| i.value).collect();
    let mut seq = vec![nodes.first().cloned()];
    let mut out_rels = Vec::new();
    let mut prev = 0usize;
    for pair in idx.chunks(2) {
        let (r, n) = (pair[0], pair.get(1).copied().unwrap_or(0).max(0) as usize);
        let Some(rel) = rels.get(r.unsigned_abs() as usize - 1) else {
            break;
        };
        let (a, b) = (nodes.get(prev), nodes.get(n));
        let (start, end) = if r > 0 { (a, b) } else { (b, a) };
        out_rels.push(Relationship {
            id: rel.id.value.to_string(),
            rel_type: rel.typ.value.clone(),
            start: start.map(|x| x.id.clone()).unwrap_or_default(),
            end: end.map(|x| x.id.clone()).unwrap_or_default(),
            properties: props(rel.properties.clone()),
        });
        seq.push(nodes.get(n).cloned());
        prev = n;
    }
    Path {
        nodes: seq.into_iter().flatten().collect(),
        relationships: out_rels,
    }
}
