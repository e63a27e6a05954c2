// A real PostgreSQL server for black-box tests: initdb into a temporary
// directory, pg_ctl on a free loopback port (its unix socket in that
// directory too), removed by destroy(). As root the server runs as the
// `postgres` user (PostgreSQL refuses to run as root).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './helpers.mjs';

/** The newest /usr/lib/postgresql/N/bin holding initdb, or null. */
export function pgBinDir() {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return null;
  const versions = fs.readdirSync(root)
    .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(root, versions[0], 'bin') : null;
}

export async function startPostgres() {
  const bin = pgBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found (install the postgresql package)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'troupe-pg-'));
  const asRoot = process.getuid() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    fs.chownSync(dir, uid, gid);
  }
  const run = (tool, args) => {
    const [cmd, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args]]
      : [path.join(bin, tool), args];
    return execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  };
  const port = await freePort();
  const data = path.join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'troupe', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const pg = {
    port,
    dir,
    uri: (db) => `postgresql://troupe@127.0.0.1:${port}/${db}`,
    spec: (db) => `postgres:postgresql://troupe@127.0.0.1:${port}/${db}`,
    start() {
      run('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', '-o',
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, 'start']);
    },
    /** mode fast: clients are disconnected at once; immediate: as a crash. */
    stop(mode = 'fast') {
      run('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
    },
    createDb(name) {
      run('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'troupe', name]);
      return pg.spec(name);
    },
    destroy() {
      try {
        pg.stop('immediate');
      } catch {
        /* not running */
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  pg.start();
  return pg;
}
