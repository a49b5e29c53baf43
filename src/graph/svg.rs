//! A layered layout drawn as SVG, without Graphviz.
//!
//! Layers are longest paths from the sources (cycles through queues are
//! broken at back edges); each datacenter is a horizontal band, global
//! components a band of their own above; within a band's column, nodes are
//! ordered by the mean position of their callers (one barycentre sweep),
//! then by name, so the drawing is stable.

use super::{Diagram, Mark, xml_escape};
use std::fmt::Write;

const NODE_W: f64 = 176.0;
const NODE_H: f64 = 48.0;
const COL_W: f64 = 236.0;
const ROW_H: f64 = 66.0;
const MARGIN: f64 = 24.0;
const BAND_PAD: f64 = 26.0;

pub fn render(d: &Diagram) -> String {
    let n = d.nodes.len();
    let layer = layers(d);
    let bands = d.clusters.len() + 1;
    let band_of = |i: usize| d.nodes[i].cluster.map_or(0, |c| c + 1);
    let max_layer = layer.iter().copied().max().unwrap_or(0);

    // Order within each (band, layer) cell by caller barycentre.
    let mut y_rank = vec![0.0_f64; n];
    let mut cells: Vec<Vec<Vec<usize>>> = vec![vec![Vec::new(); max_layer + 1]; bands];
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| {
        layer[*a]
            .cmp(&layer[*b])
            .then(d.nodes[*a].id.cmp(&d.nodes[*b].id))
    });
    // Each node's incoming and outgoing edges, in edge order.
    let mut ins_of: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut outs_of: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (k, e) in d.edges.iter().enumerate() {
        ins_of[e.to].push(k);
        outs_of[e.from].push(k);
    }
    for &i in &order {
        let preds: Vec<f64> = ins_of[i]
            .iter()
            .map(|&k| &d.edges[k])
            .filter(|e| layer[e.from] < layer[i])
            .map(|e| y_rank[e.from])
            .collect();
        let bary = if preds.is_empty() {
            f64::MAX
        } else {
            preds.iter().sum::<f64>() / preds.len() as f64
        };
        let cell = &mut cells[band_of(i)][layer[i]];
        cell.push(i);
        y_rank[i] = bary;
        cell.sort_by(|a, b| {
            y_rank[*a]
                .total_cmp(&y_rank[*b])
                .then(d.nodes[*a].id.cmp(&d.nodes[*b].id))
        });
        for (pos, &m) in cell.iter().enumerate() {
            // Keep a usable rank for the next layer's barycentres.
            if y_rank[m] == f64::MAX || y_rank[m].is_nan() {
                y_rank[m] = pos as f64;
            }
        }
    }

    // Band geometry.
    let mut band_y = vec![0.0; bands];
    let mut band_h = vec![0.0; bands];
    let mut y = MARGIN + 28.0;
    for b in 0..bands {
        let rows = cells[b].iter().map(Vec::len).max().unwrap_or(0);
        if rows == 0 {
            band_y[b] = y;
            continue;
        }
        band_y[b] = y;
        band_h[b] = rows as f64 * ROW_H + BAND_PAD * 2.0 - (ROW_H - NODE_H);
        y += band_h[b] + 18.0;
    }
    let mut pos = vec![(0.0, 0.0); n];
    for b in 0..bands {
        for (l, cell) in cells[b].iter().enumerate() {
            for (r, &i) in cell.iter().enumerate() {
                pos[i] = (
                    MARGIN + 8.0 + l as f64 * COL_W,
                    band_y[b] + BAND_PAD + r as f64 * ROW_H,
                );
            }
        }
    }
    let marks: Vec<Mark> = {
        let mut m: Vec<Mark> = d
            .nodes
            .iter()
            .map(|n| n.mark)
            .filter(|m| *m != Mark::None)
            .collect();
        m.sort();
        m.dedup();
        m.reverse();
        m
    };
    let width = MARGIN * 2.0 + 16.0 + (max_layer as f64 + 1.0) * COL_W - (COL_W - NODE_W);
    let legend_h = if marks.is_empty() { 0.0 } else { 30.0 };
    let height = y + legend_h + MARGIN;

    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">"
    );
    let _ = writeln!(s, "<title>{}</title>", xml_escape(&d.title));
    s.push_str("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#868e96\"/></marker></defs>\n");
    let _ = writeln!(s, "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>");
    let _ = writeln!(
        s,
        "<text x=\"{MARGIN}\" y=\"{}\" font-size=\"16\" font-weight=\"bold\">{}</text>",
        MARGIN + 8.0,
        xml_escape(&d.title)
    );
    // Clusters.
    for (c, name) in d.clusters.iter().enumerate() {
        let b = c + 1;
        if band_h[b] == 0.0 {
            continue;
        }
        let _ = writeln!(
            s,
            "<g class=\"cluster\" data-datacenter=\"{0}\"><rect x=\"{1}\" y=\"{2:.1}\" width=\"{3:.1}\" height=\"{4:.1}\" rx=\"8\" fill=\"#f8f9fa\" stroke=\"#adb5bd\" stroke-dasharray=\"6 4\"/><text x=\"{5}\" y=\"{6:.1}\" fill=\"#495057\" font-weight=\"bold\">{0}</text></g>",
            xml_escape(name),
            MARGIN,
            band_y[b],
            width - 2.0 * MARGIN,
            band_h[b],
            MARGIN + 8.0,
            band_y[b] + 16.0
        );
    }
    // Edges first so nodes draw over them.
    // Ports: a node's incoming (and outgoing) edges spread along its side,
    // ordered by the other end's height, so edges and labels do not pile up.
    let mut in_port = vec![0.5; d.edges.len()];
    let mut out_port = vec![0.5; d.edges.len()];
    for v in 0..n {
        let mut ins = std::mem::take(&mut ins_of[v]);
        ins.sort_by(|a, b| {
            pos[d.edges[*a].from]
                .1
                .total_cmp(&pos[d.edges[*b].from].1)
                .then(a.cmp(b))
        });
        for (j, k) in ins.iter().enumerate() {
            in_port[*k] = (j as f64 + 1.0) / (ins.len() as f64 + 1.0);
        }
        let mut outs = std::mem::take(&mut outs_of[v]);
        outs.sort_by(|a, b| {
            pos[d.edges[*a].to]
                .1
                .total_cmp(&pos[d.edges[*b].to].1)
                .then(a.cmp(b))
        });
        for (j, k) in outs.iter().enumerate() {
            out_port[*k] = (j as f64 + 1.0) / (outs.len() as f64 + 1.0);
        }
    }
    s.push_str("<g class=\"edges\" fill=\"none\" stroke=\"#868e96\">\n");
    for (k, e) in d.edges.iter().enumerate() {
        let (ax, ay) = pos[e.from];
        let (bx, by) = pos[e.to];
        let (x1, y1) = (ax + NODE_W, ay + NODE_H * out_port[k]);
        let (x2, y2) = (bx, by + NODE_H * in_port[k]);
        let path = if x2 > x1 {
            let dx = (x2 - x1) / 2.0;
            format!(
                "M{x1:.1},{y1:.1} C{:.1},{y1:.1} {:.1},{y2:.1} {x2:.1},{y2:.1}",
                x1 + dx,
                x2 - dx
            )
        } else {
            // A back edge: loop below both nodes.
            let low = ay.max(by) + NODE_H + 14.0;
            format!(
                "M{x1:.1},{y1:.1} C{:.1},{low:.1} {:.1},{low:.1} {x2:.1},{y2:.1}",
                x1 + 40.0,
                x2 - 40.0
            )
        };
        let dash = if e.dashed {
            " stroke-dasharray=\"5 4\""
        } else {
            ""
        };
        let _ = writeln!(s, "<path d=\"{path}\"{dash} marker-end=\"url(#arrow)\"/>");
        if !e.label.is_empty() {
            // Beside the arrowhead: targets differ even when sources match,
            // so labels of one caller's edges do not pile up.
            let (mx, my) = if x2 > x1 {
                (x2 - 8.0, y2 - 3.0)
            } else {
                ((x1 + x2) / 2.0, y1 - 6.0)
            };
            let _ = writeln!(
                s,
                "<text x=\"{mx:.1}\" y=\"{my:.1}\" text-anchor=\"end\" fill=\"#495057\" stroke=\"none\" font-size=\"10\">{}</text>",
                xml_escape(&e.label)
            );
        }
    }
    s.push_str("</g>\n");
    for (i, node) in d.nodes.iter().enumerate() {
        let (x, y) = pos[i];
        let dc = node.cluster.map(|c| d.clusters[c].as_str()).unwrap_or("");
        let _ = writeln!(
            s,
            "<g class=\"node\" id=\"{id}\" data-component=\"{name}\" data-datacenter=\"{dc}\" data-kind=\"{kind}\"><rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{NODE_W}\" height=\"{NODE_H}\" rx=\"6\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{sw}\"/><text x=\"{tx:.1}\" y=\"{ty1:.1}\" text-anchor=\"middle\" font-weight=\"bold\">{name}</text><text x=\"{tx:.1}\" y=\"{ty2:.1}\" text-anchor=\"middle\" fill=\"#495057\" font-size=\"10\">{kind}{sep}{detail}</text></g>",
            id = xml_escape(&node.id),
            name = xml_escape(&node.name),
            dc = xml_escape(dc),
            kind = node.kind.as_str(),
            fill = node.mark.fill(),
            stroke = node.mark.stroke(),
            sw = if node.mark == Mark::None { 1.0 } else { 2.0 },
            tx = x + NODE_W / 2.0,
            ty1 = y + 20.0,
            ty2 = y + 36.0,
            sep = if node.detail.is_empty() { "" } else { " · " },
            detail = xml_escape(&node.detail),
        );
    }
    if !marks.is_empty() {
        let ly = y + 8.0;
        let mut lx = MARGIN;
        s.push_str("<g class=\"legend\">\n");
        for m in marks {
            let _ = writeln!(
                s,
                "<rect x=\"{lx:.1}\" y=\"{ly:.1}\" width=\"14\" height=\"14\" rx=\"3\" fill=\"{}\" stroke=\"{}\" stroke-width=\"2\"/><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                m.fill(),
                m.stroke(),
                lx + 20.0,
                ly + 11.0,
                m.legend()
            );
            lx += 40.0 + m.legend().len() as f64 * 7.0;
        }
        s.push_str("</g>\n");
    }
    s.push_str("</svg>\n");
    s
}

