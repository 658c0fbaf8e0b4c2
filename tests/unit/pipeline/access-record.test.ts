import { HeaderMap } from '@apollo/server';
import type { DataSource } from 'typeorm';
import { AccessReportCollector, type AccessRecord } from '../../../gateway/src/audit';
import { recordAccess } from '../../../gateway/src/pipeline/access-record';
import { exchangeFor, incomingRequest, UNION } from './support';

const MEMBER = '5c70d918-8ef7-491a-94c9-a297721aa470';

function executed(report: unknown) {
  const accessReport = new AccessReportCollector();
  accessReport.add(report);
  return exchangeFor(incomingRequest(), {
    context: {
      principal: UNION,
      requestId: 'req-1',
      accessReport,
      rate: { key: 'partner:u', perMinute: 500 },
      notes: { subgraphFetches: 1, operationName: 'LookUpMember', outcome: 'OK' },
    },
    response: {
      status: 200,
      headers: new HeaderMap([['content-type', 'application/json; charset=utf-8']]),
      body: { kind: 'complete', string: '{"data":{"member":{"fullName":"李四"}}}' },
    },
  });
}

describe('stage access-record', () => {
  const limiter = { penalize: jest.fn(async () => undefined) };
  const db = {} as DataSource;
  beforeEach(() => limiter.penalize.mockClear());

  it('appends one record naming the partner, operation, members and fields of an answer with unmasked personal data', async () => {
    const records: AccessRecord[] = [];
    await recordAccess(executed({ personalData: { [MEMBER]: ['fullName', 'phone'] } }), {
      db,
      limiter,
      failedGuessPenalty: 250,
      append: async (_db, record) => {
        records.push(record);
      },
      logError: () => {},
    });
    expect(records).toEqual([
      { principal: UNION, operationName: 'LookUpMember', memberIds: [MEMBER], fields: ['fullName', 'phone'], detail: { requestId: 'req-1' } },
    ]);
  });

  it('appends nothing for a masked answer, and charges failed guesses to the bucket', async () => {
    const append = jest.fn();
    await recordAccess(executed({ failedGuesses: 2 }), { db, limiter, failedGuessPenalty: 250, append, logError: () => {} });
    expect(append).not.toHaveBeenCalled();
    expect(limiter.penalize).toHaveBeenCalledWith('partner:u', 500, 500);
  });

  it('withholds the answer (500 with an error id) when the record cannot be written', async () => {
    const exchange = executed({ personalData: { [MEMBER]: ['fullName'] } });
    const logged: Array<Record<string, unknown>> = [];
    await recordAccess(exchange, {
      db,
      limiter,
      failedGuessPenalty: 250,
      append: async () => {
        throw new Error('database down');
      },
      logError: (_message, fields) => logged.push(fields),
    });
    expect(exchange.response?.status).toBe(500);
    const body = exchange.response?.body.kind === 'complete' ? JSON.parse(exchange.response.body.string) : null;
    expect(body.errors[0].extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', errorId: logged[0].errorId });
    expect(JSON.stringify(body)).not.toContain('李四');
    expect(exchange.context?.notes.outcome).toBe('INTERNAL_SERVER_ERROR');
  });
});
