// The chains one table of a save file declares, by name, without a string or an object per declaration.
//
// kube-proxy's nat table declares a chain per service and per endpoint (`:KUBE-SEP-... - [0:0]`), tens of
// thousands of lines before the first rule, and each must be found again by name while the rules are read
// (`-A NAME`, and `-j NAME` is a chain jump only when NAME is declared). Held as a Map of name strings and a
// declaration object each, 35k declarations survive every young-generation collection until COMMIT and
// are copied twice, into fresh pages, before the first rule. Here a plain `:NAME - [0:0]` line is kept as
// the place of its name in the text the line reader already holds (numbers in typed arrays), and found by
// a hash of its characters; a declaration object is built only when someone asks for the list.
import type { ChainDecl } from './iptables-save.ts';

/**
 * FNV-1a over UTF-16 code units, the same number for a string and for the same characters inside a text.
 * `seed` replaces FNV's offset basis: random per table, so that no file can be written whose names all fall
 * on one slot (V8 seeds its own string hashes for the same reason).
 */
function hashRange(seed: number, text: string, start: number, end: number): number {
  let hash = seed;
  for (let i = start; i < end; i++) {
    hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  }
  return hash;
}

const FIRST_CAPACITY = 64;

/** An entry's fields in `entries`, ENTRY_SIZE numbers per entry. */
const START = 0;
const END = 1;
const HASH = 2;
const LINE = 3;
/** The end of the `[p:b]` counters of a plain header line (they start at END + 3), else -1. */
const COUNTERS_END = 4;
/** Which of `texts` holds the name: a plain header line's is the piece of the file it is in. */
const TEXT = 5;
const ENTRY_SIZE = 6;

/** Declared chain name -> line of its first declaration, and every declaration in file order. */
export class DeclaredChains {
  /** Open addressing: entry number + 1, 0 for a free slot; never more than half full. */
  private slots = new Int32Array(FIRST_CAPACITY * 2);
  /** One entry per name, at its first declaration: the fields above. */
  private entries = new Int32Array(FIRST_CAPACITY * ENTRY_SIZE);
  private count = 0;
  /**
   * Every declaration in file order: an entry number (>= 0) for a plain header line, which has no object
   * yet, or -1 - k for objects[k].
   */
  private order = new Int32Array(FIRST_CAPACITY);
  private orderCount = 0;
  private readonly objects: ChainDecl[] = [];
  /** The texts entries point into, each once (a piece of the file holds thousands of names). */
  private readonly texts: string[] = [];
  private readonly seed = (Math.random() * 0x100000000) | 0;

  get size(): number {
    return this.count;
  }

  /** Line of the first declaration of `name`. */
  lineOf(name: string): number | undefined {
    const slot = this.slotOf(name, 0, name.length, hashRange(this.seed, name, 0, name.length));
    const stored = this.slots[slot] ?? 0;
    return stored === 0 ? undefined : this.entries[(stored - 1) * ENTRY_SIZE + LINE];
  }

  has(name: string): boolean {
    return this.slots[this.slotOf(name, 0, name.length, hashRange(this.seed, name, 0, name.length))] !== 0;
  }

  /** Adds a declaration; `name` is indexed unless it was declared before. */
  add(decl: ChainDecl): void {
    const { name } = decl;
    const hash = hashRange(this.seed, name, 0, name.length);
    const slot = this.slotOf(name, 0, name.length, hash);
    if (this.slots[slot] === 0) {
      this.insert(slot, name, 0, name.length, hash, decl.line, -1);
    }
    this.pushOrder(-1 - this.objects.length);
    this.objects.push(decl);
  }

  /**
   * Adds the user chain of a plain header line `:NAME - [p:b]`: the name is text[nameStart, nameEnd), the
   * counters run from nameEnd + 3 to countersEnd. Returns false, and adds nothing, when the name is already
   * declared (the caller reports the duplicate and adds it as an object).
   */
  addHeaderLine(
    text: string,
    nameStart: number,
    nameEnd: number,
    countersEnd: number,
    line: number,
  ): boolean {
    const hash = hashRange(this.seed, text, nameStart, nameEnd);
    const slot = this.slotOf(text, nameStart, nameEnd, hash);
    if (this.slots[slot] !== 0) {
      return false;
    }
    this.pushOrder(this.insert(slot, text, nameStart, nameEnd, hash, line, countersEnd));
    return true;
  }

