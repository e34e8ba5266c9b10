/** Thrown by a step where a test stops the run, as a crash (kill -9, a Lambda timeout) would. */
export class Crash extends Error {
  override name = 'Crash';
}

/** Where a run is stopped: before or after the `occurrence`th (1 for the first) effect of a step. */
export interface CrashPoint<Step extends string> {
  readonly step: Step;
  readonly occurrence: number;
  readonly when: 'before' | 'after';
}

/**
 * The steps of one run: `step(name, effect)` makes the effect, throwing {@link Crash} before or after it when
 * that occurrence of the step is the crash point; `steps` lists the effects made, in order.
 */
export function crashableSteps<Step extends string>(crash: CrashPoint<Step> | undefined) {
  const seen = new Map<Step, number>();
  const steps: Step[] = [];
  const step = async <T>(name: Step, effect: () => Promise<T>): Promise<T> => {
    const occurrence = (seen.get(name) ?? 0) + 1;
    seen.set(name, occurrence);
    const here = crash?.step === name && crash.occurrence === occurrence;
    if (here && crash.when === 'before') throw new Crash(`before ${name} ${occurrence}`);
    const result = await effect();
    steps.push(name);
    if (here && crash.when === 'after') throw new Crash(`after ${name} ${occurrence}`);
    return result;
  };
  return { step, steps };
}

/** Every crash point of a run: each step it made, before and after its effect. */
export function crashPointsOf<Step extends string>(steps: readonly Step[]): CrashPoint<Step>[] {
  const counts = new Map<Step, number>();
  return steps.flatMap((name) => {
    const occurrence = (counts.get(name) ?? 0) + 1;
    counts.set(name, occurrence);
    return (['before', 'after'] as const).map((when) => ({ step: name, occurrence, when }));
  });
}
