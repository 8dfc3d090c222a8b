// git: a remote repository cloned (or its refs listed) by git inside the run_code sandbox, whose network the worker
// must allow (ORC_SANDBOX_NETWORK=1); the clone's text files are written into the workspace. The sandbox image
// built from sandbox/image.json has no git today: then the tool is unavailable and says what to add.
import * as dns from 'node:dns/promises';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { FailureType } from '../base/failure-types';
import { projectRoot } from '../base/paths';
import { readSettings } from '../base/settings';
import { NetworkPolicy, networkRefused } from './net-guard';
import { invalidParameters, toolFailure } from './tool-failure';
import type { Availability, SandboxAnswer, ToolContext, ToolModule } from './types';

const NO_GIT = 'the sandbox image has no git: add "git" to the packages of sandbox/image.json and run `bash scripts/setup-sandbox.sh` (or set ORC_SANDBOX_IMAGE to an image with git)';
const MISSING_MARK = 'orc: the sandbox image has no git';

export function gitAvailability(env: NodeJS.ProcessEnv): Availability {
  if (env.ORC_SANDBOX_IMAGE) return { available: true };
  try {
    const recipe = JSON.parse(fs.readFileSync(path.join(projectRoot, 'sandbox', 'image.json'), 'utf8')) as { packages?: string[] };
    return recipe.packages?.includes('git') ? { available: true } : { available: false, reason: NO_GIT };
  } catch {
    return { available: false, reason: `cannot read sandbox/image.json: ${NO_GIT}` };
  }
}

const remoteParameters = z.looseObject({
  url: z.string(),
  branch: z.string().optional(),
  depth: z.number().int().positive().optional(),
  /** Workspace folder for the clone (default: the repository's name). */
  destination: z.string().optional(),
  timeout: z.number().int().positive().optional(),
});
type RemoteParameters = z.infer<typeof remoteParameters>;

function remoteUrl(url: string): string {
  if (!/^https:\/\/[^\s]+$/.test(url.trim())) throw invalidParameters(`'${url}' is not an https URL: git clones only https remotes`);
  return url.trim();
}

/** The remote's host must be public (ORC_NET_ALLOW the exceptions): the sandbox's network would reach private ones too. */
async function checkHost(url: string, env: NodeJS.ProcessEnv): Promise<void> {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  const policy = new NetworkPolicy(readSettings(env).netAllow);
  const addresses = await dns.lookup(host, { all: true }).catch(() => []);
  if (addresses.length === 0) throw toolFailure(FailureType.ToolFailed, `cannot resolve ${host}`);
  for (const { address } of addresses) {
    const why = policy.refusal(host, address);
    if (why !== undefined) throw networkRefused(url, why);
  }
}

/** Runs `script` (bash) in the sandbox with the network; the URL and branch travel as files, never in the script. */
async function inSandbox(script: string, parameters: RemoteParameters, context: ToolContext): Promise<SandboxAnswer> {
  const runCode = context.services?.runCode;
  if (!runCode) throw toolFailure(FailureType.ToolUnavailable, 'this worker lends tools no sandbox: run git steps on an orc worker with Docker');
  if (!readSettings(context.env).sandboxNetwork) {
    throw toolFailure(FailureType.NetworkRefused, 'git needs the network in the sandbox, and this worker does not allow it: start the worker with ORC_SANDBOX_NETWORK=1');
  }
  await checkHost(remoteUrl(parameters.url), context.env);
  const answer = await runCode({
    language: 'bash',
    code: `command -v git >/dev/null || { echo "${MISSING_MARK}" >&2; exit 127; }\nset -eu\n${script}`,
    timeoutSeconds: parameters.timeout ?? 120,
    memoryMb: 512,
    files: { 'orc-url': remoteUrl(parameters.url), 'orc-branch': parameters.branch ?? '' },
    network: true,
  });
  if (answer.stderr.includes(MISSING_MARK)) throw toolFailure(FailureType.ToolUnavailable, `tool 'git': ${NO_GIT}`);
  if (answer.exit_code !== 0) throw toolFailure(FailureType.ToolFailed, `git failed (exit ${answer.exit_code}${answer.timed_out ? ', timed out' : ''}): ${answer.stderr.trim().split('\n').slice(-3).join(' ')}`);
  return answer;
}

const CLONE = `branch=$(cat orc-branch)
git -c http.followRedirects=false clone --quiet --depth "$DEPTH" \${branch:+--branch "$branch"} -- "$(cat orc-url)" repo
git -C repo log -n 20 --format='%H%x09%an%x09%aI%x09%s' > log.tsv
rm -rf repo/.git orc-url orc-branch`;

async function clone(parameters: RemoteParameters, context: ToolContext): Promise<Record<string, unknown>> {
  const name = parameters.destination ?? path.basename(new URL(remoteUrl(parameters.url)).pathname).replace(/\.git$/, '');
  const destination = context.workspace.resolve(name || 'repo');
  const answer = await inSandbox(`DEPTH=${parameters.depth ?? 1}\n${CLONE}`, parameters, context);
  const files: string[] = [];
  for (const [file, content] of Object.entries(answer.files)) {
    if (!file.startsWith('repo/') || content.startsWith('[binary file')) continue;
    const relative = path.posix.join(name || 'repo', file.slice('repo/'.length));
    const target = context.workspace.resolve(relative);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content);
    context.wrote(relative);
    files.push(relative);
  }
  const log = (answer.files['log.tsv'] ?? '').trim().split('\n').filter(Boolean).map((line) => {
    const [commit, author, date, subject] = line.split('\t');
    return { commit, author, date, subject };
  });
  return { path: path.relative(context.workspace.root, destination) || '.', commit: log[0]?.commit ?? null, log, files, count: files.length };
}

async function lsRemote(parameters: RemoteParameters, context: ToolContext): Promise<Record<string, unknown>> {
  const answer = await inSandbox('git -c http.followRedirects=false ls-remote --heads --tags -- "$(cat orc-url)"', parameters, context);
  const refs = answer.stdout.trim().split('\n').filter(Boolean).map((line) => {
    const [commit, ref] = line.split('\t');
    return { commit, ref };
  });
  return { refs, count: refs.length };
}

export const gitTool: ToolModule = {
  name: 'git',
  description: 'git in the run_code sandbox (network allowed by the worker): clone a https remote into the workspace, list its refs',
  actions: {
    clone: { description: 'Clones `url` (`branch`, `depth` 1) into `destination`: text files, {commit, log, files}', parameters: remoteParameters, run: clone },
    ls_remote: { description: 'The heads and tags of `url`: {refs: [{commit, ref}]}', parameters: remoteParameters, run: lsRemote },
  },
  defaultAction: 'clone',
  availability: gitAvailability,
};
