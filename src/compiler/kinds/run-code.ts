// `action: run_code`: code run in the sandbox (its parameters checked where they are literal).
import { keyPosition, reporter } from '../context';
import { checkRunCodeStep } from '../run-code';
import type { KindChecker } from './types';

export const runCodeKind: KindChecker = {
  action: 'run_code',
  cacheable: true,
  modelAnswer: false,
  check(context, step) {
    checkRunCodeStep(step.raw, step.path, reporter(context), keyPosition(context));
    return {};
  },
};
