//! Graph walks with an explicit stack.
//!
//! Designs can be long chains (a 100,000-component flow is a hostile-input
//! test), so no walk may recurse once per node: the main thread's stack
//! holds only some tens of thousands of frames.

/// Depth-first postorder of the nodes `0..n`: every node after the nodes
/// it reaches, except along a cycle, where the node met again while still
/// open is skipped. Roots are taken in index order and `successors(v, out)`
/// appends v's successors to `out` in the order they are to be visited; the
/// result is what the recursive
/// `visit(v) { if seen[v] return; seen[v] = true; for s in succ(v) visit(s); push(v) }`
/// gives, without its recursion.
pub fn postorder(n: usize, mut successors: impl FnMut(usize, &mut Vec<usize>)) -> Vec<usize> {
    let mut seen = vec![false; n];
    let mut order = Vec::with_capacity(n);
    // The successors of every open node, one after the other; each frame
    // is (node, start of its successors, next one to try, their end).
    let mut pending: Vec<usize> = Vec::new();
    let mut frames: Vec<(usize, usize, usize, usize)> = Vec::new();
    for root in 0..n {
        if seen[root] {
            continue;
        }
        seen[root] = true;
        let start = pending.len();
        successors(root, &mut pending);
        frames.push((root, start, start, pending.len()));
        while let Some(frame) = frames.last_mut() {
            let (v, start, next, end) = *frame;
            if next == end {
                frames.pop();
                pending.truncate(start);
                order.push(v);
                continue;
            }
            frame.2 += 1;
            let s = pending[next];
            if s >= n || seen[s] {
                continue;
            }
            seen[s] = true;
            let start = pending.len();
            successors(s, &mut pending);
            frames.push((s, start, start, pending.len()));
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::postorder;

    fn recursive(succ: &[Vec<usize>]) -> Vec<usize> {
        fn visit(v: usize, succ: &[Vec<usize>], seen: &mut [bool], out: &mut Vec<usize>) {
            if seen[v] {
                return;
            }
            seen[v] = true;
            for &s in &succ[v] {
                visit(s, succ, seen, out);
            }
            out.push(v);
        }
        let mut seen = vec![false; succ.len()];
        let mut out = Vec::new();
        for v in 0..succ.len() {
            visit(v, succ, &mut seen, &mut out);
        }
        out
    }

    #[test]
    fn matches_the_recursive_walk() {
        let graphs: Vec<Vec<Vec<usize>>> = vec![
            vec![],
            vec![vec![]],
            vec![vec![1], vec![2], vec![]],
            vec![vec![], vec![0], vec![1]],
            // A diamond, a cycle, a self-loop and a node reached twice.
            vec![
                vec![1, 2],
                vec![3],
                vec![3, 1],
                vec![],
                vec![4, 5],
                vec![4],
                vec![0, 3],
            ],
            vec![vec![1], vec![2], vec![0], vec![2, 1]],
        ];
        for g in &graphs {
            let walked = postorder(g.len(), |v, out| out.extend(&g[v]));
            assert_eq!(walked, recursive(g), "{g:?}");
        }
    }

    #[test]
    fn a_chain_of_a_million_nodes_does_not_overflow_the_stack() {
        let n = 1_000_000;
        let order = postorder(n, |v, out| {
            if v + 1 < n {
                out.push(v + 1);
            }
        });
        assert_eq!(order.len(), n);
        assert_eq!(order[0], n - 1);
        assert_eq!(order[n - 1], 0);
    }
}