/// Longest-path layers, with back edges (found by DFS) ignored.
fn layers(d: &Diagram) -> Vec<usize> {
    let n = d.nodes.len();
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (k, e) in d.edges.iter().enumerate() {
        out[e.from].push(k);
    }
    // Iterative DFS marking back edges.
    let mut state = vec![0u8; n];
    let mut back = vec![false; d.edges.len()];
    let mut has_in = vec![false; n];
    for e in &d.edges {
        has_in[e.to] = true;
    }
    let mut roots: Vec<usize> = (0..n).filter(|i| !has_in[*i]).collect();
    roots.extend(0..n);
    for r in roots {
        if state[r] != 0 {
            continue;
        }
        let mut stack = vec![(r, 0usize)];
        state[r] = 1;
        while let Some((v, i)) = stack.pop() {
            if i < out[v].len() {
                stack.push((v, i + 1));
                let k = out[v][i];
                let w = d.edges[k].to;
                match state[w] {
                    0 => {
                        state[w] = 1;
                        stack.push((w, 0));
                    }
                    1 => back[k] = true,
                    _ => {}
                }
            } else {
                state[v] = 2;
            }
        }
    }
    // Kahn's order over forward edges.
    let mut indeg = vec![0usize; n];
    for (k, e) in d.edges.iter().enumerate() {
        if !back[k] {
            indeg[e.to] += 1;
        }
    }
    let mut layer = vec![0usize; n];
    let mut queue: std::collections::VecDeque<usize> = (0..n).filter(|i| indeg[*i] == 0).collect();
    while let Some(v) = queue.pop_front() {
        for &k in &out[v] {
            if back[k] {
                continue;
            }
            let w = d.edges[k].to;
            layer[w] = layer[w].max(layer[v] + 1);
            indeg[w] -= 1;
            if indeg[w] == 0 {
                queue.push_back(w);
            }
        }
    }
    layer
}
