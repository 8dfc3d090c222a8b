// The first errors a new user meets, through the real `orc` command and API: an unknown model, broken YAML, a
// Temporal server that is not there (refusing, or silent), a missing pipeline file, and connecting again.
import * as net from 'node:net';
import * as path from 'node:path';
import { Orchestrator, PipelineValidationError, type CompiledPipeline } from '../../src/client';
import { TEMPORAL_CONNECT_TIMEOUT_MS, TemporalUnreachableError } from '../../src/base/temporal-unreachable-error';
import { orcEnvironment, runOrc } from '../helpers/cli';
import { freePort } from '../helpers/ports';

const fixture = (name: string): string => path.join('test', 'fixtures', 'cli', name);

/** A TCP server that accepts connections and never answers: a firewall or a wrong service on the port. */
async function silentServer(): Promise<{ address: string; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('orc validate names what a user got wrong', () => {
  test('an unknown model or provider: exit 1, each at its line:column, with a did-you-mean', async () => {
    const file = fixture('unknown-models.yaml');
    const result = await runOrc(['validate', file]);
    expect(result.code).toBe(1);
    expect(result.stdout.trim().split('\n')).toEqual([
      `${file}:3:10: UNKNOWN_MODEL model 'openai:gpt-4o-mnii' is not in the model catalog (did you mean 'openai:gpt-4o-mini'?); if you do mean this model, add it to your models.yaml`,
      `${file}:7:12: UNKNOWN_MODEL unknown model provider 'foo' in 'foo:bar' (providers: local, echo, openai, anthropic, google)`,
      `${file}:10:12: UNKNOWN_MODEL no local model is named 'anything' (local models: smollm2-135m); add it to models.yaml with provider: local`,
    ]);
  });

  test('an unterminated string: the line where its quote opens, and where parsing stopped', async () => {
    const file = fixture('unterminated.yaml');
    const result = await runOrc(['validate', file]);
    expect(result.code).toBe(1);
    expect(result.stdout.trim()).toBe(
      `${file}:4:13: YAML_SYNTAX malformed YAML: Missing closing "quote: the double-quoted string that opens here is never closed (parsing stopped at line 8, column 1)`,
    );
  });

  test('orc run refuses an unknown model before it starts anything', async () => {
    const result = await runOrc(['run', fixture('unknown-models.yaml'), '--dry-run']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("UNKNOWN_MODEL unknown model provider 'foo'");
    expect(result.stderr).not.toContain('Starting');
  });

  test('compile --resolve asks the model a run would: a step\'s requirement goes through selection, not to local', async () => {
    const result = await runOrc(['compile', '--resolve', '--json', fixture('auto-requirement.yaml')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`orc: step 'pick': Model requirement {"tasks":["astrology"]}: no model in the catalog meets it.`);
    expect(result.stdout).toBe('');
  });
});

describe('an unreachable TEMPORAL_ADDRESS', () => {
  test('orc run and orc worker name the address and what to check when nothing listens there', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const environment = orcEnvironment({ TEMPORAL_ADDRESS: address });
    const [run, worker] = await Promise.all([
      runOrc(['run', 'pipelines/summarize.yaml', '-i', 'text=hello', '--dry-run'], environment),
      runOrc(['worker'], environment),
    ]);
    for (const result of [run, worker]) {
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `orc: cannot reach the Temporal server at ${address} (TEMPORAL_ADDRESS): connection refused. Check that a Temporal server is running there`,
      );
      expect(result.stderr).toContain('unset TEMPORAL_ADDRESS');
    }
  });

  test('orc run and orc worker give up on a server that accepts but never answers, saying so', async () => {
    const silent = await silentServer();
    try {
      const environment = orcEnvironment({ TEMPORAL_ADDRESS: silent.address });
      const [run, worker] = await Promise.all([
        runOrc(['run', 'pipelines/summarize.yaml', '-i', 'text=hello', '--dry-run'], environment),
        runOrc(['worker'], environment),
      ]);
      for (const result of [run, worker]) {
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(`orc: cannot reach the Temporal server at ${silent.address} (TEMPORAL_ADDRESS): no answer within ${TEMPORAL_CONNECT_TIMEOUT_MS / 1000} s.`);
      }
    } finally {
      await silent.close();
    }
  });
});

describe('the Orchestrator API', () => {
  test('executeYamlFile on a missing file throws PipelineValidationError naming the file', async () => {
    const orchestrator = new Orchestrator({ address: process.env.ORC_TEST_TEMPORAL_ADDRESS!, worker: false });
    const missing = path.join('test', 'fixtures', 'cli', 'no-such-pipeline.yaml');
    const error = await orchestrator.executeYamlFile(missing).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PipelineValidationError);
    expect((error as PipelineValidationError).message).toMatch(new RegExp(`^${missing.replace(/\./g, '\\.')}:1:1: FILE_UNREADABLE cannot read file: ENOENT`));
    await orchestrator.close();
  });

  test('start checks a compiled pipeline handed in through the API against its schema, before connecting', async () => {
    const orchestrator = new Orchestrator({ address: '127.0.0.1:1', worker: false });
    const handMade = { name: 'hand_made', steps: [{ id: 'a' }] } as unknown as CompiledPipeline;
    await expect(orchestrator.start(handMade, {})).rejects.toThrow(/^not a compiled pipeline: .*steps\.0\.actionKind/);
    await orchestrator.close();
  });

  test('an Orchestrator whose connect failed connects once the server is there', async () => {
    const port = await freePort();
    const orchestrator = new Orchestrator({ address: `127.0.0.1:${port}`, worker: false });
    const [host, targetPort] = process.env.ORC_TEST_TEMPORAL_ADDRESS!.split(':') as [string, string];
    // The server "comes up" on the address: a TCP relay to the suite's Temporal server.
    const relay = net.createServer((client) => {
      const upstream = net.connect(Number(targetPort), host);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    try {
      await expect(orchestrator.connect()).rejects.toBeInstanceOf(TemporalUnreachableError);
      await new Promise<void>((resolve) => relay.listen(port, '127.0.0.1', resolve));
      await orchestrator.connect();
      expect(await orchestrator.hasPollers()).toBe(false);
    } finally {
      await orchestrator.close();
      relay.close();
    }
  });
});
