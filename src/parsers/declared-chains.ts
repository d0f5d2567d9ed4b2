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
import { isCounterPair } from './iptables-tokenize.ts';

const FNV_PRIME = 0x01000193;

/**
 * FNV-1a over UTF-16 code units, the same number for a string and for the same characters inside a text.
 * `seed` replaces FNV's offset basis: random per table, so that no file can be written whose names all fall
 * on one slot (V8 seeds its own string hashes for the same reason).
 */
function hashRange(seed: number, text: string, start: number, end: number): number {
  let hash = seed;
  for (let i = start; i < end; i++) {
    hash = Math.imul(hash ^ text.charCodeAt(i), FNV_PRIME);
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

/** What addPlainLines takes as a plain header line. */
export interface PlainLineLimits {
  readonly maxNameLength: number;
  readonly maxLineLength: number;
  /** The table's built-in chains (their lines have policies to check) and names no chain may have. */
  readonly specialNames: readonly string[];
}

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
    const stored = this.slots[this.slotOf(name, 0, name.length, this.hashOf(name))] ?? 0;
    return stored === 0 ? undefined : this.entries[(stored - 1) * ENTRY_SIZE + LINE];
  }

  has(name: string): boolean {
    return this.slots[this.slotOf(name, 0, name.length, this.hashOf(name))] !== 0;
  }

  /** Adds a declaration; `name` is indexed unless it was declared before. */
  add(decl: ChainDecl): void {
    const { name } = decl;
    const hash = this.hashOf(name);
    const slot = this.slotOf(name, 0, name.length, hash);
    if (this.slots[slot] === 0) {
      this.insert(slot, name, 0, name.length, hash, decl.line, -1);
    }
    this.pushOrder(-1 - this.objects.length);
    this.objects.push(decl);
  }

  /**
   * Declares the user chains of the plain header lines `:NAME - [p:b]` (single spaces) that follow one another
   * from `pos` in `text`, up to the first other line, a name declared before, or `end` (a line must end with
   * a newline before `end`). NAME is 1 to `maxNameLength` printable ASCII characters (no tab or newline,
   * where strtok() also splits), does not start with "-" or "!" and is none of `specialNames`; the counters are a
   * pair (isCounterPair) and end the line. Returns the position after the last line taken (`pos` if none);
   * each line taken is one more in `size`. The name is scanned and hashed in one pass, and the whole line is
   * taken in this one loop, so that V8 optimizes it as one piece: a big table's header runs it tens of
   * thousands of times before the rules, whose code waits for the same optimizing compiler.
   */
  addPlainLines(text: string, pos: number, end: number, firstLine: number, limits: PlainLineLimits): number {
    const { maxNameLength, maxLineLength, specialNames } = limits;
    let line = firstLine;
    while (pos < end && text.charCodeAt(pos) === 0x3a /* : */) {
      const nameStart = pos + 1;
      let hash = this.seed;
      let at = nameStart;
      for (; at < end; at++) {
        const code = text.charCodeAt(at);
        if (code < 0x21 || code > 0x7e) {
          break;
        }
        hash = Math.imul(hash ^ code, FNV_PRIME);
      }
      const nameEnd = at;
      const nameLength = nameEnd - nameStart;
      if (
        nameLength === 0 ||
        nameLength > maxNameLength ||
        text.charCodeAt(nameStart) === 0x2d /* - */ ||
        text.charCodeAt(nameStart) === 0x21 /* ! */ ||
        text.charCodeAt(nameEnd) !== 0x20 ||
        text.charCodeAt(nameEnd + 1) !== 0x2d /* - */ ||
        text.charCodeAt(nameEnd + 2) !== 0x20
      ) {
        break;
      }
      const countersEnd = text.indexOf('\n', nameEnd + 3);
      if (
        countersEnd === -1 ||
        countersEnd >= end ||
        countersEnd - pos > maxLineLength ||
        !isCounterPair(text, nameEnd + 3, countersEnd)
      ) {
        break;
      }
      let special = false;
      for (let i = 0; i < specialNames.length && !special; i++) {
        const b = specialNames[i] ?? '';
        special = b.length === nameLength && text.startsWith(b, nameStart);
      }
      if (special) {
        break;
      }
      const slot = this.slotOf(text, nameStart, nameEnd, hash);
      if (this.slots[slot] !== 0) {
        break;
      }
      this.pushOrder(this.insert(slot, text, nameStart, nameEnd, hash, line, countersEnd));
      line++;
      pos = countersEnd + 1;
    }
    return pos;
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

  private hashOf(name: string): number {
    return hashRange(this.seed, name, 0, name.length);
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
