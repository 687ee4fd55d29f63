/**
 * An isolation forest (Liu, Ting and Zhou, 2008): random trees that split a random feature at a
 * random point until each sample stands alone; an anomaly is isolated in few splits. Seeded, so the
 * same vectors in the same order give the same forest. Pure and small: a forest of 100 trees of
 * 1,024 samples serializes to under a megabyte and scores a vector in about ten microseconds.
 */

export type Forest = {
  /** Samples each tree was grown on; the score's normalizer. */
  sampleSize: number;
  /**
   * Per tree, nodes in flat arrays: `feature[i]` (-1 for a leaf), `threshold[i]`, `left[i]`,
   * `right[i]`, `size[i]` (a leaf's samples), and `low[i]`..`high[i]` the range of the split
   * feature among the node's samples.
   */
  trees: Tree[];
  /** Each feature's median over the training vectors: the "ordinary" value factors are measured against. */
  medians: number[];
};

type Tree = {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  size: number[];
  low: number[];
  high: number[];
};

export type ForestOptions = { trees: number; sampleSize: number; seed: number };

// 1,024 samples a tree rather than the paper's 256: measured better on bench:anomaly's accounts
// with their own habits (offline, mean of 8 training draws: precision at k 0.773 at 512, 0.798 at
// 1,024 with 8,192 training transactions, 0.806 at 2,048 for a forest four times the size; at
// 1,024 about twice the nodes of 512: 840 KB serialized on bench:anomaly).
export const FOREST_OPTIONS: ForestOptions = { trees: 100, sampleSize: 1024, seed: 0x5eed };

/** mulberry32: a small seeded generator, so a training run reproduces exactly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The average path length of an unsuccessful search in a binary search tree of n nodes. */
export function averagePath(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + 0.5772156649) - (2 * (n - 1)) / n;
}

export function fitForest(vectors: number[][], options: ForestOptions = FOREST_OPTIONS): Forest {
  if (vectors.length === 0) throw new Error('fitForest: no vectors');
  const random = seededRandom(options.seed);
  const sampleSize = Math.min(options.sampleSize, vectors.length);
  const maxDepth = Math.ceil(Math.log2(Math.max(sampleSize, 2)));
  const trees: Forest['trees'] = [];
  for (let t = 0; t < options.trees; t++) {
    const sample = sampleWithoutReplacement(vectors.length, sampleSize, random).map((i) => vectors[i]!);
    const tree: Tree = { feature: [], threshold: [], left: [], right: [], size: [], low: [], high: [] };
    grow(tree, sample, 0, maxDepth, random);
    trees.push(tree);
  }
  return { sampleSize, trees, medians: medians(vectors) };
}

function sampleWithoutReplacement(n: number, k: number, random: () => number): number[] {
  const indexes = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (n - i));
    [indexes[i], indexes[j]] = [indexes[j]!, indexes[i]!];
  }
  return indexes.slice(0, k);
}

function grow(tree: Tree, rows: number[][], depth: number, maxDepth: number, random: () => number): number {
  const node = tree.feature.length;
  tree.feature.push(-1);
  tree.threshold.push(0);
  tree.left.push(-1);
  tree.right.push(-1);
  tree.size.push(rows.length);
  tree.low.push(0);
  tree.high.push(0);
  if (depth >= maxDepth || rows.length <= 1) return node;
  // Only features that still vary in this node can split it.
  const width = rows[0]!.length;
  const varying: { feature: number; min: number; max: number }[] = [];
  for (let f = 0; f < width; f++) {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const row of rows) {
      min = Math.min(min, row[f]!);
      max = Math.max(max, row[f]!);
    }
    if (max > min) varying.push({ feature: f, min, max });
  }
  if (varying.length === 0) return node;
  const split = varying[Math.floor(random() * varying.length)]!;
  // Six significant digits: the serialized forest stays small, and scores read only the stored one.
  const threshold = Number((split.min + random() * (split.max - split.min)).toPrecision(6));
  tree.feature[node] = split.feature;
  tree.threshold[node] = threshold;
  tree.low[node] = Number(split.min.toPrecision(6));
  tree.high[node] = Number(split.max.toPrecision(6));
  tree.left[node] = grow(
    tree,
    rows.filter((row) => row[split.feature]! < threshold),
    depth + 1,
    maxDepth,
    random,
  );
  tree.right[node] = grow(
    tree,
    rows.filter((row) => row[split.feature]! >= threshold),
    depth + 1,
    maxDepth,
    random,
  );
  return node;
}

