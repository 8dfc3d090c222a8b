// terminal and python-executor: a command or a Python program in the run_code sandbox (a fresh locked-down
// container); no network unless the step asks for it (`network: true`) and the worker allows it (ORC_SANDBOX_NETWORK=1).
import * as fs from 'node:fs';
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { FailureType } from '../base/failure-types';
import { readSettings } from '../base/settings';
import { DEFAULT_CODE_MEMORY_MB, DEFAULT_CODE_TIMEOUT_SECONDS, MAX_CODE_MEMORY_MB, MIN_CODE_MEMORY_MB } from '../compiler/run-code-rules';
import type { Availability, SandboxRequest, ToolContext, ToolModule } from './types';

/** Bytes of workspace files handed to a program, in all. */
const MAX_INPUT_FILE_BYTES = 4 * 1024 * 1024;

const common = {
  timeout: z.coerce.number().positive().max(3600).default(DEFAULT_CODE_TIMEOUT_SECONDS),
  memory_mb: z.coerce.number().int().min(MIN_CODE_MEMORY_MB).max(MAX_CODE_MEMORY_MB).default(DEFAULT_CODE_MEMORY_MB),
  network: z.boolean().default(false),
  /** Workspace files copied into the program's work directory (same relative names). */
  input_files: z.array(z.string()).default([]),
};
const terminalParameters = z.object({ command: z.string().trim().min(1, 'must be the command to run'), working_dir: z.string().optional(), ...common });
const pythonParameters = z.object({ code: z.string().trim().min(1, 'must be the Python program to run'), ...common });

function inputFiles(names: string[], context: ToolContext): Record<string, string> {
  const files: Record<string, string> = {};
  let total = 0;
  for (const name of names) {
    const content = fs.readFileSync(context.workspace.resolve(name), 'utf8');
    total += Buffer.byteLength(content);
    if (total > MAX_INPUT_FILE_BYTES) throw ApplicationFailure.create({ type: FailureType.InvalidStep, nonRetryable: true, message: `input_files hold more than ${MAX_INPUT_FILE_BYTES} bytes` });
    files[name.replace(/^(\.\/)+/, '')] = content;
  }
  return files;
}

async function runInSandbox(request: Omit<SandboxRequest, 'network'>, wantsNetwork: boolean, context: ToolContext): Promise<Record<string, unknown>> {
  if (wantsNetwork && !readSettings(context.env).sandboxNetwork) {
    throw ApplicationFailure.create({
      type: FailureType.NetworkRefused,
      nonRetryable: true,
      message: 'the step asks for network: true, and this worker does not allow sandboxed code a network: start the worker with ORC_SANDBOX_NETWORK=1, or drop network: true',
    });
  }
  const runCode = context.services?.runCode;
  if (!runCode) throw ApplicationFailure.create({ type: FailureType.ToolUnavailable, nonRetryable: true, message: 'this worker lends tools no sandbox' });
  const answer = await runCode({ ...request, network: wantsNetwork });
  const problem = answer.timed_out ? `timed out after ${request.timeoutSeconds}s` : answer.oom_killed ? `went over its memory limit of ${request.memoryMb} MB` : answer.exit_code !== 0 ? `exited with code ${answer.exit_code}` : null;
  return {
    return_code: answer.exit_code,
    stdout: answer.stdout,
    stderr: answer.stderr,
    output: answer.stdout,
    files: answer.files,
    timed_out: answer.timed_out,
    duration_ms: answer.duration_ms,
    execution_time: answer.duration_ms / 1000,
    success: problem === null,
    ...(problem !== null ? { error: `the program ${problem}` } : {}),
  };
}

/** Sandboxed code needs a Docker engine; the image is checked when a step runs (its message says how to build it). */
function dockerAvailability(env: NodeJS.ProcessEnv): Availability {
  if (env.DOCKER_HOST || fs.existsSync('/var/run/docker.sock')) return { available: true };
  return { available: false, reason: 'no Docker engine: install Docker (or set DOCKER_HOST) and build the sandbox image with npm run setup:sandbox' };
}

export const terminalTool: ToolModule = {
  name: 'terminal',
  description: 'A shell command in the run_code sandbox (bash, no network by default): {return_code, stdout, stderr}.',
  actions: {
    execute: {
      description: 'runs the command (a leading ! is dropped)',
      parameters: terminalParameters,
      run: (parameters: z.infer<typeof terminalParameters>, context) => {
        const command = parameters.command.replace(/^!\s*/, '');
        const code = parameters.working_dir ? `mkdir -p ${JSON.stringify(parameters.working_dir)} && cd ${JSON.stringify(parameters.working_dir)} && ${command}` : command;
        // The result names the command it ran, as the Python orchestrator's pipelines read it (`STEP.command`).
        return runInSandbox(
          { language: 'bash', code, timeoutSeconds: parameters.timeout, memoryMb: parameters.memory_mb, files: inputFiles(parameters.input_files, context) },
          parameters.network,
          context,
        ).then((result) => ({ command, ...result }));
      },
    },
  },
  defaultAction: 'execute',
  availability: dockerAvailability,
};

export const pythonExecutorTool: ToolModule = {
  name: 'python-executor',
  description: 'A Python program in the run_code sandbox (no network by default): {return_code, stdout, stderr}.',
  actions: {
    execute: {
      description: 'runs the program',
      parameters: pythonParameters,
      run: (parameters: z.infer<typeof pythonParameters>, context) =>
        runInSandbox(
          { language: 'python', code: parameters.code, timeoutSeconds: parameters.timeout, memoryMb: parameters.memory_mb, files: inputFiles(parameters.input_files, context) },
          parameters.network,
          context,
        ),
    },
  },
  defaultAction: 'execute',
  availability: dockerAvailability,
};
