import { describe, expect, it } from 'vitest';
import { compileEventPattern } from '#core/event-pattern/index.ts';

// Sources: Amazon EventBridge User Guide, sections named in each describe/it; where the guide is silent,
// the AWS-recorded TestEventPattern cases of LocalStack's validated suite (named "AWS-recorded").

function matches(pattern: Record<string, unknown> | string, event: unknown): boolean {
  return compileEventPattern(pattern).matches(event);
}

// User guide: Event patterns (the EC2 example event).
const ec2Event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};

describe('User guide: Event patterns', () => {
  it('matches on source, detail-type and a detail field together', () => {
    const pattern = {
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification'],
      detail: { state: ['terminated'] },
    };
    expect(matches(pattern, ec2Event)).toBe(true);
    expect(matches(pattern, { ...ec2Event, detail: { state: 'running' } })).toBe(false);
  });

  it('requires every field named in the pattern, with the same nesting', () => {
    expect(matches({ detail: { missing: ['x'] } }, ec2Event)).toBe(false);
    expect(matches({ state: ['terminated'] }, ec2Event)).toBe(false);
  });

  it('matches character by character, without case folding', () => {
    expect(matches({ source: ['AWS.EC2'] }, ec2Event)).toBe(false);
    expect(matches({ source: ['aws.ec2 '] }, ec2Event)).toBe(false);
  });

  it('treats a value array as OR', () => {
    expect(matches({ source: ['aws.ec2', 'aws.fargate'] }, ec2Event)).toBe(true);
    expect(matches({ source: ['aws.s3', 'aws.fargate'] }, ec2Event)).toBe(false);
  });

  it('joins field names with dots, in patterns and in events (AWS-recorded)', () => {
    const nested = { detail: { state: { status: 'running' } } };
    expect(matches({ detail: { 'state.status': ['running'] } }, nested)).toBe(true);
    expect(
      matches({ detail: { state: { status: ['running'] } } }, { detail: { 'state.status': 'running' } }),
    ).toBe(true);
  });

  it('does not parse a detail given as a JSON string (AWS-recorded)', () => {
    expect(matches({ detail: { 'my-key': ['my-value'] } }, { detail: '{"my-key": "my-value"}' })).toBe(false);
  });

  it('keeps the last condition when a key is given twice (User guide: Content filtering > note)', () => {
    const pattern = '{"detail":{"location":[{"prefix":"us-"}],"location":[{"anything-but":"us-east"}]}}';
    expect(matches(pattern, { detail: { location: 'eu-west' } })).toBe(true);
    expect(matches(pattern, { detail: { location: 'us-east' } })).toBe(false);
  });

  it('does not take Object.prototype members for event fields', () => {
    expect(matches({ constructor: [{ exists: true }] }, {})).toBe(false);
    expect(matches({ constructor: [{ exists: false }] }, {})).toBe(true);
    expect(matches({ constructor: ['x'] }, { constructor: 'x' })).toBe(true);
  });
});

describe('User guide: Matching events on null values and empty strings', () => {
  const event = { detail: { eventVersion: '', responseElements: null } };

  it('matches an empty string with [""]', () => {
    expect(matches({ detail: { eventVersion: [''] } }, event)).toBe(true);
  });

  it('matches null with [null]', () => {
    expect(matches({ detail: { responseElements: [null] } }, event)).toBe(true);
  });

  it('does not treat null and the empty string as interchangeable', () => {
    expect(matches({ detail: { eventVersion: [null] } }, event)).toBe(false);
    expect(matches({ detail: { responseElements: [''] } }, event)).toBe(false);
  });

  it('does not match [null] against a missing field or an empty array (AWS-recorded)', () => {
    expect(matches({ detail: { other: [null] } }, event)).toBe(false);
    expect(matches({ resources: [null] }, { resources: [] })).toBe(false);
  });
});