function medians(vectors: number[][]): number[] {
  return vectors[0]!.map((_, f) => {
    const values = vectors.map((vector) => vector[f]!).sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)]!;
  });
}

/**
 * The forest as scoring reads it: every tree's nodes in shared typed arrays, numbered level by
 * level so that a split node's two children are adjacent (`first[i]`, the left, and `first[i] + 1`,
 * the right): the next node is `first + +(value >= threshold)`, which needs no branch.
 * A leaf points to itself with an infinite threshold and range, so a walk that has reached it
 * stays there and adds nothing: a batch walks every row the same `depth` steps (forestScores).
 * `leafTerm` is a leaf's depth plus c(size) precomputed.
 */
export type CompiledForest = {
  trees: number;
  normalizer: number;
  /** The deepest leaf's depth: the steps a walk takes at most. */
  depth: number;
  roots: Int32Array;
  /** The split feature (0 at a leaf, which reads it and stays). */
  feature: Int16Array;
  /** +Infinity at a leaf. */
  threshold: Float64Array;
  /** The split feature's range among the node's samples; infinite at a leaf. */
  low: Float64Array;
  high: Float64Array;
  /** The left child (the right is next to it); a leaf's own index. */
  first: Int32Array;
  leafTerm: Float64Array;
  medians: number[];
};

export function compileForest(forest: Forest): CompiledForest {
  const total = forest.trees.reduce((sum, tree) => sum + tree.feature.length, 0);
  const compiled: CompiledForest = {
    trees: forest.trees.length,
    normalizer: averagePath(forest.sampleSize),
    depth: 0,
    roots: new Int32Array(forest.trees.length),
    feature: new Int16Array(total),
    threshold: new Float64Array(total),
    low: new Float64Array(total),
    high: new Float64Array(total),
    first: new Int32Array(total),
    leafTerm: new Float64Array(total),
    medians: forest.medians,
  };
  let offset = 0;
  forest.trees.forEach((tree, t) => {
    compiled.roots[t] = offset;
    // Breadth first: each split node's children take the next two free places.
    const queue = [{ node: 0, at: offset, depth: 0 }];
    let free = offset + 1;
    for (let q = 0; q < queue.length; q++) {
      const { node, at, depth } = queue[q]!;
      if (tree.feature[node]! < 0) {
        compiled.feature[at] = 0;
        compiled.threshold[at] = Number.POSITIVE_INFINITY;
        compiled.low[at] = Number.NEGATIVE_INFINITY;
        compiled.high[at] = Number.POSITIVE_INFINITY;
        compiled.first[at] = at;
        compiled.leafTerm[at] = depth + averagePath(tree.size[node]!);
        compiled.depth = Math.max(compiled.depth, depth);
        continue;
      }
      compiled.feature[at] = tree.feature[node]!;
      compiled.threshold[at] = tree.threshold[node]!;
      compiled.low[at] = tree.low[node]!;
      compiled.high[at] = tree.high[node]!;
      compiled.first[at] = free;
      queue.push({ node: tree.left[node]!, at: free, depth: depth + 1 });
      queue.push({ node: tree.right[node]!, at: free + 1, depth: depth + 1 });
      free += 2;
    }
    offset += tree.feature.length;
  });
  return compiled;
}

/**
 * The expected path length of `vector` in the tree rooted at `root`. Where the vector lies outside
 * the range the node's samples span on its split feature, by a distance d, a split drawn uniformly
 * over the range the vector extends (width w + d) would have set it apart here with probability
 * d / (w + d): so values far beyond anything seen in training isolate at once, while the plain
 * algorithm would file them with the most extreme training samples.
 */
function pathLength(f: CompiledForest, root: number, vector: number[]): number {
  return pathFrom(f, root, 0, 1, 0, vector);
}

