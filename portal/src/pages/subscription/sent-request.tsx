import { useState } from 'preact/hooks';
import type { SentRequest } from '../../api.ts';
import { ScrollRegion, useLoaded } from '../../components/ui.tsx';
import { formatDateTime } from '../../format.ts';
import { headerLines, headerValue, readableBody, requestTitle } from './sent-request-model.ts';

/** A button that copies `text` exactly (not as laid out), saying so beside it. */
function CopyButton({ text, what }: { text: string; what: string }) {
  const [said, setSaid] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setSaid('Copied.');
    } catch {
      setSaid('No clipboard here: select the text and press Ctrl+C (or ⌘C).');
    }
  };
  return (
    <span class="copy-line">
      <button type="button" class="button button-secondary" onClick={copy}>
        Copy {what}
      </button>
      <span class="hint" role="status">
        {said}
      </span>
    </span>
  );
}

/**
 * The request a delivery's latest attempt made, as its endpoint got it (or, when it never reached it, as it was
 * tried; or, when its subscription or the platform changed since, as it would be built now, and titled so):
 * address, every header (signatures, no signing secret), and the body, laid out for reading where it parses;
 * copies are of the bytes shown, not of the layout. Read when shown, and again when the delivery has another
 * attempt (`attempts`).
 */
export function SentRequestPanel({
  load,
  attempts,
}: {
  load: () => Promise<SentRequest | null>;
  attempts: number;
}) {
  const loaded = useLoaded(load, [attempts]);
  if (loaded.error) return <p role="alert">{loaded.error}</p>;
  if (loaded.loading && loaded.value === undefined) return <p class="hint">Loading the request…</p>;
  const request = loaded.value;
  if (request === null || request === undefined) {
    // Not attempted yet is the common case (a held or new delivery), and it has a single reason.
    return (
      <p class="hint">
        {attempts === 0
          ? 'No request yet: it is made at the first attempt.'
          : 'No request to show: none was sent yet, or its event is no longer kept (30 days).'}
      </p>
    );
  }
  const headers = headerLines(request.headers);
  return (
    <div class="sent-request">
      <h3 class="sent-request-title">{requestTitle(request, formatDateTime)}</h3>
      {request.reached_endpoint ? null : (
        <p class="notice notice-info">
          That attempt got no connection to send it on (see its error)
          {/* Rebuilt, it is not what the endpoint would have got: the next note says what it is. */}
          {request.exact ? ': this is what the endpoint would have got.' : '.'}
        </p>
      )}
      {request.exact ? null : (
        <p class="notice notice-info">
          The subscription or the platform’s version changed since that attempt, so this is not byte for byte
          what was sent: it is the request as it would be built now, with the signatures that were sent (they
          verify its body only if the body did not change). The copy buttons copy it as shown here.
        </p>
      )}
      <p>
        <code>
          {request.method} {request.url}
        </code>
      </p>
      <h4>Headers</h4>
      <ScrollRegion class="json-scroll" label="Headers of the request">
        <pre class="json">{headers}</pre>
      </ScrollRegion>
      <CopyButton text={headers} what="headers" />
      <h4>Body</h4>
      <ScrollRegion class="json-scroll" label="Body of the request">
        <pre class="json">{readableBody(request.body, headerValue(request.headers, 'content-type'))}</pre>
      </ScrollRegion>
      <CopyButton text={request.body} what="body" />
    </div>
  );
}
