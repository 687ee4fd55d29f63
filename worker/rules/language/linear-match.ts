/**
 * A Thompson-NFA (Pike VM) matcher for the patterns regex-safety.ts accepts: it keeps the set of
 * pattern positions alive after each character, so a test costs O(text length x pattern size)
 * whatever the pattern and the text. No backtracking engine ever sees a user pattern.
 */

export type CharSet = readonly (readonly [number, number])[];

export type RegexNode =
  | { kind: 'literal'; codePoint: number }
  | { kind: 'set'; negated: boolean; ranges: CharSet }
  | { kind: 'anchor'; text: '^' | '$' }
  | { kind: 'group'; alternatives: RegexNode[][] }
  | { kind: 'repeat'; body: RegexNode; min: number; max: number | null };

type Instruction =
  | { op: 'char'; ranges: CharSet; negated: boolean }
  | { op: 'split'; to: [number, number] }
  | { op: 'jump'; to: number }
  | { op: 'start' }
  | { op: 'end' }
  | { op: 'match' };

function inSet(ranges: CharSet, codePoint: number): boolean {
  for (const [low, high] of ranges) if (codePoint >= low && codePoint <= high) return true;
  return false;
}

class Compiler {
  readonly program: Instruction[] = [];

  private emit(instruction: Instruction): number {
    this.program.push(instruction);
    return this.program.length - 1;
  }

  alternatives(alternatives: readonly RegexNode[][]): void {
    if (alternatives.length === 1) {
      for (const node of alternatives[0]!) this.node(node);
      return;
    }
    // split L1, next; L1: alt; jump end; next: split L2, ... ; last alt; end:
    const jumps: number[] = [];
    alternatives.forEach((alternative, index) => {
      const last = index === alternatives.length - 1;
      const split = last ? -1 : this.emit({ op: 'split', to: [0, 0] });
      const start = this.program.length;
      for (const node of alternative) this.node(node);
      if (!last) {
        jumps.push(this.emit({ op: 'jump', to: 0 }));
        (this.program[split] as { to: [number, number] }).to = [start, this.program.length];
      }
    });
    for (const jump of jumps) (this.program[jump] as { to: number }).to = this.program.length;
  }

  private node(node: RegexNode): void {
    switch (node.kind) {
      case 'literal':
        this.emit({ op: 'char', ranges: [[node.codePoint, node.codePoint]], negated: false });
        return;
      case 'set':
        this.emit({ op: 'char', ranges: node.ranges, negated: node.negated });
        return;
      case 'anchor':
        this.emit({ op: node.text === '^' ? 'start' : 'end' });
        return;
      case 'group':
        this.alternatives(node.alternatives);
        return;
      case 'repeat':
        this.repeat(node);
        return;
    }
  }

  private repeat(node: Extract<RegexNode, { kind: 'repeat' }>): void {
    for (let i = 0; i < node.min; i++) this.node(node.body);
    if (node.max === null) {
      // loop: split body, out; body; jump loop
      const loop = this.emit({ op: 'split', to: [0, 0] });
      this.node(node.body);
      this.emit({ op: 'jump', to: loop });
      (this.program[loop] as { to: [number, number] }).to = [loop + 1, this.program.length];
      return;
    }
    // Each optional copy: split body, out (all outs to the end).
    const splits: number[] = [];
    for (let i = node.min; i < node.max; i++) {
      splits.push(this.emit({ op: 'split', to: [0, 0] }));
      this.node(node.body);
    }
    for (const split of splits) (this.program[split] as { to: [number, number] }).to = [split + 1, this.program.length];
  }
}

export type LinearMatcher = { test(text: string): boolean };

/** Whether every alternative starts with `^`: then a match can only start at index 0. */
function anchoredAtStart(alternatives: readonly RegexNode[][]): boolean {
  return alternatives.every((alternative) => {
    const head = alternative[0];
    if (!head) return false;
    if (head.kind === 'anchor') return head.text === '^';
    return head.kind === 'group' && anchoredAtStart(head.alternatives);
  });
}

/** Compiles the alternatives of a parsed pattern; `test` finds a match anywhere in the text (unanchored). */
export function linearMatcher(alternatives: readonly RegexNode[][]): LinearMatcher {
  const compiler = new Compiler();
  compiler.alternatives(alternatives);
  compiler.program.push({ op: 'match' });
  const program = compiler.program;
  const anchored = anchoredAtStart(alternatives);
  // Generation marks, kept between tests: a position is added to one step's list at most once.
  const seen = new Float64Array(program.length);
  let generation = 0;
  let current: number[] = [];
  let next: number[] = [];
  const stack: number[] = [];

  /** Adds `start` and every position reachable from it without reading a character; true on a match. */
  const add = (list: number[], start: number, atStart: boolean, atEnd: boolean): boolean => {
    stack.push(start);
    while (stack.length > 0) {
      const pc = stack.pop() as number;
      if (seen[pc] === generation) continue;
      seen[pc] = generation;
      const instruction = program[pc]!;
      switch (instruction.op) {
        case 'jump':
          stack.push(instruction.to);
          break;
        case 'split':
          stack.push(instruction.to[1], instruction.to[0]);
          break;
        case 'start':
          if (atStart) stack.push(pc + 1);
          break;
        case 'end':
          if (atEnd) stack.push(pc + 1);
          break;
        case 'match':
          stack.length = 0;
          return true;
        case 'char':
          list.push(pc);
          break;
      }
    }
    return false;
  };

  return {
    test(text: string): boolean {
      current.length = 0;
      generation++;
      // Code points, as JavaScript's `u` flag reads them: an astral character is one step.
      for (let index = 0; ; ) {
        const atEnd = index >= text.length;
        if ((index === 0 || !anchored) && add(current, 0, index === 0, atEnd)) return true;
        if (atEnd || current.length === 0) {
          if (atEnd || anchored) return false;
        }
        const codePoint = text.codePointAt(index) as number;
        index += codePoint > 0xffff ? 2 : 1;
        generation++;
        next.length = 0;
        const nextAtEnd = index >= text.length;
        for (const pc of current) {
          const instruction = program[pc] as Extract<Instruction, { op: 'char' }>;
          if (inSet(instruction.ranges, codePoint) !== instruction.negated && add(next, pc + 1, false, nextAtEnd))
            return true;
        }
        [current, next] = [next, current];
      }
    },
  };
}
