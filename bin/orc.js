#!/usr/bin/env node
// The `orc` command: runs the compiled CLI (built by `npm run setup` / `npm run build`).
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'client', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('orc: not built yet. Run `npm run setup` in ' + path.join(__dirname, '..') + '\n');
  process.exit(2);
}
// Exit once stdout is flushed: a large `--json` result written to a pipe is otherwise cut short by process.exit.
const exitAfterOutput = (code) => process.stdout.write('', () => process.exit(code));
require(cli).main(process.argv.slice(2)).then(
  (code) => exitAfterOutput(code),
  (error) => {
    process.stderr.write('orc: ' + String(error) + '\n');
    process.exit(1);
  },
);
