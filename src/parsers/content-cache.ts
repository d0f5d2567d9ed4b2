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
  private copies = false;

  /** At most `capacity` results are kept; the oldest is dropped first. */
  constructor(private readonly capacity: number) {}

  /**
   * From now on, keep a copy of each content: for a process that reads host after host (the fleet), where
   * `content` may be a view into a whole snapshot archive that must not stay alive with its host. A process
   * that reads one host keeps the view (copying a kernel's metadata, ~400 KB, cost a diagnosis 1-2 ms).
   */
  keepCopies(): void {
    this.copies = true;
  }

  /** The result of `parse(content)`, computed once per distinct (kind, path, content). */
  get<T>(kind: string, path: string, content: Buffer, parse: (content: Buffer) => T): T {
    const key = `${kind}\0${path}\0${content.length}`;
    const list = this.slots.get(key);
    const hit = list?.find((s) => s.content.equals(content));
    if (hit !== undefined) {
      return hit.value as T;
    }
    const value = parse(content);
    const slot: Slot = { content: this.copies ? Buffer.from(content) : content, value };
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
