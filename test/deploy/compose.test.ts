// docker-compose.yml is a valid Compose file (Debian's docker-compose, or `docker compose`), its Prometheus
// configuration is valid (promtool), and the worker service is built from the repository's Dockerfile.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repositoryRoot } from '../helpers/cli';

function composeCommand(): string[] {
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) return ['docker', 'compose'];
  return ['docker-compose'];
}

test('docker-compose config accepts the file; the worker is built here and scalable; Prometheus scrapes every worker', () => {
  const [command, ...prefix] = composeCommand();
  const check = spawnSync(command!, [...prefix, '-f', 'docker-compose.yml', 'config', '-q'], { cwd: repositoryRoot, encoding: 'utf8' });
  expect(check.stderr).toBe('');
  expect(check.status).toBe(0);

  const services = execFileSync(command!, [...prefix, '-f', 'docker-compose.yml', 'config', '--services'], { cwd: repositoryRoot, encoding: 'utf8' }).split('\n');
  expect(services).toEqual(expect.arrayContaining(['postgresql', 'temporal', 'temporal-ui', 'worker', 'prometheus']));
  const resolved = execFileSync(command!, [...prefix, '-f', 'docker-compose.yml', 'config'], { cwd: repositoryRoot, encoding: 'utf8' });
  const worker = /\n {2}worker:\n((?: {4}.*\n)+)/.exec(resolved)?.[1] ?? '';
  // Built from this repository; no fixed container name or host port, so `--scale worker=3` works.
  expect(worker).toMatch(/build:\n\s+context: \S+/);
  expect(worker).not.toMatch(/container_name|published|ports:/);
  expect(fs.existsSync(path.join(repositoryRoot, 'Dockerfile'))).toBe(true);

  const promtool = spawnSync('promtool', ['check', 'config', 'prometheus.yml'], { cwd: repositoryRoot, encoding: 'utf8' });
  expect(promtool.status).toBe(0);
  expect(fs.readFileSync(path.join(repositoryRoot, 'prometheus.yml'), 'utf8')).toMatch(/names: \[worker\][\s\S]*port: 9464/);
});