describe('User guide: Arrays in event patterns', () => {
  const event = {
    resources: [
      'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b:autoScalingGroupName/ASGTerminate',
      'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
    ],
  };

  it('matches when the pattern array and the event array intersect', () => {
    const pattern = {
      resources: [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
      ],
    };
    expect(matches(pattern, event)).toBe(true);
    expect(matches({ resources: ['arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f'] }, event)).toBe(
      false,
    );
  });

  it('matches objects inside event arrays, one element at a time', () => {
    const employees = {
      employees: [
        { firstName: 'John', lastName: 'Doe' },
        { firstName: 'Anna', lastName: 'Smith' },
        { firstName: 'Peter', lastName: 'Jones' },
      ],
    };
    expect(matches({ employees: { firstName: ['Anna'] } }, employees)).toBe(true);
    expect(matches({ employees: { firstName: ['Anna'], lastName: ['Smith'] } }, employees)).toBe(true);
    // Fields from different elements of one array never combine.
    expect(matches({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }, employees)).toBe(false);
  });

  it('flattens nested arrays', () => {
    expect(matches({ tags: ['b'] }, { tags: [['a'], ['b', 'c']] })).toBe(true);
    expect(matches({ e: { n: [2] } }, { e: [[{ n: 1 }], [{ n: 2 }]] })).toBe(true);
  });
});

describe('User guide: Comparison operators > Numeric matching', () => {
  it('compares numbers as numbers: 300 matches 300.0 and 3e2', () => {
    expect(matches('{"x":[300]}', { x: 300 })).toBe(true);
    expect(matches('{"x":[300.0]}', JSON.parse('{"x":3e2}'))).toBe(true);
    expect(matches('{"x":[3e2]}', { x: 300 })).toBe(true);
    expect(matches('{"x":[300]}', { x: 301 })).toBe(false);
  });

  it('does not match a number against its string form, nor the reverse', () => {
    expect(matches({ x: [300] }, { x: '300' })).toBe(false);
    expect(matches({ x: ['300'] }, { x: 300 })).toBe(false);
  });

  it('matches ranges, each bound open or closed', () => {
    const pattern = { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } };
    expect(matches(pattern, { detail: { 'c-count': 5 } })).toBe(true);
    expect(matches(pattern, { detail: { 'c-count': 0.000001 } })).toBe(true);
    expect(matches(pattern, { detail: { 'c-count': 0 } })).toBe(false);
    expect(matches(pattern, { detail: { 'c-count': 5.1 } })).toBe(false);
    expect(matches({ n: [{ numeric: ['>=', 10, '<', 20] }] }, { n: 10 })).toBe(true);
    expect(matches({ n: [{ numeric: ['>=', 10, '<', 20] }] }, { n: 20 })).toBe(false);
  });

  it('matches single comparisons and =', () => {
    expect(matches({ n: [{ numeric: ['<', 10] }] }, { n: 9.99 })).toBe(true);
    expect(matches({ n: [{ numeric: ['<', 10] }] }, { n: 10 })).toBe(false);
    expect(matches({ n: [{ numeric: ['<=', 10] }] }, { n: 10 })).toBe(true);
    expect(matches({ n: [{ numeric: ['>', 10] }] }, { n: 10 })).toBe(false);
    expect(matches('{"x":[{"numeric":["=",3.018e2]}]}', { x: 301.8 })).toBe(true);
    expect(matches('{"x":[{"numeric":["=",3.018e2]}]}', { x: 301.9 })).toBe(false);
  });

  it('only works with JSON numbers (AWS-recorded: numeric-string_NEG, numeric-null_NEG)', () => {
    expect(matches({ n: [{ numeric: ['>', 0] }] }, { n: '5' })).toBe(false);
    expect(matches({ n: [{ numeric: ['>', 0] }] }, { n: null })).toBe(false);
    expect(matches({ n: [{ numeric: ['>', 0] }] }, { n: true })).toBe(false);
    expect(matches({ n: [{ numeric: ['>', 0] }] }, {})).toBe(false);
  });

  it('is limited to values between -5.0e9 and 5.0e9', () => {
    expect(matches({ n: [{ numeric: ['>', 0] }] }, { n: 5e9 })).toBe(true);
    expect(matches({ n: [{ numeric: ['>', 0] }] }, { n: 5e9 + 1 })).toBe(false);
    expect(matches({ n: [{ numeric: ['<', 0] }] }, { n: -5e9 - 1 })).toBe(false);
  });

  it('matches when any element of an event array is in range', () => {
    expect(matches({ n: [{ numeric: ['>', 10] }] }, { n: [1, 2, 30] })).toBe(true);
    expect(matches({ n: [{ numeric: ['>', 10] }] }, { n: [1, 2, 3] })).toBe(false);
  });
});

