// A reader for tests of output to a non-blocking pipe: write(2) then takes only what fits (EAGAIN after).
import { spawnSync } from 'node:child_process';

export const HAS_PYTHON = spawnSync('python3', ['--version']).status === 0;

/**
 * `python3 -c SLOW_NON_BLOCKING_READER ARGV...` runs ARGV with stdout on a pipe set O_NONBLOCK, reads the
 * pipe only after a second, then prints what arrived to stdout and "status N" (ARGV's exit status) to stderr.
 */
export const SLOW_NON_BLOCKING_READER = `
import fcntl, os, subprocess, sys, time
r, w = os.pipe()
fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
p = subprocess.Popen(sys.argv[1:], stdout=w)
os.close(w)
time.sleep(1.0)
chunks = []
while True:
    b = os.read(r, 65536)
    if not b:
        break
    chunks.append(b)
sys.stderr.write("status %d\\n" % p.wait())
sys.stdout.buffer.write(b"".join(chunks))
`;