/** The same, resumed at `node` (at `depth`) with the walk's state there. */
function pathFrom(
  f: CompiledForest,
  node: number,
  depth: number,
  stillTogether: number,
  expected: number,
  vector: number[],
): number {
  while (f.first[node] !== node) {
    const value = vector[f.feature[node]!]!;
    const low = f.low[node]!;
    const high = f.high[node]!;
    const beyond = value < low ? low - value : value > high ? value - high : 0;
    if (beyond > 0) {
      const isolated = beyond / (high - low + beyond);
      expected += stillTogether * isolated * (depth + 1);
      stillTogether *= 1 - isolated;
    }
    node = f.first[node]! + (value < f.threshold[node]! ? 0 : 1);
    depth++;
  }
  return expected + stillTogether * f.leafTerm[node]!;
}

/** The anomaly score in (0, 1]: 2^(-mean path / c(sample size)); about 0.5 is ordinary, near 1 isolated at once. */
export function forestScore(forest: CompiledForest, vector: number[]): number {
  let total = 0;
  for (let t = 0; t < forest.trees; t++) total += pathLength(forest, forest.roots[t]!, vector);
  return 2 ** -(total / forest.trees / forest.normalizer);
}

/** Rows a batch walks through a tree side by side (8 measured slower: the walk's state no longer fits in registers). */
const LOCKSTEP = 4;

/**
 * forestScore of each vector (all of one width), bit for bit: the same arithmetic, and each row's
 * path lengths summed over the trees in the same order. About 2.5x faster for a batch (3 us a row
 * against 7-8 in workerd, BENCHMARKS.md): tree by tree (its nodes stay in cache), LOCKSTEP rows at
 * a time through every level, the turn taken as `first + +(value >= threshold)` (V8 compiles a
 * ternary there to a branch, mispredicted every other node, but this to a flag set), so the
 * processor overlaps the rows' walks. The beyond-range term stays a branch: 3% of nodes on
 * bench:ingest's rows. A vector holding a non-finite number (featureVector's never do) takes
 * forestScore, whose comparisons treat NaN differently.
 */
export function forestScores(forest: CompiledForest, vectors: number[][]): Float64Array {
  const count = vectors.length;
  const scores = new Float64Array(count);
  if (count === 0) return scores;
  const width = vectors[0]!.length;
  const flat = new Float64Array(count * width);
  const walked: number[] = [];
  vectors.forEach((vector, row) => {
    if (vector.length === width && vector.every(Number.isFinite)) {
      flat.set(vector, row * width);
      walked.push(row);
    } else scores[row] = forestScore(forest, vector);
  });
  const totals = new Float64Array(walked.length);
  const rows = Int32Array.from(walked, (row) => row * width);
  for (let t = 0; t < forest.trees; t++) walkTree(forest, forest.roots[t]!, flat, rows, totals);
  walked.forEach((row, i) => {
    scores[row] = 2 ** -(totals[i]! / forest.trees / forest.normalizer);
  });
  return scores;
}

/**
 * Adds each row's path length in the tree at `root` to its total; `rows` holds each row's offset
 * in `flat`. Every row takes `depth` steps: one at a leaf stays there and adds nothing.
 */
