"""A small client for the union benefits API, standard library only (Python 3.8+).

Where it finds the gateway and the credentials, first match wins:
  UNION_GATEWAY_URL    e.g. http://localhost:4000/graphql
                       else "gatewayUrl" of the credentials file
                       else http://localhost:$GATEWAY_PORT/graphql (GATEWAY_PORT defaults to 4000)
  UNION_TOKEN_URL      else "tokenUrl" of the credentials file, else <gateway>/oauth/token
  UNION_CLIENT_ID, UNION_CLIENT_SECRET
                       else the demo partner's entry in the credentials file
  UNION_CREDENTIALS_FILE  the demo credentials `npm start` writes (default .data/demo-credentials.json)
"""

import base64
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid


class UnionApiError(Exception):
    """A refused call: `code` is the contract's extensions.code (see GET /errors), or the OAuth error."""

    def __init__(self, status, code, message, request_id=None, retry_after=None):
        super().__init__("%s (HTTP %s): %s [request id %s]" % (code, status, message, request_id))
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.retry_after = retry_after


def read_demo_credentials():
    path = os.environ.get("UNION_CREDENTIALS_FILE", os.path.join(os.getcwd(), ".data", "demo-credentials.json"))
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def gateway_url(demo):
    if os.environ.get("UNION_GATEWAY_URL"):
        return os.environ["UNION_GATEWAY_URL"]
    if demo and demo.get("gatewayUrl"):
        return demo["gatewayUrl"]
    return "http://localhost:%s/graphql" % os.environ.get("GATEWAY_PORT", "4000")


class UnionApi:
    """One partner's client: a client-credentials token, renewed before it expires, and GraphQL calls."""

    def __init__(self, client_id, client_secret, graphql_url, token_url=None, access_token=None):
        self.client_id = client_id
        self.client_secret = client_secret
        self.graphql_url = graphql_url
        self.base_url = graphql_url[: -len("/graphql")] if graphql_url.endswith("/graphql") else graphql_url
        self.token_url = token_url or self.base_url + "/oauth/token"
        self._token = access_token
        self._renew_at = float("inf") if access_token else 0.0

    @classmethod
    def for_partner(cls, demo_key, demo=None):
        """The partner of the environment (UNION_CLIENT_ID/SECRET), else the demo partner `demo_key`."""
        demo = demo if demo is not None else read_demo_credentials()
        partner = (demo or {}).get("partners", {}).get(demo_key, {})
        client_id = os.environ.get("UNION_CLIENT_ID", partner.get("clientId"))
        client_secret = os.environ.get("UNION_CLIENT_SECRET", partner.get("clientSecret"))
        if not client_id or not client_secret:
            raise SystemExit('no credentials: set UNION_CLIENT_ID and UNION_CLIENT_SECRET, or run "npm start" so that .data/demo-credentials.json exists')
        url = gateway_url(demo)
        return cls(client_id, client_secret, url, os.environ.get("UNION_TOKEN_URL", (demo or {}).get("tokenUrl")))

    # --- tokens ---------------------------------------------------------------------------------

    def _token_request(self, params):
        basic = base64.b64encode(
            ("%s:%s" % (urllib.parse.quote(self.client_id, safe=""), urllib.parse.quote(self.client_secret, safe=""))).encode("utf-8")
        ).decode("ascii")
        request = urllib.request.Request(
            self.token_url,
            data=urllib.parse.urlencode(params).encode("ascii"),
            headers={"content-type": "application/x-www-form-urlencoded", "authorization": "Basic " + basic},
            method="POST",
        )
        status, headers, body = _send(request)
        answer = _json(body)
        if status != 200 or "access_token" not in answer:
            raise UnionApiError(status, answer.get("error", "HTTP_%s" % status), answer.get("error_description", ""), headers.get("x-request-id"), headers.get("retry-after"))
        return answer

    def access_token(self):
        if self._token and time.time() < self._renew_at:
            return self._token
        answer = self._token_request({"grant_type": "client_credentials"})
        self._token = answer["access_token"]
        # Renew 30 s early: a token that expires on the way is a needless 401.
        self._renew_at = time.time() + max(0, int(answer.get("expires_in", 60)) - 30)
        return self._token

    def for_member(self, member_id):
        """PLATFORM partners (member:act-as): a client acting as one member, as the member app does (RFC 8693)."""
        answer = self._token_request(
            {
                "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
                "subject_token": member_id,
                "subject_token_type": "urn:union-benefits:params:oauth:token-type:member-id",
            }
        )
        return UnionApi(None, None, self.graphql_url, self.token_url, access_token=answer["access_token"])

    # --- calls ----------------------------------------------------------------------------------

    def graphql(self, query, variables=None):
        """Runs one operation; its `data`, or UnionApiError with the first error's code."""
        request_id = str(uuid.uuid4())
        request = urllib.request.Request(
            self.graphql_url,
            data=json.dumps({"query": query, "variables": variables or {}}).encode("utf-8"),
            headers={
                "content-type": "application/json",
                "authorization": "Bearer " + self.access_token(),
                "x-request-id": request_id,
            },
            method="POST",
        )
        status, headers, body = _send(request)
        answer = _json(body)
        errors = answer.get("errors") or []
        if errors or answer.get("data") is None:
            first = errors[0] if errors else {"message": body.decode("utf-8", "replace")}
            code = (first.get("extensions") or {}).get("code", "HTTP_%s" % status)
            raise UnionApiError(status, code, first.get("message", ""), headers.get("x-request-id", request_id), headers.get("retry-after"))
        return answer["data"]

    def export_members(self, path, **params):
        """GET /exports/members streamed into a file (scope member:export); returns (rows, export id, masked)."""
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        request = urllib.request.Request(self.base_url + "/exports/members?" + query, headers={"authorization": "Bearer " + self.access_token()})
        try:
            response = urllib.request.urlopen(request, timeout=300)
        except urllib.error.HTTPError as error:
            answer = _json(error.read())
            first = (answer.get("errors") or [{}])[0]
            raise UnionApiError(error.code, (first.get("extensions") or {}).get("code", "HTTP_%s" % error.code), first.get("message", ""), error.headers.get("x-request-id"), error.headers.get("retry-after"))
        lines = 0
        with response, open(path, "wb") as out:
            for line in response:  # line by line: a million members never sit in memory
                out.write(line)
                lines += 1
        header_lines = 1 if params.get("format", "csv") == "csv" else 0
        return lines - header_lines, response.headers.get("x-export-id"), response.headers.get("x-export-masked") != "false"


def _send(request):
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def _json(body):
    try:
        value = json.loads(body.decode("utf-8"))
        return value if isinstance(value, dict) else {}
    except ValueError:
        return {}
