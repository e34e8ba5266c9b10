/**
 * The AWS operations a handler's bundle can send, read from its code: every `new XxxCommand(` (and
 * `paginateXxx(`) in the project's modules that esbuild put in the bundle (its metafile says which, and how much
 * of each it kept), each named by the AWS SDK package it is imported from, as an IAM action.
 *
 * Only the project's own modules are read. The SDK's modules that a bundle carries hold more commands than it
 * sends: a client keeps its whole command index by module (`ScanCommand` rides along with lib-dynamodb's
 * paginators, `DescribeEndpoints` with the DynamoDB client's endpoint discovery, off unless enabled), and
 * lib-dynamodb's document commands construct the client's commands, but only the ones the project constructs.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { projectRoot } from '../../lib/platform-function.ts';

/** The IAM service prefix of each AWS SDK package the functions import commands from. */
const servicesByPackage: Readonly<Record<string, string>> = {
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/lib-dynamodb': 'dynamodb',
  '@aws-sdk/client-sqs': 'sqs',
  '@aws-sdk/client-eventbridge': 'events',
  '@aws-sdk/client-kms': 'kms',
};

/** lib-dynamodb's document commands, by the DynamoDB operation each sends. */
const documentOperations: Readonly<Record<string, string>> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  Query: 'Query',
  Scan: 'Scan',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactGet: 'TransactGetItems',
  TransactWrite: 'TransactWriteItems',
  ExecuteStatement: 'ExecuteStatement',
  BatchExecuteStatement: 'BatchExecuteStatement',
  ExecuteTransaction: 'ExecuteTransaction',
};

/**
 * The IAM action an API operation needs. SQS's batch operations are authorised by their single forms (SQS
 * Developer Guide: "Specifying SendMessage, DeleteMessage, or ChangeMessageVisibility ... also grants
 * permissions for the corresponding batch versions"); every other operation here by its own name.
 */
export function iamActionOf(service: string, operation: string): string {
  const single = service === 'sqs' ? operation.replace(/Batch$/, '') : operation;
  return `${service}:${single}`;
}

/** One command the code constructs, and where. */
export interface CodeOperation {
  /** The IAM action it needs, e.g. `dynamodb:Query`. */
  readonly action: string;
  /** The module that constructs it, as the metafile names it (`functions/delivery/ports.ts`). */
  readonly module: string;
  /** What it imports, e.g. `QueryCommand` or `paginateQuery`. */
  readonly command: string;
}

/** The bindings a module imports from AWS SDK packages: local name -> [package, imported name]. */
function sdkImports(source: string): Map<string, [string, string]> {
  const bindings = new Map<string, [string, string]>();
  for (const match of source.matchAll(
    /import\s*(type\s*)?\{([^}]*)\}\s*from\s*['"](@aws-sdk\/[\w-]+)['"]/g,
  )) {
    const [, typeOnly, list = '', pkg = ''] = match;
    if (typeOnly !== undefined) continue;
    for (const specifier of list.split(',')) {
      if (/^\s*type\s/.test(specifier)) continue;
      const [imported, local = imported] = specifier.trim().split(/\s+as\s+/);
      if (imported) bindings.set(local ?? imported, [pkg, imported]);
    }
  }
  return bindings;
}

/** The operations one module's source constructs commands of. */
export function operationsInSource(module: string, source: string): CodeOperation[] {
  const imports = sdkImports(source);
  const found: CodeOperation[] = [];
  for (const match of source.matchAll(/\bnew\s+(\w+)\s*\(|\b(paginate\w+)\s*\(/g)) {
    const local = match[1] ?? match[2] ?? '';
    const binding = imports.get(local);
    if (binding === undefined) continue;
    const [pkg, imported] = binding;
    const paginated = imported.startsWith('paginate');
    if (!paginated && !imported.endsWith('Command')) continue;
    const name = paginated ? imported.slice('paginate'.length) : imported.slice(0, -'Command'.length);
    const service = servicesByPackage[pkg];
    if (service === undefined) {
      throw new Error(
        `${module} sends ${imported} from ${pkg}, which sdk-operations.ts has no IAM service for`,
      );
    }
    const operation = pkg === '@aws-sdk/lib-dynamodb' ? documentOperations[name] : name;
    if (operation === undefined) {
      throw new Error(`${module} sends lib-dynamodb's ${imported}, which sdk-operations.ts cannot name`);
    }
    found.push({ action: iamActionOf(service, operation), module, command: imported });
  }
  return found;
}

/** The operations the bundle's own modules (those esbuild kept any of) construct commands of. */
export async function operationsOfBundle(metafile: Metafile): Promise<CodeOperation[]> {
  const kept = Object.values(metafile.outputs).flatMap((output) =>
    Object.entries(output.inputs)
      .filter(([path, input]) => input.bytesInOutput > 0 && !path.includes('node_modules/'))
      .map(([path]) => path),
  );
  const perModule = await Promise.all(
    [...new Set(kept)].map(async (path) =>
      operationsInSource(path, await readFile(join(projectRoot, path), 'utf8')),
    ),
  );
  return perModule.flat();
}
