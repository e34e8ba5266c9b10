import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { table as tableDefinition } from '../functions/core/platform.ts';
import type { PlatformFunction } from './platform-function.ts';
import { type ItemAccess, indexedPartitions, partitions } from './table-access.ts';

export interface WebhookTableProps {
  /**
   * What happens to the table when it leaves the stack. Only change it for throwaway stacks.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Whether the table refuses `DeleteTable` until this is turned off.
   * @default true
   */
  readonly deletionProtection?: boolean;
}

/**
 * The platform's single DynamoDB table with the string keys and TTL attribute of `table` in platform.ts:
 * on-demand, encrypted with the AWS managed key, point-in-time recovery, retained when the stack goes.
 */
export class WebhookTable extends Construct {
  /** The table. */
  public readonly table: Table;

  public constructor(scope: Construct, id: string, props: WebhookTableProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (!Object.values(RemovalPolicy).includes(removalPolicy)) {
      throw new Error(
        `${this.node.path}: removalPolicy must be a RemovalPolicy, got ${String(removalPolicy)}`,
      );
    }
    this.table = new Table(this, 'Table', {
      partitionKey: { name: tableDefinition.partitionKey, type: AttributeType.STRING },
      sortKey: { name: tableDefinition.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: tableDefinition.timeToLiveAttribute,
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy,
    });
    // The events log: sparse (only kept events have its keys), small attributes only, never a body.
    const index = tableDefinition.accountEventsIndex;
    this.table.addGlobalSecondaryIndex({
      indexName: index.name,
      partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
      sortKey: { name: index.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: [...index.projected],
    });
  }

  /**
   * Lets the function take exactly the given actions on the items of each kind (one statement per kind, limited
   * to its partitions by `ForAllValues:StringLike` on `dynamodb:LeadingKeys`; see lib/table-access.ts) and binds
   * `TABLE_NAME`. Never a `Scan`, nor `grantReadData`'s table-wide reads (`DescribeTable`, streams).
   */
  public grantItemsTo(fn: PlatformFunction, access: readonly ItemAccess[]): void {
    if (access.length === 0)
      throw new Error(`${this.node.path}: ${fn.node.path} is given no access to grant`);
    for (const { partition, actions } of access) {
      if (actions.length === 0 || (actions as readonly string[]).includes('Scan')) {
        throw new Error(
          `${this.node.path}: ${fn.node.path} may not Scan, nor have no action, on ${partition}`,
        );
      }
      const indexName = indexedPartitions[partition];
      Grant.addToPrincipal({
        grantee: fn,
        actions: actions.map((action) => `dynamodb:${action}`),
        resourceArns: [
          indexName === undefined ? this.table.tableArn : `${this.table.tableArn}/index/${indexName}`,
        ],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [partitions[partition]] } },
      });
    }
    fn.bindEnvironment('TABLE_NAME', this.table.tableName);
  }
}
