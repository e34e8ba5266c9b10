/**
 * How deeply an entry's `Detail` may nest in the sandbox's `PutEvents`, measured on the raw text before it is
 * parsed; deeper is that entry's `MalformedDetail`.
 *
 * EventBridge documents no nesting limit, so the sandbox refuses as little as it safely can. Node sets the
 * ceiling: from a shallow stack `JSON.stringify` overflows at about 4,100 levels and the pattern matcher's
 * recursion at about 7,800, and an event (one level deeper than its detail) is stringified by the bus and
 * parsed, matched and stringified again by the SQS emulator and the fan-out handler from deeper stacks.
 * 1,000 keeps four times that margin. It is also the default of Jackson (`StreamReadConstraints`, since
 * 2.15), the Java JSON parser whose error format EventBridge's pattern errors show, so no event that works on
 * AWS plausibly needs more; business events nest a dozen levels. It stays far above the platform's own
 * bounds (64 for API bodies; the fan-out refuses bus events deeper than its own), so an event too deep for
 * the fan-out still reaches the fan-out queue, as it would on AWS, and the fan-out's refusal stays testable.
 *
 * Sandbox only: product code never imports `sandbox/` and keeps its own bounds (the scanner is shared).
 */
export const DETAIL_MAX_DEPTH = 1000;

/** The deepest a whole event may nest: its detail's bound plus the envelope around the detail. */
export const EVENT_MAX_DEPTH = DETAIL_MAX_DEPTH + 1;

export { nestsDeeperThan } from '../../functions/core/json-depth.ts';

/**
 * The largest PutEvents entry (its size as EventBridge counts it: Detail, Source, DetailType and Resources in
 * UTF-8 bytes, 14 more with a Time) that the platform's rules still get into the fan-out queue, as README
 * states: 1 MiB less 2 KiB.
 *
 * EventBridge takes entries up to 1 MiB, but a rule sends the whole event, and the envelope around the
 * entry's fields (id, account, time, region, the keys and quotes: 194 bytes with the longest region names,
 * 3 more per resource) makes it larger; SQS takes messages up to 1 MiB (1,048,576 bytes, body and
 * attributes). The fan-out then dead-letters an event it cannot deliver with its body and a reason of up to
 * 1,000 characters. 2 KiB leaves room for both. Larger entries are accepted by PutEvents and refused by the
 * queue and, for the same reason, by its dead-letter queue.
 */
export const LARGEST_ROUTED_ENTRY_BYTES = 1024 * 1024 - 2 * 1024;
