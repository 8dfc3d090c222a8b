// The rules of run_code parameters, shared by the compiler and the workflow (no imports: the workflow bundle takes it).

export const RUN_CODE_LANGUAGES = ['python', 'javascript', 'bash'] as const;
export const RUN_CODE_PARAMETERS = ['language', 'code', 'files', 'timeout', 'memory_mb', 'allow_failure'] as const;
export const DEFAULT_CODE_TIMEOUT_SECONDS = 30;
export const DEFAULT_CODE_MEMORY_MB = 256;
export const MIN_CODE_MEMORY_MB = 16;
export const MAX_CODE_MEMORY_MB = 4096;

export function isSafeWorkFileName(name: string): boolean {
  return /^[A-Za-z0-9._-][A-Za-z0-9._/-]*$/.test(name) && !name.split('/').includes('..');
}

