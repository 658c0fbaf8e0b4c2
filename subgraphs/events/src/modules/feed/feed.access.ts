import { organizationAudience, partnerAudience, type Principal } from '@union/common';

/**
 * What a caller sees events through: PLATFORM every event ('*'); a UNION the events that list its
 * organization (every organization on a member's or sponsor's chain is listed, so that is its
 * subtree); a hospital, travel partner or merchant the events that name it. MEMBER tokens see no
 * events: a member app learns about its own member through the platform, which sees all.
 */
export type FeedViewer = { all: true } | { entry: string } | { none: true };

export function feedViewer(principal: Principal): FeedViewer {
  switch (principal.kind) {
    case 'PLATFORM':
      return { all: true };
    case 'UNION':
      return principal.organizationId ? { entry: organizationAudience(principal.organizationId) } : { none: true };
    case 'HOSPITAL':
    case 'TRAVEL_PARTNER':
    case 'MERCHANT':
      return { entry: partnerAudience(principal.id) };
    default:
      return { none: true };
  }
}

/** The audience entry stored on a webhook endpoint (the same rule as the feed). */
export function ownerEntry(viewer: FeedViewer): string | null {
  if ('all' in viewer) return '*';
  if ('entry' in viewer) return viewer.entry;
  return null;
}