describe('User guide: Comparison operators > Prefix matching', () => {
  it('matches the start of a string', () => {
    const pattern = { time: [{ prefix: '2017-10-02' }] };
    expect(matches(pattern, { time: '2017-10-02T18:43:48Z' })).toBe(true);
    expect(matches(pattern, { time: '2017-10-03T18:43:48Z' })).toBe(false);
  });

  it('works on string values only', () => {
    expect(matches({ n: [{ prefix: '12' }] }, { n: 123 })).toBe(false);
  });

  it('prefix matching while ignoring case', () => {
    const pattern = { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } };
    expect(matches(pattern, { detail: { service: 'EventBridge' } })).toBe(true);
    expect(matches(pattern, { detail: { service: 'EVENTBRIDGE' } })).toBe(true);
    expect(matches(pattern, { detail: { service: 'eventb' } })).toBe(true);
    expect(matches(pattern, { detail: { service: 'Event' } })).toBe(false);
  });
});

describe('User guide: Comparison operators > Suffix matching', () => {
  it('matches the end of a string', () => {
    expect(matches({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.png' })).toBe(true);
    expect(matches({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.PNG' })).toBe(false);
  });

  it('suffix matching while ignoring case', () => {
    const pattern = { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } };
    expect(matches(pattern, { detail: { FileName: 'image.PNG' } })).toBe(true);
    expect(matches(pattern, { detail: { FileName: 'image.jpg' } })).toBe(false);
  });
});

describe('User guide: Comparison operators > Equals-ignore-case matching', () => {
  it('matches regardless of case, strings only', () => {
    const pattern = { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] };
    expect(matches(pattern, ec2Event)).toBe(true);
    expect(matches(pattern, { 'detail-type': 'ec2 instance state-change' })).toBe(false);
    expect(matches({ n: [{ 'equals-ignore-case': '1' }] }, { n: 1 })).toBe(false);
  });

  it('matches an empty string only with an empty string (AWS-recorded)', () => {
    expect(matches({ x: [{ 'equals-ignore-case': '' }] }, { x: '' })).toBe(true);
    expect(matches({ x: [{ 'equals-ignore-case': '' }] }, { x: 'a' })).toBe(false);
  });
});

describe('User guide: Comparison operators > Wildcard matching', () => {
  it('matches * against zero or more characters', () => {
    const pattern = { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] };
    expect(
      matches(pattern, { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/myEventBus' }),
    ).toBe(true);
    expect(matches(pattern, { EventBusArn: 'arn:aws:events:us-east-1::event-bus/' })).toBe(true);
    expect(matches(pattern, { EventBusArn: 'arn:aws:events:us-west-2:123456789012:event-bus/b' })).toBe(
      false,
    );
  });

  it('matches the whole value, not a part of it', () => {
    expect(matches({ f: [{ wildcard: 'dir/*.png' }] }, { f: 'dir/a.png' })).toBe(true);
    expect(matches({ f: [{ wildcard: 'dir/*.png' }] }, { f: 'x/dir/a.png' })).toBe(false);
    expect(matches({ f: [{ wildcard: 'dir/*.png' }] }, { f: 'dir/a.png.bak' })).toBe(false);
    expect(matches({ f: [{ wildcard: 'a*b*a' }] }, { f: 'aba' })).toBe(true);
    expect(matches({ f: [{ wildcard: 'a*a' }] }, { f: 'a' })).toBe(false);
  });

  it('escapes * and \\ with a backslash', () => {
    expect(matches('{"f":[{"wildcard":"a\\\\*b"}]}', { f: 'a*b' })).toBe(true);
    expect(matches('{"f":[{"wildcard":"a\\\\*b"}]}', { f: 'axb' })).toBe(false);
    expect(matches('{"f":[{"wildcard":"a\\\\\\\\*"}]}', { f: 'a\\zzz' })).toBe(true);
  });

  it('works on strings only', () => {
    expect(matches({ n: [{ wildcard: '*' }] }, { n: 1 })).toBe(false);
    expect(matches({ n: [{ wildcard: '*' }] }, { n: '' })).toBe(true);
  });
});

describe('User guide: Comparison operators > Anything-but matching', () => {
  it('matches anything except a string', () => {
    const pattern = { detail: { state: [{ 'anything-but': 'initializing' }] } };
    expect(matches(pattern, { detail: { state: 'running' } })).toBe(true);
    expect(matches(pattern, { detail: { state: 'initializing' } })).toBe(false);
  });

  it('matches anything except a number, compared as a number', () => {
    const pattern = '{"detail":{"x-limit":[{"anything-but":123}]}}';
    expect(matches(pattern, { detail: { 'x-limit': 124 } })).toBe(true);
    expect(matches(pattern, { detail: { 'x-limit': 123.0 } })).toBe(false);
    expect(matches('{"x":[{"anything-but":0}]}', { x: 0 })).toBe(false);
  });

  it('matches anything except the values of a list', () => {
    const strings = { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } };
    expect(matches(strings, { detail: { state: 'running' } })).toBe(true);
    expect(matches(strings, { detail: { state: 'stopped' } })).toBe(false);
    const numbers = { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } };
    expect(matches(numbers, { detail: { 'x-limit': 150 } })).toBe(true);
    expect(matches(numbers, { detail: { 'x-limit': 200 } })).toBe(false);
  });

  it('matches values of another type, and null (AWS-recorded)', () => {
    expect(matches({ s: [{ 'anything-but': 'initializing' }] }, { s: null })).toBe(true);
    expect(matches({ s: [{ 'anything-but': 'initializing' }] }, { s: 5 })).toBe(true);
    expect(matches({ s: [{ 'anything-but': [100] }] }, { s: '100' })).toBe(true);
  });

  it('does not match a missing field (AWS-recorded)', () => {
    expect(matches({ detail: { state: [{ 'anything-but': 'initializing' }] } }, { detail: {} })).toBe(false);
    expect(matches({ s: [{ 'anything-but': { prefix: 'init' } }] }, {})).toBe(false);
  });

  it('matches an event array when any element is not excluded', () => {
    expect(matches({ s: [{ 'anything-but': 'a' }] }, { s: ['a', 'b'] })).toBe(true);
    expect(matches({ s: [{ 'anything-but': 'a' }] }, { s: ['a', 'a'] })).toBe(false);
    expect(matches({ s: [{ 'anything-but': 'a' }] }, { s: [] })).toBe(false);
  });

  it('Anything-but (begins with)', () => {
    const pattern = { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } };
    expect(matches(pattern, { detail: { state: 'running' } })).toBe(true);
    expect(matches(pattern, { detail: { state: 'initializing' } })).toBe(false);
    expect(matches(pattern, { detail: { state: 12 } })).toBe(true);
    expect(matches({ s: [{ 'anything-but': { prefix: ['a', 'b'] } }] }, { s: 'bc' })).toBe(false);
  });

  it('Anything-but (ends with)', () => {
    const pattern = { FileName: [{ 'anything-but': { suffix: '.png' } }] };
    expect(matches(pattern, { FileName: 'a.txt' })).toBe(true);
    expect(matches(pattern, { FileName: 'a.png' })).toBe(false);
  });

  it('Anything-but (ignore case)', () => {
    const pattern = { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] };
    expect(matches(pattern, { state: 'INITIALIZING' })).toBe(false);
    expect(matches(pattern, { state: 'running' })).toBe(true);
    const list = { state: [{ 'anything-but': { 'equals-ignore-case': ['a', 'B'] } }] };
    expect(matches(list, { state: 'b' })).toBe(false);
    expect(matches(list, { state: 'c' })).toBe(true);
  });

  it('Anything-but using a wildcard', () => {
    const pattern = { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] };
    expect(matches(pattern, { FilePath: '/usr/bin/x' })).toBe(true);
    expect(matches(pattern, { FilePath: '/usr/lib/x' })).toBe(false);
    expect(matches(pattern, { FilePath: null })).toBe(true);
  });
});

