import { checkDocs } from './doc-blocks.js';

// `npm run check:docs`: fails when a `ts` block of README.md or docs/ that imports from `weft` does not typecheck.
const { checked, problems } = checkDocs(process.cwd());
if (problems.length > 0) {
  process.stderr.write(
    `Doc blocks that do not typecheck (${checked} checked):\n${problems.map((p) => `  ${p}`).join('\n')}\n`,
  );
  process.exit(1);
}
process.stdout.write(`${checked} doc blocks typecheck.\n`);
