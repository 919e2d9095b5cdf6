//! The crate's layering, checked by reading its sources: a module may name its own layer and the layers
//! below it, never one above, and the files of one directory do not name each other in a cycle.
//!
//! Layers, bottom up: `error` and `chunk` (plain data), `json`, `framing`, `decode`, `merge`, and the
//! bindings in `python` on top. A file's layer is its top-level module; what it names is every
//! `crate::<module>` path outside comments. Within a directory, `super::<sibling>` paths make the graph
//! that must be acyclic (`mod.rs`, which declares the siblings, is left out). No twin: the Python side's
//! layering is its own.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The layers, bottom up; a layer may use those before it.
const LAYERS: [&[&str]; 6] = [
    &["error", "chunk"],
    &["json"],
    &["framing"],
    &["decode"],
    &["merge"],
    &["python"],
];

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("the source directory is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a source file without its comments (line comments are all this crate uses).
fn code(path: &Path) -> String {
    let text = fs::read_to_string(path).expect("a source file is readable");
    text.lines()
        .map(|line| line.find("//").map_or(line, |at| &line[..at]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first path segment of everything named after each `prefix` in `code` (`prefix` not itself preceded
/// by a path): `a` for `prefix a::b`, and `a` and `c` for `prefix {a::b, c}`.
fn named_after<'a>(code: &'a str, prefix: &str) -> Vec<&'a str> {
    let ident = |text: &'a str| {
        let text = text.trim_start();
        let end = text
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(text.len());
        &text[..end]
    };
    let mut out = Vec::new();
    for (at, _) in code.match_indices(prefix) {
        if code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let rest = &code[at + prefix.len()..];
        match rest.strip_prefix('{') {
            Some(list) => {
                let list = &list[..list.find('}').unwrap_or(list.len())];
                out.extend(list.split(',').map(ident));
            }
            None => out.push(ident(rest)),
        }
    }
    out.retain(|name| !name.is_empty());
    out
}

/// (top-level module, file stem) of a source path under `rust/`.
fn place(root: &Path, path: &Path) -> (String, String) {
    let relative = path.strip_prefix(root).expect("under rust/");
    let top = relative.iter().next().expect("a path").to_string_lossy();
    let stem = path.file_stem().expect("a file name").to_string_lossy().into_owned();
    (top.trim_end_matches(".rs").to_owned(), stem)
}

fn has_cycle(graph: &BTreeMap<String, Vec<String>>) -> Option<String> {
    fn visit(node: &str, graph: &BTreeMap<String, Vec<String>>, path: &mut Vec<String>) -> Option<String> {
        if let Some(at) = path.iter().position(|n| n == node) {
            return Some(format!("{} -> {node}", path[at..].join(" -> ")));
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    graph.keys().find_map(|node| visit(node, graph, &mut Vec::new()))
}

#[test]
fn no_module_names_a_layer_above_its_own_and_no_directory_has_a_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("rust");
    let mut files = Vec::new();
    sources(&root, &mut files);
    let mut problems = Vec::new();
    let mut graphs: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for path in &files {
        let (top, stem) = place(&root, path);
        let Some(own) = rank(&top) else { continue };
        let code = code(path);
        for named in named_after(&code, "crate::") {
            match rank(named) {
                Some(r) if r < own || named == top => {}
                Some(_) => problems.push(format!("{}: {top} names crate::{named}", path.display())),
                None => {}
            }
        }
        if path.parent() == Some(root.as_path()) || stem == "mod" {
            continue;
        }
        let siblings = graphs.entry(top.clone()).or_default();
        let mut names: Vec<String> = named_after(&code, "super::").into_iter().map(str::to_owned).collect();
        names.retain(|name| root.join(&top).join(format!("{name}.rs")).exists() && *name != stem);
        names.sort();
        names.dedup();
        siblings.insert(stem, names);
    }
    for (dir, graph) in &graphs {
        if let Some(cycle) = has_cycle(graph) {
            problems.push(format!("{dir}/: {cycle}"));
        }
    }
    assert!(problems.is_empty(), "layering broken:\n{}", problems.join("\n"));
    assert!(
        graphs.contains_key("decode") && graphs.contains_key("python"),
        "the sources were read"
    );
}