describe('User guide: Comparison operators > IP address matching', () => {
  it('matches IPv4 addresses in a CIDR block', () => {
    const pattern = { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } };
    expect(matches(pattern, { detail: { sourceIPAddress: '10.0.0.255' } })).toBe(true);
    expect(matches(pattern, { detail: { sourceIPAddress: '10.0.1.0' } })).toBe(false);
    expect(matches(pattern, { detail: { sourceIPAddress: 'not-an-ip' } })).toBe(false);
    expect(matches(pattern, { detail: { sourceIPAddress: 167772160 } })).toBe(false);
  });

  it('matches IPv6 addresses, written in any form', () => {
    const pattern = { ip: [{ cidr: '2001:db8:1234:1a00::/64' }] };
    expect(matches(pattern, { ip: '2001:db8:1234:1a00::1' })).toBe(true);
    expect(matches(pattern, { ip: '2001:0db8:1234:1a00:ffff:ffff:ffff:ffff' })).toBe(true);
    expect(matches(pattern, { ip: '2001:db8:1234:1a01::' })).toBe(false);
    expect(matches(pattern, { ip: '10.0.0.1' })).toBe(false);
  });

  it('compares exact IP values as addresses', () => {
    expect(matches({ ip: ['2001:db8::1'] }, { ip: '2001:0db8:0:0:0:0:0:1' })).toBe(true);
    expect(matches({ ip: ['10.0.0.1'] }, { ip: '10.0.0.2' })).toBe(false);
  });
});

