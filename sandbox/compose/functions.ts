/** The functions of platform.ts, run from their deployed handler modules in this process. */
import { fileURLToPath } from 'node:url';
import { type FunctionName, functions } from '../../functions/core/platform.ts';
import { LocalFunction } from '../lambda-runtime.ts';
import type { Meter } from '../meter.ts';

/** The repository's root: platform.ts's handler entries are relative to it. */
const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Loads every function, with one environment of each made now, so that a handler module that cannot load fails
 * the start, not an event. Call it once the functions' environment is set: handlers read it when they load.
 */
export async function loadFunctions(
  region: string,
  meter: Meter | undefined,
): Promise<Record<FunctionName, LocalFunction>> {
  const lambdas = Object.fromEntries(
    (Object.keys(functions) as FunctionName[]).map((name) => [
      name,
      LocalFunction.fromModule(name, projectRoot, region, undefined, meter),
    ]),
  ) as Record<FunctionName, LocalFunction>;
  await Promise.all(Object.values(lambdas).map((lambda) => lambda.prewarm()));
  return lambdas;
}
