import { BenefitFoundation1767000000100 } from './1767000000100-BenefitFoundation';
import { HospitalDiscounts1767000001100 } from './1767000001100-HospitalDiscounts';
import { Vouchers1767000002100 } from './1767000002100-Vouchers';
import { VoucherIssuedAtMilliseconds1767000004100 } from './1767000004100-VoucherIssuedAtMilliseconds';
import { IdempotentRequests1767000010100 } from './1767000010100-IdempotentRequests';
import { EventOutbox1767000013100 } from './1767000013100-EventOutbox';
import { StripedVoucherPools1767000020100 } from './1767000020100-StripedVoucherPools';
import { GroupedVoucherClaims1767000030100 } from './1767000030100-GroupedVoucherClaims';
import { ParallelVoucherClaimGroups1767000040100 } from './1767000040100-ParallelVoucherClaimGroups';
import { ClaimWaitsHoldingNoStripe1767000050100 } from './1767000050100-ClaimWaitsHoldingNoStripe';
import { KeyedClaimInOneStatement1767000060100 } from './1767000060100-KeyedClaimInOneStatement';
import { KeyedClaimGroups1767000070100 } from './1767000070100-KeyedClaimGroups';

/** Every migration of the benefit subgraph, in order. New ones are appended here. */
export const benefitMigrations = [
  BenefitFoundation1767000000100,
  HospitalDiscounts1767000001100,
  Vouchers1767000002100,
  VoucherIssuedAtMilliseconds1767000004100,
  IdempotentRequests1767000010100,
  EventOutbox1767000013100,
  StripedVoucherPools1767000020100,
  GroupedVoucherClaims1767000030100,
  ParallelVoucherClaimGroups1767000040100,
  ClaimWaitsHoldingNoStripe1767000050100,
  KeyedClaimInOneStatement1767000060100,
  KeyedClaimGroups1767000070100,
];