describe('User guide: Comparison operators > Exists matching', () => {
  it('exists: true matches a present leaf, including null', () => {
    const pattern = { detail: { state: [{ exists: true }] } };
    expect(matches(pattern, { detail: { 'instance-id': 'i-abcd1111', state: 'pending' } })).toBe(true);
    expect(matches(pattern, { detail: { state: null } })).toBe(true);
    expect(matches(pattern, { detail: { 'c-count': { c1: 100 } } })).toBe(false);
  });

  it('exists: false matches a missing field', () => {
    const pattern = { detail: { 'c-count': [{ exists: false }] } };
    expect(matches(pattern, { detail: { state: 'running' } })).toBe(true);
    expect(matches(pattern, { detail: { 'c-count': 3 } })).toBe(false);
    expect(matches(pattern, {})).toBe(true);
  });

  it('only works on leaf nodes: an object is not a value', () => {
    expect(
      matches({ detail: { 'c-count': [{ exists: false }] } }, { detail: { 'c-count': { c1: 100 } } }),
    ).toBe(true);
    expect(
      matches({ dynamodb: { presentKey: [{ exists: true }] } }, { dynamodb: { presentKey: { S: 'x' } } }),
    ).toBe(false);
  });

  it('treats an empty array as no value (AWS-recorded: exists_list_empty)', () => {
    expect(matches({ resources: [{ exists: true }] }, { resources: [] })).toBe(false);
    expect(matches({ resources: [{ exists: false }] }, { resources: [] })).toBe(true);
    expect(matches({ resources: [{ exists: true }] }, { resources: ['arn'] })).toBe(true);
  });

  it('exists: false under a missing parent matches (AWS-recorded: or-exists-parent)', () => {
    const pattern = {
      dynamodb: { NewImage: { homemade: { S: [{ 'anything-but': ['roses'] }, { exists: false }] } } },
    };
    expect(matches(pattern, { dynamodb: { NewImage: { purchased: { N: '789' } } } })).toBe(true);
    expect(matches(pattern, { dynamodb: { NewImage: { homemade: { S: 'roses' } } } })).toBe(false);
    expect(matches(pattern, { dynamodb: { NewImage: { homemade: { S: 'tulips' } } } })).toBe(true);
  });
});

