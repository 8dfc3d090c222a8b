// A real PostgreSQL server for tests (Debian's package, installed by scripts/setup-postgres.sh): a fresh cluster in
// a temporary directory on a free loopback port, run as the non-root `postgres` user, stopped and removed after.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { freePort } from './ports';

export interface PostgresServer {
  /** postgres://orc@127.0.0.1:PORT/postgres */
  url: string;
  stop(): Promise<void>;
}

/** initdb and pg_ctl: on PATH, or Debian's /usr/lib/postgresql/VERSION/bin (newest first). */
function binaryDirectory(): string {
  const onPath = (process.env.PATH ?? '').split(path.delimiter).find((directory) => directory && fs.existsSync(path.join(directory, 'initdb')));
  if (onPath) return onPath;
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions.map((version) => path.join(root, version, 'bin')).find((directory) => fs.existsSync(path.join(directory, 'initdb')));
  if (!found) throw new Error('PostgreSQL is not installed (no initdb): run `bash scripts/setup-postgres.sh`');
  return found;
}

/** The server refuses to run as root: as root, run it as the `postgres` user the Debian package creates. */
function asServerUser(command: string, args: string[]): string[] {
  return process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', command, ...args] : [command, ...args];
}

function run(argv: string[]): void {
  execFileSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = binaryDirectory();
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-postgres-'));
  const data = path.join(directory, 'data');
  if (process.getuid?.() === 0) run(['chown', 'postgres:', directory]);
  const port = await freePort();
  run(asServerUser(path.join(bin, 'initdb'), ['-D', data, '-U', 'orc', '--auth=trust', '--no-sync', '-E', 'UTF8']));
  run(
    asServerUser(path.join(bin, 'pg_ctl'), [
      '-D', data, '-l', path.join(directory, 'server.log'), '-w', '-t', '60',
      '-o', `-p ${port} -k ${directory} -c listen_addresses=127.0.0.1 -c fsync=off`,
      'start',
    ]),
  );
  const url = `postgres://orc@127.0.0.1:${port}/postgres`;
  const probe = new Client({ connectionString: url });
  await probe.connect();
  await probe.end();
  return {
    url,
    async stop() {
      try {
        run(asServerUser(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']));
      } finally {
        fs.rmSync(directory, { recursive: true, force: true });
      }
    },
  };
}
