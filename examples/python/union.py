#!/usr/bin/env python3
"""A local union on its own subtree, standard library only:
  1. who am I (viewer) and my organization's statistics,
  2. list my active members page by page (keyset cursors, at most 100 a page),
  3. export them, streamed into a CSV file (scope member:export).

  python3 examples/python/union.py [export.csv]     # against `npm start`; see union_api.py
Prints its steps, then a summary as one JSON line.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from union_api import UnionApi, UnionApiError, read_demo_credentials  # noqa: E402

VIEWER = "query { viewer { kind name scopes organization { id name } } }"
STATS = """query ($o: ID!) { organization(id: $o) { name stats { memberCount activeMemberCount realNameVerificationRate } } }"""
MEMBERS = """query ($o: ID!, $first: Int, $after: String) {
  organization(id: $o) {
    members(filter: { status: ACTIVE }, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } nodes { id cardNumber displayName organization { name } }
    }
  }
}"""


def main():
    union = UnionApi.for_partner("districtUnion", read_demo_credentials())
    me = union.graphql(VIEWER)["viewer"]
    if me["kind"] != "UNION" or not me["organization"]:
        raise SystemExit("this example needs a UNION partner")
    org = me["organization"]["id"]
    stats = union.graphql(STATS, {"o": org})["organization"]
    print("%s: %d members, %d active" % (stats["name"], stats["stats"]["memberCount"], stats["stats"]["activeMemberCount"]))

    listed, pages, after = 0, 0, None
    while pages < 3:  # the first three pages of 50; follow endCursor for the rest
        page = union.graphql(MEMBERS, {"o": org, "first": 50, "after": after})["organization"]["members"]
        listed += len(page["nodes"])
        pages += 1
        if pages == 1:
            print("%d active members; first: %s %s" % (page["totalCount"], page["nodes"][0]["cardNumber"], page["nodes"][0]["displayName"]))
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    print("listed %d members in %d pages" % (listed, pages))

    path = sys.argv[1] if len(sys.argv) > 1 else "members-export.csv"
    rows, export_id, masked = union.export_members(path, organizationId=org, format="csv", status="ACTIVE")
    print("exported %d active members to %s (export %s, %s)" % (rows, path, export_id, "masked" if masked else "with personal data"))

    # Outside its subtree (or unknown) an organization does not exist for a union: null, no error.
    other = union.graphql(STATS, {"o": "00000000-0000-4000-8000-000000000000"})["organization"]
    print(json.dumps({"example": "union-python", "organization": stats["name"], "listed": listed, "pages": pages, "exportedRows": rows, "exportId": export_id, "masked": masked, "unknownOrganization": other}))


if __name__ == "__main__":
    try:
        main()
    except UnionApiError as error:
        print("failed: %s" % error, file=sys.stderr)
        sys.exit(1)
