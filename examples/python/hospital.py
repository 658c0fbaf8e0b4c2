#!/usr/bin/env python3
"""A hospital's counter (医院窗口), standard library only:
  1. get an access token (client credentials),
  2. verify the member's electronic card (the QR code of the member app; in the demo the PLATFORM
     partner plays the app), for HOSPITAL_DISCOUNT,
  3. quote and apply the discount on the self-paid part of the bill (a retry answers the same claim),
  4. void the claim again (e.g. the insurance settlement was revoked): the annual cap comes back.

  python3 examples/python/hospital.py      # against `npm start`; see union_api.py for the settings
Prints its steps, then a summary as one JSON line.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from union_api import UnionApi, UnionApiError, read_demo_credentials  # noqa: E402

VERIFY = """mutation ($token: String!) {
  verifyMemberCard(token: $token, purpose: HOSPITAL_DISCOUNT) {
    valid reason verificationId expiresAt member { id displayName cardNumber status }
  }
}"""
QUOTE = """mutation ($v: ID!, $fen: Int!) {
  quoteHospitalDiscount(verificationId: $v, selfPaidFen: $fen) {
    discountFen payableFen remainingAnnualCapFen policy { hospitalName rateBasisPoints }
  }
}"""
APPLY = """mutation ($input: ApplyHospitalDiscountInput!) {
  applyHospitalDiscount(input: $input) { id invoiceNumber selfPaidFen discountFen payableFen status }
}"""
VOID = """mutation ($id: ID!, $reason: String!) { voidDiscountClaim(claimId: $id, reason: $reason) { id status voidedAt } }"""


def main():
    demo = read_demo_credentials()
    hospital = UnionApi.for_partner("hospital", demo)
    hospital.access_token()
    print("token for the hospital from %s" % hospital.token_url)

    # In real life the code comes from the camera; in the demo the platform's member app makes one.
    if not demo or not demo.get("members"):
        raise SystemExit("the demo member app needs .data/demo-credentials.json")
    member = demo["members"][0]
    app = UnionApi.for_partner("platform", demo).for_member(member["id"])
    qr = app.graphql("mutation { issueMemberCardToken { token expiresAt } }")["issueMemberCardToken"]
    print("member app shows a QR code valid until %s" % qr["expiresAt"])

    verification = hospital.graphql(VERIFY, {"token": qr["token"]})["verifyMemberCard"]
    if not verification["valid"]:
        raise SystemExit("card not valid: %s" % verification["reason"])
    print("verified %s (%s)" % (verification["member"]["displayName"], verification["member"]["cardNumber"]))

    self_paid_fen = 85000  # 850.00 yuan after medical insurance
    quote = hospital.graphql(QUOTE, {"v": verification["verificationId"], "fen": self_paid_fen})["quoteHospitalDiscount"]
    print("quote: %s %.2f%% -> discount %.2f yuan, pay %.2f yuan" % (
        quote["policy"]["hospitalName"], quote["policy"]["rateBasisPoints"] / 100, quote["discountFen"] / 100, quote["payableFen"] / 100))

    claim_input = {"verificationId": verification["verificationId"], "invoiceNumber": "PY-%d" % int(time.time() * 1000), "selfPaidFen": self_paid_fen}
    claim = hospital.graphql(APPLY, {"input": claim_input})["applyHospitalDiscount"]
    # A retry after a timeout is safe: the same invoice number answers the same claim.
    retried = hospital.graphql(APPLY, {"input": claim_input})["applyHospitalDiscount"]
    print("claim %s (%s); retry answered the same claim: %s" % (claim["id"], claim["status"], retried["id"] == claim["id"]))

    # The same invoice number with another amount is refused with its contract code.
    try:
        hospital.graphql(APPLY, {"input": dict(claim_input, selfPaidFen=self_paid_fen + 1)})
        conflict = None
    except UnionApiError as error:
        conflict = error.code
        print("same invoice, other amount: %s (request id %s)" % (error.code, error.request_id))

    voided = hospital.graphql(VOID, {"id": claim["id"], "reason": "demo: settlement revoked"})["voidDiscountClaim"]
    print("claim %s %s" % (voided["id"], voided["status"]))
    print(json.dumps({
        "example": "hospital-python",
        "claimId": claim["id"],
        "discountFen": claim["discountFen"],
        "idempotentRetry": retried["id"] == claim["id"],
        "conflict": conflict,
        "voided": voided["status"],
    }))


if __name__ == "__main__":
    try:
        main()
    except UnionApiError as error:
        print("failed: %s" % error, file=sys.stderr)
        sys.exit(1)
