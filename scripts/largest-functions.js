#!/usr/bin/env node
// Prints the largest functions under src (or the folders given), by lines, largest first:
//   node scripts/largest-functions.js [--top N] [folder...]
// A function is a declaration, a method, an arrow function or a function expression; a function inside another
// counts in both (the outer one's lines include it).
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const args = process.argv.slice(2);
const topIndex = args.indexOf('--top');
const top = topIndex === -1 ? 5 : Number(args.splice(topIndex, 2)[1]);
const root = path.resolve(__dirname, '..');
const folders = args.length > 0 ? args : ['src'];

function sourceFiles(directory) {
  return fs.readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.m?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

function nameOf(node, source) {
  if (node.name) return node.name.getText(source);
  // An arrow function or function expression takes the name of what it is assigned to.
  const parent = node.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && parent.name) return parent.name.getText(source);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  return '(anonymous)';
}

const functions = [];
for (const file of folders.flatMap((folder) => sourceFiles(path.resolve(root, folder)))) {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
      functions.push({ lines: last - first + 1, where: `${path.relative(root, file)}:${first}`, name: nameOf(node, source) });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
functions.sort((a, b) => b.lines - a.lines);
for (const fn of functions.slice(0, top)) process.stdout.write(`${String(fn.lines).padStart(5)}  ${fn.name}  ${fn.where}\n`);
