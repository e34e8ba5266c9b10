/**
 * `npm run bench`: every benchmark, printed as Markdown; `npm run bench -- --write` also rewrites
 * BENCHMARKS.md with the figures. Figures are medians of several runs with a baseline measured in the same run.
 */
import { writeFile } from 'node:fs/promises';
import { arch, cpus, platform } from 'node:os';
import { runDeliveryBench } from './delivery.ts';
import { runEventPatternBench } from './event-pattern.ts';
import { runIsolationBench } from './isolation.ts';

const sections = [await runEventPatternBench(), await runDeliveryBench(), await runIsolationBench()];
const report = [
  '# Benchmarks',
  '',
  `Measured with \`npm run bench\` on ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${platform()}/${arch()}.`,
  'Figures move with machine load; the ratios against the in-run baselines are what to compare.',
  '',
  ...sections.map((section) => section.replace(/^# Benchmarks\n+/, '')),
].join('\n');

console.log(report);
if (process.argv.includes('--write')) await writeFile(new URL('../BENCHMARKS.md', import.meta.url), report);
