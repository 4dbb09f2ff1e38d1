import { checkBoundaries, readImportGraph } from './boundaries.js';

// `npm run check:boundaries`: fails when an import crosses a layer the wrong way or closes a cycle.
const problems = checkBoundaries(readImportGraph(process.cwd()));
if (problems.length > 0) {
  process.stderr.write(`Import boundaries broken:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write('Import boundaries hold.\n');
