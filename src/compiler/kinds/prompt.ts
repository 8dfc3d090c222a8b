// A step whose action is a prompt (it has spaces or a template): the model's answer is the result.
import { readTemplate } from '../passes/references';
import type { KindChecker } from './types';

export const promptKind: KindChecker = {
  cacheable: true,
  modelAnswer: true,
  check(context, step) {
    readTemplate(context, step.action, step.at('action'), step.scope, step.reader);
    return {};
  },
};
