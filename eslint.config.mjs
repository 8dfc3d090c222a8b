// Lint rules: typed rules for promises everywhere; no Node built-ins in deterministic workflow code.
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.venv/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  {
    files: ['src/**/*.ts', 'src/**/*.mts', 'test/**/*.ts', 'bench/**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    // The ground floor: everything may import it, and it imports no other folder of src, so no import runs upward.
    files: ['src/base/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../*', '!../base', '!../base/*'], message: 'src/base imports no other src folder: move what it needs into src/base.' }] },
      ],
    },
  },
  {
    // Activities and models run in workers but must not depend on how a worker is built; activities never import workflow code.
    files: ['src/activities/**/*.ts', 'src/models/**/*.ts', 'src/models/**/*.mts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../worker', '../worker/*'], message: 'Imports run downward: activities and models do not import src/worker (paths live in src/base).' },
            { group: ['../workflows', '../workflows/*'], message: 'Imports run downward: activities and models do not import src/workflows (shared names live in src/base).' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: builtinModules.map((name) => ({ name, message: 'Workflow code must be deterministic: no Node built-ins (do I/O in an activity).' })),
          patterns: [{ group: ['node:*'], message: 'Workflow code must be deterministic: no Node built-ins (do I/O in an activity).' }],
        },
      ],
    },
  },
);
