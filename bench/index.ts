/**
 * `npm run bench`: every benchmark, printed as Markdown and written to BENCHMARKS.md with how it was run.
 * `npm run bench -- isolation cost` runs only the sections named and prints them (BENCHMARKS.md is only ever
 * rewritten whole). Each section runs in a Node process of its own (a sandbox's handler modules read their
 * environment when they load: one sandbox per process), which prints its Markdown; this collects them.
 * Figures are medians of several runs with a baseline measured in the same run; `BENCH_RUNS=N` asks for more.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseOptionsAndArguments, usageError } from '../bin/cli.ts';

const run = promisify(execFile);

/** Sections in the order they run and appear, with the file each one is. */
const sections = {
  'event-pattern': 'event-pattern.ts',
  delivery: 'delivery.ts',
  'cold-start': 'cold-start.ts',
  cost: 'cost.ts',
  'end-to-end': 'end-to-end.ts',
  scale: 'scale.ts',
  isolation: 'isolation.ts',
  ordered: 'ordered.ts',
  'real-endpoints': 'real-endpoints.ts',
} as const;
type Section = keyof typeof sections;

const usage = `Usage: npm run bench [-- section ...]
Sections: ${Object.keys(sections).join(', ')}.
With no section named, every one runs and BENCHMARKS.md is rewritten; with some, they are only printed.
  BENCH_RUNS=N   runs each measurement N times (the figures are medians)
  -h, --help     this text`;
const { positionals: asked } = parseOptionsAndArguments({}, usage);
const unknown = asked.filter((name) => !Object.hasOwn(sections, name));
if (unknown.length > 0) usageError(`Unknown section '${unknown[0]}'`, usage);
const chosen = (asked.length === 0 ? Object.keys(sections) : asked) as Section[];
const write = asked.length === 0;

/** The commit measured, and what was changed beside it (BENCHMARKS.md itself aside). */
async function gitCommit(): Promise<string> {
  try {
    const { stdout } = await run('git', ['rev-parse', '--short', 'HEAD']);
    const { stdout: status } = await run('git', ['status', '--porcelain']);
    const changed = status
      .split('\n')
      .map((line) => line.slice(3).trim())
      .filter((path) => path !== '' && path !== 'BENCHMARKS.md');
    return `${stdout.trim()}${changed.length === 0 ? '' : ` with uncommitted changes to ${changed.join(', ')}`}`;
  } catch {
    return 'unknown';
  }
}

const started = Date.now();
const parts: string[] = [];
const timings: string[] = [];
for (const name of chosen) {
  const sectionStarted = Date.now();
  console.error(`[bench] ${name}…`);
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL(sections[name], import.meta.url))],
    { maxBuffer: 64 * 1024 * 1024, env: process.env },
  ).catch((error: { stderr?: string; message: string }) => {
    console.error(`[bench] ${name} failed: ${error.stderr ?? error.message}`);
    process.exit(1);
  });
  parts.push(stdout.trim(), '');
  const seconds = Math.round((Date.now() - sectionStarted) / 1000);
  timings.push(`${name} ${seconds} s`);
  console.error(`[bench] ${name} done in ${seconds} s`);
}

const cpu = cpus();
const report = [
  '# Benchmarks',
  '',
  `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}, commit ${await gitCommit()}: ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'},`,
  `${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()} ${arch()}, Node ${process.version}. Each section ran in a fresh Node process`,
  `(${timings.join(', ')}; ${Math.round((Date.now() - started) / 60_000)} min in all). Every figure is the median of at least three runs with its min–max, and every`,
  'comparison a ratio against a baseline measured in the same run: absolute figures move with the machine and',
  'its load, the ratios much less. `npm run bench -- <section>` runs one section and only prints it',
  `(${Object.keys(sections).join(', ')}).`,
  '',
  ...parts,
].join('\n');

// Sections run alone are only printed, without the header that says how BENCHMARKS.md was written.
console.log(write ? report : parts.join('\n'));
if (write) await writeFile(new URL('../BENCHMARKS.md', import.meta.url), report);
