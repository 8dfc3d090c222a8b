// run_code: a program in a fresh, locked-down container per execution, removed on every path.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import Docker from 'dockerode';
import { projectRoot } from '../base/paths';
import { readSettings } from '../base/settings';
import { FailureType } from '../base/failure-types';
import { packFiles, unpackFiles } from './sandbox-tar';
import { noStepCache, type StepCache } from './step-cache';
import type { CallRecord, RunCodeInput, RunCodeResult } from './types';

export const SANDBOX_LABEL = 'org.orchestrator.sandbox';
/** Unix time after which a sandbox container is an orphan any worker may remove. */
export const SANDBOX_DEADLINE_LABEL = 'org.orchestrator.deadline';
/** A container ends itself this long after the program's timeout: room to put files in and take them out. */
export const SANDBOX_GRACE_SECONDS = 20;

const PROGRAM_FILE: Record<RunCodeInput['language'], { file: string; command: string[] }> = {
  python: { file: 'main.py', command: ['python3', 'main.py'] },
  javascript: { file: 'main.js', command: ['node', 'main.js'] },
  bash: { file: 'main.sh', command: ['bash', 'main.sh'] },
};

/** Reads the tar of files on stdin into /work, then runs the program in its place (stdin then at end of file). */
const UNPACK_THEN_RUN = 'tar -x -C /work || { echo "orc: could not unpack the files into /work" >&2; exit 125; }; exec "$@" </dev/null';

export interface SandboxLimits {
  /** Bytes of stdout and of stderr kept; the rest is counted and replaced by a marker. */
  outputBytes: number;
  /** Bytes of output files returned, in all. */
  filesBytes: number;
  /** Size of the tmpfs work directory, MB. */
  workDirMb: number;
  pids: number;
  cpus: number;
}

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = {
  outputBytes: readSettings().sandboxOutputBytes,
  filesBytes: 4 * 1024 * 1024,
  workDirMb: 64,
  pids: 64,
  cpus: readSettings().sandboxCpus,
};

/** The recipe ships with orc and does not change under a running worker: read and hashed once. */
let recipeImage: string | undefined;

/** The image setup builds from sandbox/image.json (tag = hash of the recipe), unless ORC_SANDBOX_IMAGE names another. */
export function sandboxImage(): string {
  return readSettings().sandboxImage ?? (recipeImage ??= imageOfRecipe());
}

function imageOfRecipe(): string {
  const recipe = fs.readFileSync(path.join(projectRoot, 'sandbox', 'image.json'));
  const { repository } = JSON.parse(recipe.toString('utf8')) as { repository: string };
  return `${repository}:${createHash('sha256').update(recipe).digest('hex').slice(0, 12)}`;
}

/** Keeps the first `limit` bytes of a stream and counts the rest. */
class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  kept = 0;
  dropped = 0;
  constructor(private readonly limit: number) {}
  push(chunk: Buffer): void {
    const room = this.limit - this.kept;
    if (room > 0) {
      const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
      this.chunks.push(part);
      this.kept += part.length;
    }
    this.dropped += Math.max(0, chunk.length - Math.max(room, 0));
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
  text(): string {
    const text = this.bytes().toString('utf8');
    return this.dropped > 0 ? `${text}\n[orc: output truncated, ${this.dropped} more bytes not kept]` : text;
  }
}

function engineError(error: unknown, image: string): Error {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string; statusCode?: number }).code;
  const status = (error as { statusCode?: number }).statusCode;
  if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES') {
    return ApplicationFailure.retryable(
      `sandbox: no Docker engine answers (${message}). Run scripts/setup-sandbox.sh (it starts dockerd as root), or set DOCKER_HOST.`,
      FailureType.SandboxEngineUnavailable,
    );
  }
  if (status === 404 && /image/i.test(message)) {
    return ApplicationFailure.nonRetryable(
      `sandbox: image '${image}' is not on this Docker engine. Run scripts/setup-sandbox.sh to build it, or set ORC_SANDBOX_IMAGE to an image you have.`,
      FailureType.SandboxImageMissing,
    );
  }
  return ApplicationFailure.retryable(`sandbox: Docker engine error: ${message}`, FailureType.SandboxEngineError);
}

