import { describe, expect, it } from 'vitest';
import { withOpenedFirst } from '../../../portal/src/pages/subscription/model.ts';
import { deliveryView } from '../../support/portal-views.ts';

const newest = deliveryView({ id: 'msg_3' });
const middle = deliveryView({ id: 'msg_2', status: 'pending' });
const oldest = deliveryView({ id: 'msg_1', status: 'failed' });

describe('a delivery opened by a link, on its subscription’s page', () => {
  it('leaves the list as it is when no delivery was opened', () => {
    expect(withOpenedFirst([newest, middle], undefined)).toEqual([newest, middle]);
  });

  it('shows the opened delivery first, once, as the refreshed list has it', () => {
    const asReadBefore = deliveryView({ id: 'msg_2', status: 'pending', attempt_count: 0, attempts: [] });
    expect(withOpenedFirst([newest, middle], asReadBefore)).toEqual([middle, newest]);
  });

  it('shows an opened delivery the list does not reach (older, or of another status) first, as read', () => {
    expect(withOpenedFirst([newest, middle], oldest)).toEqual([oldest, newest, middle]);
  });
});
