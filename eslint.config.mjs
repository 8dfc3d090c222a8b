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
