import { PointsLedger1767000000200 } from './1767000000200-PointsLedger';
import { PointsLotsAndMall1767000003200 } from './1767000003200-PointsLotsAndMall';
import { DropLedgerTimeIndex1767000003300 } from './1767000003300-DropLedgerTimeIndex';
import { OneEarningCapPerRule1767000003400 } from './1767000003400-OneEarningCapPerRule';
import { EventOutbox1767000013200 } from './1767000013200-EventOutbox';

/** Every migration of the points subgraph, in order. New ones are appended here. */
export const pointsMigrations = [
  PointsLedger1767000000200,
  PointsLotsAndMall1767000003200,
  DropLedgerTimeIndex1767000003300,
  OneEarningCapPerRule1767000003400,
  EventOutbox1767000013200,
];
