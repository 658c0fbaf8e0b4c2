import { PointsLedger1767000000200 } from './1767000000200-PointsLedger';

/** Every migration of the points subgraph, in order. New ones are appended here. */
export const pointsMigrations = [PointsLedger1767000000200];
