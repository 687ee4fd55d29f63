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
 * The forest as scoring reads it: every tree's nodes in shared typed arrays (a node's children
 * are absolute indexes), each leaf's c(size) precomputed. Several times faster than the arrays of
 * the stored JSON, which matters at 5,000 transactions an upload batch.
 */
export type CompiledForest = {
  trees: number;
  normalizer: number;
  roots: Int32Array;
  feature: Int16Array;
  threshold: Float64Array;
  low: Float64Array;
  high: Float64Array;
  left: Int32Array;
  right: Int32Array;
  leafPath: Float64Array;
  medians: number[];
};

export function compileForest(forest: Forest): CompiledForest {
  const total = forest.trees.reduce((sum, tree) => sum + tree.feature.length, 0);
  const compiled: CompiledForest = {
    trees: forest.trees.length,
    normalizer: averagePath(forest.sampleSize),
    roots: new Int32Array(forest.trees.length),
    feature: new Int16Array(total),
    threshold: new Float64Array(total),
    low: new Float64Array(total),
    high: new Float64Array(total),
    left: new Int32Array(total),
    right: new Int32Array(total),
    leafPath: new Float64Array(total),
    medians: forest.medians,
  };
  let offset = 0;
  forest.trees.forEach((tree, t) => {
    compiled.roots[t] = offset;
    for (let i = 0; i < tree.feature.length; i++) {
      const at = offset + i;
      compiled.feature[at] = tree.feature[i]!;
      compiled.threshold[at] = tree.threshold[i]!;
      compiled.low[at] = tree.low[i]!;
      compiled.high[at] = tree.high[i]!;
      compiled.left[at] = offset + tree.left[i]!;
      compiled.right[at] = offset + tree.right[i]!;
      compiled.leafPath[at] = averagePath(tree.size[i]!);
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
  for (let split = f.feature[node]!; split >= 0; split = f.feature[node]!) {
    const value = vector[split]!;
    const low = f.low[node]!;
    const high = f.high[node]!;
    const beyond = value < low ? low - value : value > high ? value - high : 0;
    if (beyond > 0) {
      const isolated = beyond / (high - low + beyond);
      expected += stillTogether * isolated * (depth + 1);
      stillTogether *= 1 - isolated;
    }
    node = value < f.threshold[node]! ? f.left[node]! : f.right[node]!;
    depth++;
  }
  return expected + stillTogether * (depth + f.leafPath[node]!);
}

/** The anomaly score in (0, 1]: 2^(-mean path / c(sample size)); about 0.5 is ordinary, near 1 isolated at once. */
export function forestScore(forest: CompiledForest, vector: number[]): number {
  let total = 0;
  for (let t = 0; t < forest.trees; t++) total += pathLength(forest, forest.roots[t]!, vector);
  return 2 ** -(total / forest.trees / forest.normalizer);
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
    for (let split = forest.feature[node]!; split >= 0; split = forest.feature[node]!) {
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
      node = value < forest.threshold[node]! ? forest.left[node]! : forest.right[node]!;
      depth++;
    }
    base[t] = expected + stillTogether * (depth + forest.leafPath[node]!);
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
