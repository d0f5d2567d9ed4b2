// Diagnoses snapshot files on a pool of worker threads, one file in flight per worker, and hands each outcome to
// the caller as it arrives: nothing is kept here, so memory does not grow with the number of files. A worker
// that dies (out of memory on a hostile snapshot, a crash) costs that one host, which is reported with the
// reason, and is replaced.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { HostOutcome } from './aggregate.ts';
import { hostNameOf } from './diagnose-file.ts';
import { FLEET_WORKER_ROLE, type WorkRequest } from './worker.ts';

/** esbuild defines it in the bundle (scripts/build.mjs): there the worker's script is the bundle itself. */
declare const NFDOCTOR_BUNDLE: boolean | undefined;

export interface PoolOptions {
  readonly jobs: number;
  readonly onOutcome: (outcome: HostOutcome) => void;
  /** Heap limit of each worker; a snapshot that needs more is reported as unreadable. */
  readonly maxOldGenerationSizeMb?: number;
}

export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

function spawn(maxOldGenerationSizeMb: number): Worker {
  const options = {
    workerData: { role: FLEET_WORKER_ROLE },
    // The bundle looks for its role in argv before it loads node:worker_threads (src/cli/main.ts).
    argv: [FLEET_WORKER_ROLE],
    resourceLimits: { maxOldGenerationSizeMb },
  };
  if (typeof NFDOCTOR_BUNDLE === 'boolean') {
    return new Worker(__filename, options);
  }
  return new Worker(new URL('./worker-bootstrap.mjs', import.meta.url), options);
}

function ask(worker: Worker, req: WorkRequest): Promise<HostOutcome> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (msg: { seq: number; outcome: HostOutcome }): void => {
      if (msg.seq === req.seq) {
        cleanup();
        resolve(msg.outcome);
      }
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onExit = (code: number): void => {
      cleanup();
      reject(new Error(`the worker exited with code ${code}`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(req);
  });
}

function describeDeath(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return 'diagnosing it ran out of memory (worker heap limit reached)';
  }
  return `diagnosing it crashed its worker: ${err instanceof Error ? err.message : String(err)}`;
}

export async function diagnoseFiles(files: AsyncIterable<string>, options: PoolOptions): Promise<void> {
  const iterator = files[Symbol.asyncIterator]();
  const heap = options.maxOldGenerationSizeMb ?? 1024;
  let seq = 0;
  let exhausted = false;
  const nextFile = async (): Promise<string | undefined> => {
    if (exhausted) {
      return undefined;
    }
    const r = await iterator.next();
    if (r.done === true) {
      exhausted = true;
      return undefined;
    }
    return r.value;
  };
  const lane = async (): Promise<void> => {
    let worker: Worker | undefined;
    try {
      for (let file = await nextFile(); file !== undefined; file = await nextFile()) {
        worker ??= spawn(heap);
        let outcome: HostOutcome;
        try {
          outcome = await ask(worker, { seq: ++seq, file });
        } catch (err) {
          outcome = {
            kind: 'unreadable',
            host: hostNameOf(file),
            file,
            reason: `${file}: ${describeDeath(err)}`,
          };
          void worker.terminate();
          worker = undefined;
        }
        options.onOutcome(outcome);
      }
    } finally {
      await worker?.terminate();
    }
  };
  const jobs = Math.max(1, Math.floor(options.jobs));
  await Promise.all(Array.from({ length: jobs }, lane));
}
