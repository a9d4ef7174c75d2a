// Sum tree over non-negative weights (pure, deterministic): O(log n) update, O(log n) prefix-sum search, O(1) total.
//
// Layout: a complete binary tree in one Float64Array of 2·P slots, P = the capacity rounded up to a power of two.
// Node k has children 2k and 2k+1; leaf i lives at P + i; slot 0 is unused; slot 1 is the root (the total).
// Parents are recomputed as left + right (never incremented by deltas), so sums do not drift however many
// updates are made: after any sequence of updates the tree equals one freshly built from the same leaves.

export class SumTree {
  /** Number of leaves addressable (indices 0 … capacity−1). */
  readonly capacity: number;
  private readonly base: number;
  private readonly nodes: Float64Array;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`SumTree: capacity must be an integer ≥ 1, got ${capacity}`);
    }
    if (capacity > 2 ** 28) throw new RangeError(`SumTree: capacity ${capacity} exceeds the supported 2^28 leaves`);
    let base = 1;
    while (base < capacity) base *= 2;
    this.capacity = capacity;
    this.base = base;
    this.nodes = new Float64Array(2 * base);
  }

  /** Builds a tree from weights in O(n). */
  static from(weights: ArrayLike<number>): SumTree {
    const t = new SumTree(Math.max(1, weights.length));
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i]!;
      checkWeight(i, w);
      t.nodes[t.base + i] = w;
    }
    for (let k = t.base - 1; k >= 1; k--) t.nodes[k] = t.nodes[2 * k]! + t.nodes[2 * k + 1]!;
    return t;
  }

  /** Sum of all weights. */
  total(): number {
    return this.nodes[1]!;
  }

  /** Weight of leaf i. */
  get(i: number): number {
    this.checkIndex(i);
    return this.nodes[this.base + i]!;
  }

  /** Sets the weight of leaf i: O(log n). */
  update(i: number, weight: number): void {
    this.checkIndex(i);
    checkWeight(i, weight);
    let k = this.base + i;
    this.nodes[k] = weight;
    k >>= 1;
    while (k >= 1) {
      this.nodes[k] = this.nodes[2 * k]! + this.nodes[2 * k + 1]!;
      k >>= 1;
    }
  }

  /** Sum of the weights of leaves 0 … i−1 (prefixSum(0) = 0, prefixSum(capacity) = total): O(log n). */
  prefixSum(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i > this.capacity) {
      throw new RangeError(`SumTree.prefixSum: index must be an integer in [0, ${this.capacity}], got ${i}`);
    }
    if (i === this.capacity) return this.total();
    // Walk from leaf i up to the root, adding every left sibling met on the way.
    let sum = 0;
    let k = this.base + i;
    while (k > 1) {
      if (k & 1) sum += this.nodes[k - 1]!;
      k >>= 1;
    }
    return sum;
  }

  /**
   * The leaf i with prefixSum(i) ≤ u < prefixSum(i+1), for u in [0, total): O(log n).
   * Only leaves of positive weight are ever returned: at each node the search descends into a child whose
   * subtree has positive weight, so floating-point rounding near a boundary (or u ≈ total) cannot land on
   * a zero-weight leaf. Throws if the total is 0 or u is outside [0, total].
   */
  find(u: number): number {
    const total = this.total();
    if (!(total > 0)) throw new RangeError('SumTree.find: the total weight is 0, nothing can be drawn');
    if (!(u >= 0) || u > total) throw new RangeError(`SumTree.find: u must be in [0, ${total}), got ${u}`);
    let k = 1;
    while (k < this.base) {
      const left = this.nodes[2 * k]!;
      const right = this.nodes[2 * k + 1]!;
      if ((u < left && left > 0) || !(right > 0)) {
        k = 2 * k;
      } else {
        u -= left;
        if (u < 0) u = 0;
        k = 2 * k + 1;
      }
    }
    return k - this.base;
  }

  /** A copy of the leaf weights (length = capacity). */
  leaves(): Float64Array {
    return this.nodes.slice(this.base, this.base + this.capacity);
  }

  private checkIndex(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.capacity) {
      throw new RangeError(`SumTree: leaf index must be an integer in [0, ${this.capacity - 1}], got ${i}`);
    }
  }
}

function checkWeight(i: number, w: number): void {
  if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
    throw new RangeError(`SumTree: weight of leaf ${i} must be a finite number ≥ 0, got ${String(w)}`);
  }
}