function walkTree(f: CompiledForest, root: number, flat: Float64Array, rows: Int32Array, totals: Float64Array): void {
  const { feature, threshold, low, high, first, leafTerm, depth } = f;
  const count = rows.length;
  let r = 0;
  for (; r + LOCKSTEP <= count; r += LOCKSTEP) {
    const ra = rows[r]!;
    const rb = rows[r + 1]!;
    const rc = rows[r + 2]!;
    const rd = rows[r + 3]!;
    let na = root;
    let nb = root;
    let nc = root;
    let nd = root;
    let ea = 0;
    let eb = 0;
    let ec = 0;
    let ed = 0;
    let sa = 1;
    let sb = 1;
    let sc = 1;
    let sd = 1;
    for (let step = 1; step <= depth; step++) {
      const va = flat[ra + feature[na]!]!;
      const vb = flat[rb + feature[nb]!]!;
      const vc = flat[rc + feature[nc]!]!;
      const vd = flat[rd + feature[nd]!]!;
      if (va < low[na]! || va > high[na]!) {
        const isolated = isolation(low[na]!, high[na]!, va);
        ea += sa * isolated * step;
        sa *= 1 - isolated;
      }
      if (vb < low[nb]! || vb > high[nb]!) {
        const isolated = isolation(low[nb]!, high[nb]!, vb);
        eb += sb * isolated * step;
        sb *= 1 - isolated;
      }
      if (vc < low[nc]! || vc > high[nc]!) {
        const isolated = isolation(low[nc]!, high[nc]!, vc);
        ec += sc * isolated * step;
        sc *= 1 - isolated;
      }
      if (vd < low[nd]! || vd > high[nd]!) {
        const isolated = isolation(low[nd]!, high[nd]!, vd);
        ed += sd * isolated * step;
        sd *= 1 - isolated;
      }
      na = first[na]! + +(va >= threshold[na]!);
      nb = first[nb]! + +(vb >= threshold[nb]!);
      nc = first[nc]! + +(vc >= threshold[nc]!);
      nd = first[nd]! + +(vd >= threshold[nd]!);
    }
    totals[r] = totals[r]! + (ea + sa * leafTerm[na]!);
    totals[r + 1] = totals[r + 1]! + (eb + sb * leafTerm[nb]!);
    totals[r + 2] = totals[r + 2]! + (ec + sc * leafTerm[nc]!);
    totals[r + 3] = totals[r + 3]! + (ed + sd * leafTerm[nd]!);
  }
  for (; r < count; r++) {
    const base = rows[r]!;
    let node = root;
    let expected = 0;
    let stillTogether = 1;
    for (let step = 1; step <= depth; step++) {
      const value = flat[base + feature[node]!]!;
      if (value < low[node]! || value > high[node]!) {
        const isolated = isolation(low[node]!, high[node]!, value);
        expected += stillTogether * isolated * step;
        stillTogether *= 1 - isolated;
      }
      node = first[node]! + +(value >= threshold[node]!);
    }
    totals[r] = totals[r]! + (expected + stillTogether * leafTerm[node]!);
  }
}

/** pathFrom's d / (w + d) for a value outside the node's range [low, high]. */
function isolation(low: number, high: number, value: number): number {
  const beyond = value < low ? low - value : value - high;
  return beyond / (high - low + beyond);
}

/**
 * What each feature adds to the score: the score minus the score with that feature set to its
 * median (what an ordinary transaction has). Positive contributions raised the score. A tree's
 * path is the same up to its first node that splits on the feature, so the variant's walk resumes
 * there, with the state the vector's own walk had (trees that never split on it keep their path
 * length); the sums run in the same order, so the numbers are those of whole walks.
 */
export function featureContributions(
  forest: CompiledForest,
  vector: number[],
  score = forestScore(forest, vector),
): number[] {
  const width = vector.length;
  const base = new Float64Array(forest.trees);
  // Per tree and feature: the first node of the path that splits on it (-1: none), the depth
  // there and the walk's state before it.
  const at = new Int32Array(forest.trees * width).fill(-1);
  const depthAt = new Int32Array(forest.trees * width);
  const togetherAt = new Float64Array(forest.trees * width);
  const expectedAt = new Float64Array(forest.trees * width);
  for (let t = 0; t < forest.trees; t++) {
    let node = forest.roots[t]!;
    let depth = 0;
    let stillTogether = 1;
    let expected = 0;
    while (forest.first[node] !== node) {
      const split = forest.feature[node]!;
      const slot = t * width + split;
      if (at[slot] === -1) {
        at[slot] = node;
        depthAt[slot] = depth;
        togetherAt[slot] = stillTogether;
        expectedAt[slot] = expected;
      }
      const value = vector[split]!;
      const low = forest.low[node]!;
      const high = forest.high[node]!;
      const beyond = value < low ? low - value : value > high ? value - high : 0;
      if (beyond > 0) {
        const isolated = beyond / (high - low + beyond);
        expected += stillTogether * isolated * (depth + 1);
        stillTogether *= 1 - isolated;
      }
      node = forest.first[node]! + (value < forest.threshold[node]! ? 0 : 1);
      depth++;
    }
    base[t] = expected + stillTogether * forest.leafTerm[node]!;
  }
  return vector.map((value, f) => {
    if (value === forest.medians[f]) return 0;
    const ordinary = [...vector];
    ordinary[f] = forest.medians[f]!;
    let total = 0;
    for (let t = 0; t < forest.trees; t++) {
      const slot = t * width + f;
      total +=
        at[slot] === -1
          ? base[t]!
          : pathFrom(forest, at[slot]!, depthAt[slot]!, togetherAt[slot]!, expectedAt[slot]!, ordinary);
    }
    return score - 2 ** -(total / forest.trees / forest.normalizer);
  });
}
