// What a run_code step's parameters may be, checked at compile time where they are literal (the workflow checks
// the rendered values again with the same rules).
import { didYouMean, type Diagnostic } from './diagnostics';
import { parseDuration } from './durations';
import type { Position, YamlPath } from './source';
import { isSafeWorkFileName, MAX_CODE_MEMORY_MB, MIN_CODE_MEMORY_MB, RUN_CODE_LANGUAGES, RUN_CODE_PARAMETERS } from './run-code-rules';
import { decidedAtRunTime, isPlainObject, type PlainObject } from './values';

type Report = (code: Diagnostic['code'], message: string, at: YamlPath, position?: Position) => void;
export function checkRunCodeStep(step: PlainObject, at: YamlPath, report: Report, keyPosition: (mapPath: YamlPath, key: string) => Position): void {
  const id = typeof step.id === 'string' ? `'${step.id}'` : `#${Number(at[at.length - 1]) + 1}`;
  const parameters = step.parameters;
  if (!isPlainObject(parameters)) {
    report('MISSING_FIELD', `step ${id}: action 'run_code' needs parameters: { language, code }`, [...at, 'parameters'], keyPosition(at, parameters === undefined ? 'action' : 'parameters'));
    return;
  }
  const parametersAt = [...at, 'parameters'];
  const { language, code, timeout, memory_mb: memoryMb, files, allow_failure: allowFailure } = parameters;
  if (code === undefined || code === null) {
    report('MISSING_FIELD', `step ${id}: action 'run_code' needs parameters.code: the program to run`, [...parametersAt, 'code'], keyPosition(at, 'parameters'));
  } else if (typeof code !== 'string' || code.trim() === '') {
    report('INVALID_VALUE', `step ${id}: parameters.code must be the program to run, as text`, [...parametersAt, 'code']);
  }
  if (language !== undefined && !decidedAtRunTime(language) && !(RUN_CODE_LANGUAGES as readonly unknown[]).includes(language)) {
    const hint = typeof language === 'string' ? didYouMean(language, RUN_CODE_LANGUAGES) : '';
    report('INVALID_VALUE', `step ${id}: parameters.language must be one of ${RUN_CODE_LANGUAGES.join(', ')}, got ${JSON.stringify(language)}${hint}`, [...parametersAt, 'language']);
  }
  if (timeout !== undefined && !decidedAtRunTime(timeout) && parseDuration(timeout) === undefined) {
    report('INVALID_VALUE', `step ${id}: parameters.timeout must be a duration such as 30 or "2m", got ${JSON.stringify(timeout)}`, [...parametersAt, 'timeout']);
  }
  if (
    memoryMb !== undefined &&
    !decidedAtRunTime(memoryMb) &&
    (typeof memoryMb !== 'number' || !Number.isInteger(memoryMb) || memoryMb < MIN_CODE_MEMORY_MB || memoryMb > MAX_CODE_MEMORY_MB)
  ) {
    report('INVALID_VALUE', `step ${id}: parameters.memory_mb must be a whole number from ${MIN_CODE_MEMORY_MB} to ${MAX_CODE_MEMORY_MB}, got ${JSON.stringify(memoryMb)}`, [...parametersAt, 'memory_mb']);
  }
  if (files !== undefined && !decidedAtRunTime(files)) {
    if (!isPlainObject(files)) report('INVALID_VALUE', `step ${id}: parameters.files must map file names to their contents`, [...parametersAt, 'files']);
    else {
      for (const name of Object.keys(files).filter((each) => !isSafeWorkFileName(each))) {
        report('INVALID_VALUE', `step ${id}: file name '${name}' must be a relative path inside the work directory`, [...parametersAt, 'files', name], keyPosition([...parametersAt, 'files'], name));
      }
    }
  }
  if (allowFailure !== undefined && !decidedAtRunTime(allowFailure) && typeof allowFailure !== 'boolean') {
    report('INVALID_VALUE', `step ${id}: parameters.allow_failure must be true or false`, [...parametersAt, 'allow_failure']);
  }
  for (const key of Object.keys(parameters).filter((name) => !(RUN_CODE_PARAMETERS as readonly string[]).includes(name))) {
    report('UNKNOWN_KEY', `unknown parameter '${key}' in run_code step ${id}: it takes ${RUN_CODE_PARAMETERS.join(', ')}${didYouMean(key, RUN_CODE_PARAMETERS)}`, [...parametersAt, key], keyPosition(parametersAt, key));
  }
}
