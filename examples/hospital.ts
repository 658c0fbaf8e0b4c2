/**
 * A hospital's counter (医院窗口), with the typed client:
 *   1. the member shows the QR code of the member app (here the demo PLATFORM plays the app),
 *   2. the hospital verifies it for HOSPITAL_DISCOUNT,
 *   3. quotes and applies the discount on the self-paid part of the bill (idempotent per invoice),
 *   4. reconciles today's claims, and voids the demo claim again (the annual cap comes back).
 *
 *   npx tsc -p examples && node examples/dist/examples/hospital.js
 */
import {
  applyHospitalDiscount,
  discountClaims,
  issueMemberCardToken,
  quoteHospitalDiscount,
  UnionApiClient,
  verifyMemberCard,
  voidDiscountClaim,
} from '../clients/typescript/src';
import { type DemoCredentialsFile, partnerCredentials, readDemoCredentials, runMain } from './config';

export async function runHospitalExample(demo: DemoCredentialsFile | null = readDemoCredentials(), log: (line: string) => void = console.log) {
  const hospital = new UnionApiClient(partnerCredentials('hospital', demo));

  // In real life the code comes from the camera; in the demo the platform's member app makes one.
  const member = demo?.members[0];
  if (!demo || !member) throw new Error('the demo member app needs .data/demo-credentials.json');
  const memberApp = await new UnionApiClient(partnerCredentials('platform', demo)).forMember(member.id);
  const { issueMemberCardToken: qr } = await issueMemberCardToken(memberApp);
  log(`member app shows a QR code valid until ${qr.expiresAt}`);

  const { verifyMemberCard: verification } = await verifyMemberCard(hospital, { token: qr.token, purpose: 'HOSPITAL_DISCOUNT' });
  if (!verification.valid || !verification.verificationId) throw new Error(`card not valid: ${verification.reason}`);
  log(`verified ${verification.member?.displayName} (${verification.member?.cardNumber}), verification ${verification.verificationId}`);

  const selfPaidFen = 85_000; // 850.00 yuan after medical insurance
  const { quoteHospitalDiscount: quote } = await quoteHospitalDiscount(hospital, { verificationId: verification.verificationId, selfPaidFen });
  log(
    `quote: ${quote.policy.hospitalName} ${quote.policy.rateBasisPoints / 100}% -> discount ${quote.discountFen / 100} yuan, pay ${quote.payableFen / 100} yuan`,
  );

  const input = { verificationId: verification.verificationId, invoiceNumber: `INV-${Date.now()}`, selfPaidFen };
  const { applyHospitalDiscount: claim } = await applyHospitalDiscount(hospital, { input });
  // A retry after a timeout is safe: the same invoice number answers the same claim.
  const { applyHospitalDiscount: retried } = await applyHospitalDiscount(hospital, { input });
  log(`claim ${claim.id} (${claim.status}); retry answered the same claim: ${retried.id === claim.id}`);

  const now = new Date();
  const from = new Date(now.getTime() - 24 * 3600_000).toISOString();
  const { discountClaims: today } = await discountClaims(hospital, { from, to: new Date(now.getTime() + 60_000).toISOString(), first: 100 });
  log(`claims in the last 24 hours: ${today.totalCount}`);

  const { voidDiscountClaim: voided } = await voidDiscountClaim(hospital, { claimId: claim.id, reason: 'demo: settlement revoked' });
  log(`claim ${voided.id} ${voided.status}`);
  return {
    example: 'hospital',
    claimId: claim.id,
    discountFen: claim.discountFen,
    idempotentRetry: retried.id === claim.id,
    claimsToday: today.totalCount,
    voided: voided.status,
  };
}

if (require.main === module) runMain(() => runHospitalExample());
