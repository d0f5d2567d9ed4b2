// Marks the workerData of a fleet worker, so the bundle (which is also the worker's script) knows its role
// without loading the worker's code on every start.
export const FLEET_WORKER_ROLE = 'nfdoctor-fleet-worker';
