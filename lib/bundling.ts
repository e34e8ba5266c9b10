/**
 * How every Lambda handler is bundled, defined once: `PlatformFunction` hands these options to NodejsFunction's
 * local esbuild, and `test/infra/bundles.test.ts` bundles the handlers with the same options and loads them.
 */
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/** The Lambda runtime of every function. */
export const lambdaRuntime = Runtime.NODEJS_24_X;

/** The esbuild target matching {@link lambdaRuntime}. */
export const esbuildTarget = 'node24';

if (lambdaRuntime.name !== `nodejs${esbuildTarget.slice('node'.length)}.x`) {
  throw new Error(`esbuild target ${esbuildTarget} does not match the Lambda runtime ${lambdaRuntime.name}`);
}

/**
 * An ES module bundle has no `require`, but CommonJS dependencies bundled into it still call it for Node's
 * built-in modules; this gives them one.
 */
export const esmRequireBanner =
  "import { createRequire as __hookbridgeCreateRequire } from 'node:module'; const require = __hookbridgeCreateRequire(import.meta.url);";

/**
 * Packages a bundle takes from another file: the AWS SDK's default credential chain becomes the environment
 * provider alone (functions/core/aws/lambda-credentials.ts says why), about 130 KB less in every bundle. Paths
 * are relative to the project root, where esbuild runs (NodejsFunction runs it there too), so that a synth
 * does not depend on where the project sits.
 */
export const bundleAliases = {
  '@aws-sdk/credential-provider-node': './functions/core/aws/lambda-credentials.ts',
} as const;

/**
 * The esbuild options of a handler bundle (entry and output are per function; the working directory is the
 * project root).
 *
 * The AWS SDK is bundled rather than taken from the runtime, so the deployed code runs the SDK version the
 * lock file pins and the tests ran.
 */
export const handlerBuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: esbuildTarget,
  minify: true,
  sourcemap: true,
  // Stack traces need the mappings, not the sources: smaller bundles, faster cold starts.
  sourcesContent: false,
  // Prefer the ES module builds of dependencies (AWS SDK, Powertools): they tree-shake better.
  mainFields: ['module', 'main'],
  banner: { js: esmRequireBanner },
  external: [],
  alias: bundleAliases,
} as const satisfies BuildOptions;

/** The file name NodejsFunction gives an ES module bundle; the function's handler is `index.handler`. */
export const bundleFileName = 'index.mjs';

/** {@link handlerBuildOptions} as NodejsFunction bundling options. */
export function nodejsBundlingOptions(): BundlingOptions {
  return {
    format: OutputFormat.ESM,
    target: handlerBuildOptions.target,
    minify: handlerBuildOptions.minify,
    sourceMap: handlerBuildOptions.sourcemap,
    sourcesContent: handlerBuildOptions.sourcesContent,
    mainFields: [...handlerBuildOptions.mainFields],
    banner: handlerBuildOptions.banner.js,
    externalModules: [...handlerBuildOptions.external],
    esbuildArgs: Object.fromEntries(
      Object.entries(handlerBuildOptions.alias).map(([name, path]) => [`--alias:${name}`, path]),
    ),
    forceDockerBundling: false,
  };
}