/** Runs one exec in the container; resolves when its streams end. */
async function execIn(
  container: Docker.Container,
  command: string[],
  io: { stdin?: Buffer; stdout: (chunk: Buffer) => void; stderr: (chunk: Buffer) => void },
): Promise<number | null> {
  const exec = await container.exec({ Cmd: command, AttachStdin: io.stdin !== undefined, AttachStdout: true, AttachStderr: true, WorkingDir: '/work' });
  const stream = (await exec.start({ hijack: true, stdin: io.stdin !== undefined })) as NodeJS.ReadWriteStream & Readable;
  const out = new PassThrough();
  const err = new PassThrough();
  out.on('data', io.stdout);
  err.on('data', io.stderr);
  container.modem.demuxStream(stream, out, err);
  const ended = new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
  if (io.stdin !== undefined) stream.end(io.stdin);
  await ended;
  const info = await exec.inspect();
  return info.ExitCode ?? null;
}

export interface SandboxDependencies {
  docker?: Docker;
  limits?: Partial<SandboxLimits>;
}

export function createSandboxActivities(dependencies: SandboxDependencies = {}, stepCache: StepCache = noStepCache) {
  const docker = dependencies.docker ?? new Docker();
  const limits = { ...DEFAULT_SANDBOX_LIMITS, ...dependencies.limits };

  const uncached = {
    async runCode(input: RunCodeInput): Promise<RunCodeResult & CallRecord> {
      const context = Context.current();
      const image = sandboxImage();
      const program = PROGRAM_FILE[input.language];
      const started = Date.now();
      const info = context.info;
      const lifetimeSeconds = Math.ceil(input.timeoutSeconds) + SANDBOX_GRACE_SECONDS;
      let container: Docker.Container | undefined;
      let removed = false;
      const remove = async (): Promise<void> => {
        if (!container || removed) return;
        removed = true;
        await container.remove({ force: true }).catch(() => undefined);
      };
      const heartbeat = setInterval(() => context.heartbeat({ phase: 'running', elapsed_ms: Date.now() - started }), 1000);
      const onCancel = (): void => void remove();
      context.cancellationSignal.addEventListener('abort', onCancel);
      try {
        try {
          container = await docker.createContainer({
            name: `orc-sandbox-${input.stepId.replace(/[^a-zA-Z0-9_.-]/g, '_').slice(0, 40)}-${randomBytes(4).toString('hex')}`,
            Image: image,
            // PID 1 only waits: the program runs by exec, so the work directory outlives it and its files can be read.
            // The container ends itself after its lifetime even if this worker dies; AutoRemove then deletes it.
            Cmd: ['sleep', String(lifetimeSeconds)],
            User: '10001:10001',
            WorkingDir: '/work',
            Env: [],
            NetworkDisabled: input.network !== true,
            Labels: {
              [SANDBOX_LABEL]: '1',
              [SANDBOX_DEADLINE_LABEL]: String(Math.floor(started / 1000) + lifetimeSeconds),
              'org.orchestrator.workflow': info.workflowExecution?.workflowId ?? '',
              'org.orchestrator.step': input.stepId,
              'org.orchestrator.task-queue': info.taskQueue,
            },
            HostConfig: {
              AutoRemove: true,
              NetworkMode: input.network === true ? 'bridge' : 'none',
              ReadonlyRootfs: true,
              Tmpfs: {
                '/work': `rw,nosuid,nodev,size=${limits.workDirMb}m,uid=10001,gid=10001,mode=0700`,
                '/tmp': 'rw,nosuid,nodev,noexec,size=16m,mode=1777',
              },
              Memory: input.memoryMb * 1024 * 1024,
              MemorySwap: input.memoryMb * 1024 * 1024,
              NanoCpus: Math.round(limits.cpus * 1e9),
              PidsLimit: limits.pids,
              CapDrop: ['ALL'],
              SecurityOpt: ['no-new-privileges'],
              IpcMode: 'private',
              Binds: [],
            },
          });
          if (context.cancellationSignal.aborted) throw new CancelledFailure('cancelled');
          await container.start();
        } catch (error) {
          if (error instanceof ApplicationFailure || error instanceof CancelledFailure) throw error;
          throw engineError(error, image);
        }

        const stdout = new CappedBuffer(limits.outputBytes);
        const stderr = new CappedBuffer(limits.outputBytes);
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          void container?.kill().catch(() => undefined);
        }, input.timeoutSeconds * 1000);
        const runStarted = Date.now();
        let exitCode: number | null;
        try {
          // One exec unpacks the files (from stdin) and then becomes the program: each exec costs ~0.1 s.
          exitCode = await execIn(container, ['sh', '-c', UNPACK_THEN_RUN, 'sh', ...program.command], {
            stdin: packFiles({ ...input.files, [program.file]: input.code }),
            stdout: (chunk) => stdout.push(chunk),
            stderr: (chunk) => stderr.push(chunk),
          });
        } catch (error) {
          if (context.cancellationSignal.aborted) throw new CancelledFailure('cancelled');
          if (!timedOut) throw engineError(error, image);
          exitCode = null;
        } finally {
          clearTimeout(timer);
        }
        const durationMs = Date.now() - runStarted;
        if (context.cancellationSignal.aborted) throw new CancelledFailure('cancelled');

        let oomKilled = false;
        let files: Record<string, string> = {};
        if (!timedOut) {
          const state = await container.inspect().catch(() => null);
          // Docker marks OOMKilled only when PID 1 dies; the program runs by exec, so ask the memory cgroup (v1 or v2).
          oomKilled = state?.State.OOMKilled === true || (exitCode === 137 && state?.State.Running === true && (await oomKills(container)) > 0);
          if (state?.State.Running) files = await outputFiles(container, input, program.file, limits.filesBytes);
        }
        return {
          stdout: stdout.text(),
          stderr: stderr.text(),
          exit_code: timedOut ? null : exitCode,
          files,
          timed_out: timedOut,
          oom_killed: oomKilled,
          duration_ms: durationMs,
          attempt: info.attempt,
        };
      } finally {
        clearInterval(heartbeat);
        context.cancellationSignal.removeEventListener('abort', onCancel);
        await remove();
      }
    },
  };

  return {
    /**
     * Cached (spec section 9) by the language, code, files, limits and the sandbox image; only a run that exited 0
     * is kept: a failure may come from the machine's load (a timeout, a memory kill) as much as from the code.
     */
    async runCode(input: RunCodeInput): Promise<RunCodeResult & CallRecord> {
      const request = () => ({
        action: 'run_code',
        language: input.language,
        code: input.code,
        files: input.files,
        timeoutSeconds: input.timeoutSeconds,
        memoryMb: input.memoryMb,
        image: sandboxImage(),
        ...(input.network === true ? { network: true } : {}),
      });
      const succeeded = (result: RunCodeResult): boolean => result.exit_code === 0 && !result.timed_out && !result.oom_killed;
      // The stored answer is the result alone: the attempt that answers is always this one.
      const run = async (): Promise<RunCodeResult> => {
        const { attempt: _attempt, ...result } = await uncached.runCode(input);
        return result;
      };
      const { value, record } = await stepCache.answer(input.cache, request, run, succeeded);
      return { ...value, attempt: Context.current().info.attempt, ...(record ? { cache: record } : {}) };
    },
  };
}

