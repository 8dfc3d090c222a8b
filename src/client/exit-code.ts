// How an `orc` command ends: a thrown ExitCode carries the process's exit status to `main`.

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** A command line the command cannot use: says why on stderr and exits with the usage status. */
export function usageError(message: string): ExitCode {
  process.stderr.write(`orc: ${message}\n`);
  return new ExitCode(EXIT_USAGE);
}
