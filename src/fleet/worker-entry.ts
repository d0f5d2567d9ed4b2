// Entry of a fleet worker when nfdoctor runs from its TypeScript sources (tsx, tests); the bundle uses itself.
import { parentPort } from 'node:worker_threads';
import { serveFleetWorker } from './worker.ts';

if (parentPort != null) {
  serveFleetWorker(parentPort);
}