/** How many processes the container's memory cgroup has killed. */
async function oomKills(container: Docker.Container): Promise<number> {
  let text = '';
  await execIn(container, ['cat', '/sys/fs/cgroup/memory/memory.oom_control', '/sys/fs/cgroup/memory.events'], {
    stdout: (chunk) => (text += chunk.toString('utf8')),
    stderr: () => undefined,
  }).catch(() => null);
  return Number(/^oom_kill (\d+)$/m.exec(text)?.[1] ?? 0);
}

/** Files the program created or changed in its work directory (text; binary ones are described, not returned). */
async function outputFiles(container: Docker.Container, input: RunCodeInput, programFile: string, capBytes: number): Promise<Record<string, string>> {
  const archive = new CappedBuffer(capBytes + 64 * 1024);
  const exitCode = await execIn(container, ['tar', '-c', '-C', '/work', '.'], { stdout: (chunk) => archive.push(chunk), stderr: () => undefined }).catch(() => null);
  if (exitCode !== 0 || archive.dropped > 0) {
    return archive.dropped > 0 ? { '[orc]': `output files left out: more than ${capBytes} bytes in all` } : {};
  }
  const files: Record<string, string> = {};
  for (const [name, data] of unpackFiles(archive.bytes())) {
    if (name === programFile || input.files[name] === data.toString('utf8')) continue;
    const text = data.toString('utf8');
    files[name] = Buffer.from(text, 'utf8').equals(data) ? text : `[binary file, ${data.length} bytes]`;
  }
  return files;
}

/** Removes sandbox containers whose deadline has passed (left by a worker that died before removing them). */
export async function removeOrphanSandboxes(docker: Docker = new Docker()): Promise<number> {
  const containers = await docker.listContainers({ all: true, filters: { label: [SANDBOX_LABEL] } });
  const now = Date.now() / 1000;
  let count = 0;
  for (const each of containers) {
    const deadline = Number(each.Labels[SANDBOX_DEADLINE_LABEL] ?? 0);
    if (deadline < now) {
      await docker
        .getContainer(each.Id)
        .remove({ force: true })
        .then(() => count++)
        .catch(() => undefined);
    }
  }
  return count;
}
