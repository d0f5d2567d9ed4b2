// The fleet worker's side of the protocol: receive a file name, answer with its outcome, one at a time.
import type { MessagePort } from 'node:worker_threads';
import { diagnoseSnapshotFile } from './diagnose-file.ts';

export { FLEET_WORKER_ROLE } from './role.ts';

export interface WorkRequest {
  readonly seq: number;
  readonly file: string;
}

export function serveFleetWorker(port: MessagePort): void {
  port.on('message', (req: WorkRequest) => {
    void diagnoseSnapshotFile(req.file).then((outcome) => {
      port.postMessage({ seq: req.seq, outcome });
    });
  });
}
