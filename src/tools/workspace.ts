// The run's workspace: every path a tool reads or writes is resolved here, and one that leaves it is refused.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { FailureType } from '../base/failure-types';
import type { Workspace } from './types';

function outside(relative: string, root: string, how: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.PathOutsideWorkspace,
    nonRetryable: true,
    message: `path '${relative}' ${how}, outside the run's workspace ${root}: use a path inside it (orc run --workspace DIR chooses the workspace); nothing was touched`,
  });
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (!relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative));
}

/** The real path of `candidate`'s longest existing ancestor (itself when it exists), with the rest appended. */
function realPathOfExistingPart(candidate: string): string {
  const missing: string[] = [];
  let current = candidate;
  for (;;) {
    try {
      const real = fs.realpathSync(current);
      return path.join(real, ...missing.reverse());
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      const parent = path.dirname(current);
      if (parent === current) return candidate;
      missing.push(path.basename(current));
      current = parent;
    }
  }
}

/** A symlink at `candidate` itself that dangles (its target does not exist yet) still must not point out. */
function danglingLinkTarget(candidate: string): string | undefined {
  try {
    if (!fs.lstatSync(candidate).isSymbolicLink()) return undefined;
    return path.resolve(path.dirname(candidate), fs.readlinkSync(candidate));
  } catch {
    return undefined;
  }
}

/** The workspace at `root` (an absolute directory, created when missing). */
export function openWorkspace(root: string): Workspace {
  if (!path.isAbsolute(root)) throw new Error(`the workspace must be an absolute path, got '${root}'`);
  fs.mkdirSync(root, { recursive: true });
  const realRoot = fs.realpathSync(root);
  return {
    root: realRoot,
    resolve(relative: string): string {
      if (typeof relative !== 'string' || relative === '' || relative.includes('\0')) {
        throw ApplicationFailure.create({ type: FailureType.InvalidStep, nonRetryable: true, message: `a path must be a non-empty string, got ${JSON.stringify(relative)}` });
      }
      // An absolute path is accepted when it already points inside the workspace (the dialect writes some so).
      const lexical = path.isAbsolute(relative) ? path.normalize(relative) : path.resolve(realRoot, relative);
      const lexicalInRoot = isInside(realRoot, lexical) || isInside(root, lexical);
      if (!lexicalInRoot) throw outside(relative, realRoot, path.isAbsolute(relative) ? 'is absolute' : 'climbs out with ..');
      const real = realPathOfExistingPart(lexical);
      if (!isInside(realRoot, real)) throw outside(relative, realRoot, 'goes through a symbolic link');
      const dangling = danglingLinkTarget(real);
      if (dangling !== undefined && !isInside(realRoot, realPathOfExistingPart(dangling))) throw outside(relative, realRoot, 'is a symbolic link pointing');
      return real;
    },
  };
}
