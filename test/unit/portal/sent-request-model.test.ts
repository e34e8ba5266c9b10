import { describe, expect, it } from 'vitest';
import {
  headerLines,
  headerValue,
  prettyXml,
  readableBody,
  requestTitle,
} from '../../../portal/src/pages/subscription/sent-request-model.ts';

describe('how the portal lays out the request a delivery sent', () => {
  it('indents a JSON body, and a jwt one ({"data":"<JWT>"}) alike', () => {
    expect(readableBody('{"id":"evt_1","data":{"id":7}}', 'application/json')).toBe(
      '{\n  "id": "evt_1",\n  "data": {\n    "id": 7\n  }\n}',
    );
    expect(readableBody('{"data":"a.b.c"}', 'application/json')).toBe('{\n  "data": "a.b.c"\n}');
  });

  it('puts an XML body one element a line, text on its element’s line', () => {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?><webhook><id>evt_1</id><data><note>a &lt;b&gt;</note><empty/></data></webhook>';
    expect(readableBody(xml, 'application/xml; charset=utf-8')).toBe(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<webhook>',
        '  <id>evt_1</id>',
        '  <data>',
        '    <note>a &lt;b&gt;</note>',
        '    <empty/>',
        '  </data>',
        '</webhook>',
      ].join('\n'),
    );
  });

  it('shows a body that does not parse as it is', () => {
    expect(readableBody('{"cut', 'application/json')).toBe('{"cut');
    expect(readableBody('<a><b></a>', 'application/xml')).toBe('<a><b></a>');
    expect(prettyXml('plain text')).toBeUndefined();
    expect(readableBody('plain', undefined)).toBe('plain');
  });

  it('writes headers as HTTP does and finds one whatever its case', () => {
    const headers = { 'content-type': 'application/xml', 'SMD-Action': 'create' };
    expect(headerLines(headers)).toBe('content-type: application/xml\nSMD-Action: create');
    expect(headerValue(headers, 'Content-Type')).toBe('application/xml');
    expect(headerValue(headers, 'smd-action')).toBe('create');
    expect(headerValue(headers, 'webhook-id')).toBeUndefined();
  });

  it('calls a request sent only when it is byte for byte what was sent; a rebuilt one is the request as it would be sent now', () => {
    const at = (iso: string) => `<${iso}>`;
    const attempt_at = '2026-12-07T13:08:37.000Z';
    expect(requestTitle({ attempt_at, reached_endpoint: true, exact: true }, at)).toBe(
      'Request sent <2026-12-07T13:08:37.000Z>',
    );
    expect(requestTitle({ attempt_at, reached_endpoint: false, exact: true }, at)).toBe(
      'Request tried <2026-12-07T13:08:37.000Z>, never reached the endpoint',
    );
    expect(requestTitle({ attempt_at, reached_endpoint: true, exact: false }, at)).toBe(
      'Request as it would be sent now (its attempt of <2026-12-07T13:08:37.000Z>)',
    );
    expect(requestTitle({ attempt_at, reached_endpoint: false, exact: false }, at)).toBe(
      'Request as it would be sent now (its attempt of <2026-12-07T13:08:37.000Z> never reached the endpoint)',
    );
  });
});