describe('User guide: Comparison operators > Or matching ($or)', () => {
  it('matches when any alternative matches', () => {
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
    };
    expect(matches(pattern, { source: 'aws.cloudwatch', metricName: 'ReadLatency' })).toBe(true);
    expect(matches(pattern, { source: 'aws.cloudwatch', namespace: 'AWS/ES' })).toBe(true);
    expect(matches(pattern, { source: 'aws.cloudwatch', namespace: 'AWS/S3' })).toBe(false);
    expect(matches(pattern, { source: 'aws.s3', metricName: 'ReadLatency' })).toBe(false);
  });

  it('nests $or, ANDs inside alternatives, and $or inside nested objects', () => {
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization'] },
        {
          metricType: ['MetricType'],
          namespace: ['AWS/EC2'],
          $or: [{ metricId: [1234] }, { spaceId: [1000] }],
        },
      ],
      detail: { $or: [{ a: ['1'] }, { b: ['2'] }] },
    };
    const base = { source: 'aws.cloudwatch', detail: { b: '2' } };
    expect(matches(pattern, { ...base, metricType: 'MetricType', namespace: 'AWS/EC2', spaceId: 1000 })).toBe(
      true,
    );
    expect(matches(pattern, { ...base, metricType: 'MetricType', namespace: 'AWS/EC2', spaceId: 1 })).toBe(
      false,
    );
    expect(matches(pattern, { ...base, metricName: 'CPUUtilization', detail: { c: '3' } })).toBe(false);
  });

  it('combines exists and anything-but across alternatives (AWS-recorded: or-exists, or-anything-but)', () => {
    const pattern = { $or: [{ a: [{ exists: false }] }, { a: [{ 'anything-but': 'x' }] }] };
    expect(matches(pattern, {})).toBe(true);
    expect(matches(pattern, { a: 'y' })).toBe(true);
    expect(matches(pattern, { a: 'x' })).toBe(false);
  });
});

describe('User guide: Content filtering > Complex example with multiple matching', () => {
  it('matches only when every field matches', () => {
    const pattern = {
      time: [{ prefix: '2017-10-02' }],
      detail: {
        state: [{ 'anything-but': 'initializing' }],
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ 'anything-but': [100, 200, 300] }],
        'source-ip': [{ cidr: '10.0.0.0/8' }],
      },
    };
    const event = {
      time: '2017-10-02T16:24:49Z',
      detail: { 'c-count': 5, 'd-count': 3, 'x-limit': 301.8, 'source-ip': '10.0.0.33', state: 'running' },
    };
    expect(matches(pattern, event)).toBe(true);
    expect(matches(pattern, { ...event, detail: { ...event.detail, 'x-limit': 300 } })).toBe(false);
    expect(matches(pattern, { ...event, detail: { ...event.detail, 'source-ip': '11.0.0.1' } })).toBe(false);
  });
});

describe('compileEventPattern', () => {
  it('accepts the pattern as text or as an object, with the same result', () => {
    const text = compileEventPattern('{"source":["aws.ec2"]}');
    const object = compileEventPattern({ source: ['aws.ec2'] });
    expect([text.matches(ec2Event), object.matches(ec2Event)]).toEqual([true, true]);
    expect([text.matches({ source: 'x' }), object.matches({ source: 'x' })]).toEqual([false, false]);
  });

  it('matches the same compiled pattern against many events', () => {
    const compiled = compileEventPattern({ detail: { n: [{ numeric: ['>', 10] }] } });
    const results = [5, 11, 10, 20].map((n) => compiled.matches({ detail: { n } }));
    expect(results).toEqual([false, true, false, true]);
  });
});
