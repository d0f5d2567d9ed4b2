// The Debian source package of iptables 1.8.9 (the userspace this project models), unpacked in a cache
// outside git. The mirror comes from the machine's own apt sources (/etc/apt/sources.list.d/*.sources),
// with a private apt configuration that adds only a deb-src line: the host's apt state is not touched.
// Used by gen-iptables-grammar.mjs (option grammar) and iptables-corpus.mjs (extensions/*.t).
//
// Env: NFDOCTOR_IPTABLES_SRC=DIR  an already unpacked iptables-1.8.9 tree (skips the download)
//      XDG_CACHE_HOME             cache root (default ~/.cache); the tree lands in nfdoctor/iptables-src
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const IPTABLES_VERSION = '1.8.9';
export const DEBIAN_VERSION = '1.8.9-2';

/** First deb822 stanza of Types: deb with a Debian archive: its URI, first suite and keyring. */
export function debianMirror(dir = '/etc/apt/sources.list.d') {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.sources')) : [];
  for (const file of files.sort()) {
    for (const stanza of readFileSync(join(dir, file), 'utf8').split(/\n\s*\n/)) {
      const field = (name) =>
        stanza
          .split('\n')
          .find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
          ?.slice(name.length + 1)
          .trim();
      const types = field('Types')?.split(/\s+/) ?? [];
      const uri = field('URIs')?.split(/\s+/)[0];
      const suite = field('Suites')?.split(/\s+/)[0];
      if (types.includes('deb') && uri !== undefined && suite !== undefined && !suite.includes('security')) {
        return { uri, suite, signedBy: field('Signed-By') };
      }
    }
  }
  throw new Error(`no "Types: deb" entry in ${dir}/*.sources to take the Debian mirror from`);
}

function cacheRoot() {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'nfdoctor', 'iptables-src');
}

/** Path of the unpacked iptables-1.8.9 tree, fetching and unpacking it first when needed. */
export function iptablesSourceTree() {
  const given = process.env.NFDOCTOR_IPTABLES_SRC;
  if (given !== undefined && given !== '') {
    return given;
  }
  const root = cacheRoot();
  const tree = join(root, `iptables-${IPTABLES_VERSION}`);
  if (existsSync(join(tree, 'extensions'))) {
    return tree;
  }
  const apt = join(root, 'apt');
  const download = join(root, 'download');
  mkdirSync(join(apt, 'lists', 'partial'), { recursive: true });
  mkdirSync(join(apt, 'cache', 'archives', 'partial'), { recursive: true });
  mkdirSync(download, { recursive: true });
  const { uri, suite, signedBy } = debianMirror();
  const options = signedBy === undefined ? '' : `[signed-by=${signedBy}] `;
  writeFileSync(join(apt, 'sources.list'), `deb-src ${options}${uri} ${suite} main\n`);
  const aptOptions = [
    '-o',
    `Dir::Etc::sourcelist=${join(apt, 'sources.list')}`,
    '-o',
    'Dir::Etc::sourceparts=-',
    '-o',
    `Dir::State::Lists=${join(apt, 'lists')}`,
    '-o',
    `Dir::Cache=${join(apt, 'cache')}`,
    '-o',
    'APT::Get::List-Cleanup=0',
    // The cache belongs to whoever runs this script: apt need not drop privileges to _apt for it.
    '-o',
    'APT::Sandbox::User=root',
  ];
  const quiet = { stdio: ['ignore', 'ignore', 'inherit'] };
  execFileSync('apt-get', [...aptOptions, '-qq', 'update'], quiet);
  // apt-get source verifies the .dsc and tarballs against the signed Sources index.
  execFileSync('apt-get', [...aptOptions, '-qq', 'source', '--download-only', `iptables=${DEBIAN_VERSION}`], {
    ...quiet,
    cwd: download,
  });
  execFileSync('tar', ['-xf', join(download, `iptables_${IPTABLES_VERSION}.orig.tar.xz`), '-C', root], quiet);
  return tree;
}
