import { describe, expect, it } from 'vitest';
import { functions } from '#core/platform.ts';
import { FunctionTimeoutError, type Handler, LocalFunction } from '../../sandbox/lambda-runtime.ts';

/** A function whose every environment counts the invocations it served, in its own module-like scope. */
function countingFunction(work: (environment: number) => Promise<void> = async () => undefined) {
  const loaded: number[] = [];
  const fn = new LocalFunction(
    'delivery',
    { ...functions.delivery, timeoutSeconds: 1 },
    async (environment) => {
      loaded.push(environment);
      let served = 0;
      const handler: Handler = async () => {
        await work(environment);
        served++;
        return { environment, served };
      };
      return handler;
    },
    'us-east-1',
  );
  return { fn, loaded };
}

describe('LocalFunction, as Lambda runs a function', () => {
  it('reuses one environment for invocations one after another (warm starts)', async () => {
    const { fn, loaded } = countingFunction();

    const results = [await fn.invoke({}), await fn.invoke({}), await fn.invoke({})];

    expect(loaded).toEqual([0]);
    expect(results).toEqual([
      { environment: 0, served: 1 },
      { environment: 0, served: 2 },
      { environment: 0, served: 3 },
    ]);
  });

  it('gives concurrent invocations environments of their own, never sharing module state', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { fn, loaded } = countingFunction(() => gate);

    const running = [fn.invoke({}), fn.invoke({}), fn.invoke({})];
    await new Promise((resolve) => setImmediate(resolve));
    release();
    const results = (await Promise.all(running)) as { environment: number }[];

    expect(loaded).toEqual([0, 1, 2]);
    expect(results.map((result) => result.environment).sort()).toEqual([0, 1, 2]);
  });

  it('times out as Lambda does and throws the timed-out environment away', async () => {
    const { fn, loaded } = countingFunction(async (environment) => {
      if (environment === 0) await new Promise((resolve) => setTimeout(resolve, 1500));
    });

    await expect(fn.invoke({})).rejects.toThrow(FunctionTimeoutError);
    await expect(fn.invoke({})).resolves.toEqual({ environment: 1, served: 1 });
    expect(loaded).toEqual([0, 1]);
  });

  it('loads a handler module once per environment: concurrent invocations see separate module scopes', async () => {
    const fn = LocalFunction.fromModule(
      'authorizer',
      process.cwd(),
      'us-east-1',
      'test/fixtures/lambda/module-scope-handler.ts',
    );

    const concurrent = (await Promise.all([fn.invoke({ waitMs: 50 }), fn.invoke({ waitMs: 50 })])) as {
      instance: string;
    }[];
    const later = (await fn.invoke({})) as { instance: string };

    expect(fn.environmentCount).toBe(2);
    expect(concurrent[0]?.instance).not.toBe(concurrent[1]?.instance);
    expect(concurrent.map((result) => result.instance)).toContain(later.instance);
  });

  it('loads the deployed handler modules', async () => {
    process.env.TABLE_NAME ??= 'webhooks';
    const fn = LocalFunction.fromModule('authorizer', process.cwd(), 'us-east-1');

    await fn.prewarm();

    expect(fn.environmentCount).toBe(1);
  });
});
