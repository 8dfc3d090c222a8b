#!/usr/bin/env node
// The `orc` command: runs the compiled CLI (built by `npm run setup` / `npm run build`).
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'client', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('orc: not built yet. Run `npm run setup` in ' + path.join(__dirname, '..') + '\n');
  process.exit(2);
}
require(cli).main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write('orc: ' + String(error) + '\n');
    process.exit(1);
  },
);