  /** Every declaration in file order, as parseIptablesSave reports them. */
  list(): ChainDecl[] {
    const decls: ChainDecl[] = new Array<ChainDecl>(this.orderCount);
    for (let i = 0; i < this.orderCount; i++) {
      const ref = this.order[i] ?? 0;
      decls[i] = ref < 0 ? (this.objects[-1 - ref] as ChainDecl) : this.headerDecl(ref);
    }
    return decls;
  }

  /** The object chainLine would have built for a plain header line. */
  private headerDecl(entry: number): ChainDecl {
    const at = entry * ENTRY_SIZE;
    const text = this.texts[this.entries[at + TEXT] ?? 0] ?? '';
    const nameEnd = this.entries[at + END] ?? 0;
    const counters = text.slice(nameEnd + 3, this.entries[at + COUNTERS_END]);
    return {
      name: text.slice(this.entries[at + START], nameEnd),
      policy: '-',
      line: this.entries[at + LINE] ?? 0,
      builtin: false,
      declaredBy: 'header',
      counters: counters === '[0:0]' ? '[0:0]' : counters,
    };
  }

  /** The slot holding text[start, end), or the free slot where it would go. */
  private slotOf(text: string, start: number, end: number, hash: number): number {
    const slots = this.slots;
    const entries = this.entries;
    const mask = slots.length - 1;
    const length = end - start;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const stored = slots[slot] ?? 0;
      if (stored === 0) {
        return slot;
      }
      const at = (stored - 1) * ENTRY_SIZE;
      const entryStart = entries[at + START] ?? 0;
      if (
        entries[at + HASH] === hash &&
        (entries[at + END] ?? 0) - entryStart === length &&
        sameCharacters(this.texts[entries[at + TEXT] ?? 0] ?? '', entryStart, text, start, length)
      ) {
        return slot;
      }
    }
  }

  private insert(
    slot: number,
    text: string,
    start: number,
    end: number,
    hash: number,
    line: number,
    countersEnd: number,
  ): number {
    const entry = this.count;
    let at = entry * ENTRY_SIZE;
    if (at === this.entries.length) {
      this.entries = grown(this.entries, this.entries.length * 2);
    }
    const texts = this.texts;
    if (texts[texts.length - 1] !== text) {
      texts.push(text);
    }
    const entries = this.entries;
    entries[at++] = start;
    entries[at++] = end;
    entries[at++] = hash;
    entries[at++] = line;
    entries[at++] = countersEnd;
    entries[at] = texts.length - 1;
    this.count = entry + 1;
    if (this.count * 2 > this.slots.length) {
      this.rehash(this.slots.length * 2);
    } else {
      this.slots[slot] = entry + 1;
    }
    return entry;
  }

  private rehash(capacity: number): void {
    const slots = new Int32Array(capacity);
    const mask = capacity - 1;
    for (let entry = 0; entry < this.count; entry++) {
      let slot = (this.entries[entry * ENTRY_SIZE + HASH] ?? 0) & mask;
      while (slots[slot] !== 0) {
        slot = (slot + 1) & mask;
      }
      slots[slot] = entry + 1;
    }
    this.slots = slots;
  }

  private pushOrder(ref: number): void {
    if (this.orderCount === this.order.length) {
      this.order = grown(this.order, this.order.length * 2);
    }
    this.order[this.orderCount++] = ref;
  }
}

function grown(array: Int32Array, capacity: number): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(capacity);
  bigger.set(array);
  return bigger;
}

function sameCharacters(a: string, aStart: number, b: string, bStart: number, length: number): boolean {
  if (bStart === 0 && b.length === length) {
    return a.startsWith(b, aStart);
  }
  if (aStart === 0 && a.length === length) {
    return b.startsWith(a, bStart);
  }
  for (let i = 0; i < length; i++) {
    if (a.charCodeAt(aStart + i) !== b.charCodeAt(bStart + i)) {
      return false;
    }
  }
  return true;
}
