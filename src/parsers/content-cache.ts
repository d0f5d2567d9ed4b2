// Parse results of large files that many hosts share byte for byte (a kernel's modules.dep, modules.alias,
// config ...), kept by file path AND exact content: a fleet worker diagnoses hundreds of hosts that run the
// same kernel, and parsing its metadata again for each was most of the per-host cost. Two files with the same
// name and different bytes never share a result. Values must be immutable (the callers only read them).

interface Slot {
  readonly content: Buffer;
  readonly value: unknown;
}

export class ContentCache {
  private readonly slots = new Map<string, Slot[]>();
  private count = 0;

  /** At most `capacity` results are kept; the oldest is dropped first. */
  constructor(private readonly capacity: number) {}

  /** The result of `parse(content)`, computed once per distinct (kind, path, content). */
  get<T>(kind: string, path: string, content: Buffer, parse: (content: Buffer) => T): T {
    const key = `${kind}\0${path}\0${content.length}`;
    const list = this.slots.get(key);
    const hit = list?.find((s) => s.content.equals(content));
    if (hit !== undefined) {
      return hit.value as T;
    }
    const value = parse(content);
    // A copy: `content` may be a view into a whole snapshot archive, which must not stay alive with it.
    const slot: Slot = { content: Buffer.from(content), value };
    if (list === undefined) {
      this.slots.set(key, [slot]);
    } else {
      list.push(slot);
    }
    this.count += 1;
    this.evict();
    return value;
  }

  private evict(): void {
    while (this.count > this.capacity) {
      const oldest = this.slots.keys().next();
      if (oldest.done === true) {
        return;
      }
      const list = this.slots.get(oldest.value) ?? [];
      list.shift();
      this.count -= 1;
      if (list.length === 0) {
        this.slots.delete(oldest.value);
      }
    }
  }
}
