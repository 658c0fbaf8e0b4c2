/*
 * A hospital's counter (医院窗口) in plain Java 11+ (java.net.http, no libraries), one file:
 *
 *   java examples/java/HospitalCounter.java
 *
 *   1. an access token for the hospital (OAuth2 client credentials, HTTP Basic),
 *   2. the member shows the QR code of the member app (in the demo the PLATFORM partner plays the app),
 *   3. the hospital verifies the card for HOSPITAL_DISCOUNT,
 *   4. quotes and applies the discount on the self-paid part (a retry answers the same claim),
 *   5. voids the claim again (e.g. the insurance settlement was revoked).
 *
 * Settings, first match wins: UNION_GATEWAY_URL (else "gatewayUrl" of the credentials file, else
 * http://localhost:$GATEWAY_PORT/graphql, GATEWAY_PORT defaulting to 4000), UNION_TOKEN_URL,
 * UNION_CLIENT_ID / UNION_CLIENT_SECRET (else the demo hospital), UNION_CREDENTIALS_FILE (default
 * .data/demo-credentials.json, written by `npm start`). Prints its steps, then a summary as one JSON line.
 */
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

public class HospitalCounter {

  /** A refused call: code is the contract's extensions.code (GET /errors lists them all), or the OAuth error. */
  static class UnionApiException extends RuntimeException {
    final int status;
    final String code;
    final String requestId;

    UnionApiException(int status, String code, String message, String requestId) {
      super(code + " (HTTP " + status + "): " + message + " [request id " + requestId + "]");
      this.status = status;
      this.code = code;
      this.requestId = requestId;
    }
  }

  /** One partner's client: a token renewed before it expires, and GraphQL calls. */
  static class UnionApi {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String graphqlUrl;
    private final String tokenUrl;
    private final String clientId;
    private final String clientSecret;
    private String token;
    private long renewAtMillis;

    UnionApi(String graphqlUrl, String tokenUrl, String clientId, String clientSecret, String fixedToken) {
      this.graphqlUrl = graphqlUrl;
      this.tokenUrl = tokenUrl;
      this.clientId = clientId;
      this.clientSecret = clientSecret;
      this.token = fixedToken;
      this.renewAtMillis = fixedToken == null ? 0 : Long.MAX_VALUE;
    }

    Map<String, Object> tokenRequest(Map<String, String> params) throws IOException, InterruptedException {
      StringBuilder form = new StringBuilder();
      for (Map.Entry<String, String> e : params.entrySet()) {
        if (form.length() > 0) form.append('&');
        form.append(enc(e.getKey())).append('=').append(enc(e.getValue()));
      }
      String basic = Base64.getEncoder().encodeToString((enc(clientId) + ":" + enc(clientSecret)).getBytes(StandardCharsets.UTF_8));
      HttpRequest request = HttpRequest.newBuilder(URI.create(tokenUrl))
          .timeout(Duration.ofSeconds(30))
          .header("content-type", "application/x-www-form-urlencoded")
          .header("authorization", "Basic " + basic)
          .POST(HttpRequest.BodyPublishers.ofString(form.toString()))
          .build();
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      Map<String, Object> answer = asMap(Json.parse(response.body()));
      if (response.statusCode() != 200 || !answer.containsKey("access_token")) {
        throw new UnionApiException(response.statusCode(), String.valueOf(answer.get("error")), String.valueOf(answer.get("error_description")),
            response.headers().firstValue("x-request-id").orElse("-"));
      }
      return answer;
    }

    String accessToken() throws IOException, InterruptedException {
      if (token != null && System.currentTimeMillis() < renewAtMillis) return token;
      Map<String, Object> answer = tokenRequest(Map.of("grant_type", "client_credentials"));
      token = (String) answer.get("access_token");
      // Renew 30 s early: a token that expires on the way is a needless 401.
      renewAtMillis = System.currentTimeMillis() + Math.max(0, ((Number) answer.get("expires_in")).longValue() - 30) * 1000;
      return token;
    }

    /** PLATFORM partners (member:act-as): a client acting as one member, as the member app does (RFC 8693). */
    UnionApi forMember(String memberId) throws IOException, InterruptedException {
      Map<String, String> params = new LinkedHashMap<>();
      params.put("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange");
      params.put("subject_token", memberId);
      params.put("subject_token_type", "urn:union-benefits:params:oauth:token-type:member-id");
      return new UnionApi(graphqlUrl, tokenUrl, null, null, (String) tokenRequest(params).get("access_token"));
    }

    Map<String, Object> graphql(String query, Map<String, Object> variables) throws IOException, InterruptedException {
      String requestId = UUID.randomUUID().toString();
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("query", query);
      body.put("variables", variables == null ? Map.of() : variables);
      HttpRequest request = HttpRequest.newBuilder(URI.create(graphqlUrl))
          .timeout(Duration.ofSeconds(60))
          .header("content-type", "application/json")
          .header("authorization", "Bearer " + accessToken())
          .header("x-request-id", requestId)
          .POST(HttpRequest.BodyPublishers.ofString(Json.write(body), StandardCharsets.UTF_8))
          .build();
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      Map<String, Object> answer = asMap(Json.parse(response.body()));
      Object errors = answer.get("errors");
      if ((errors instanceof List && !((List<?>) errors).isEmpty()) || answer.get("data") == null) {
        Map<String, Object> first = errors instanceof List && !((List<?>) errors).isEmpty() ? asMap(((List<?>) errors).get(0)) : Map.of();
        Map<String, Object> extensions = asMap(first.get("extensions"));
        throw new UnionApiException(response.statusCode(), String.valueOf(extensions.getOrDefault("code", "HTTP_" + response.statusCode())),
            String.valueOf(first.getOrDefault("message", response.body())), response.headers().firstValue("x-request-id").orElse(requestId));
      }
      return asMap(answer.get("data"));
    }

    private static String enc(String value) {
      return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
  }

  static final String VERIFY = "mutation ($token: String!) { verifyMemberCard(token: $token, purpose: HOSPITAL_DISCOUNT) {"
      + " valid reason verificationId member { id displayName cardNumber } } }";
  static final String QUOTE = "mutation ($v: ID!, $fen: Int!) { quoteHospitalDiscount(verificationId: $v, selfPaidFen: $fen) {"
      + " discountFen payableFen policy { hospitalName rateBasisPoints } } }";
  static final String APPLY = "mutation ($input: ApplyHospitalDiscountInput!) { applyHospitalDiscount(input: $input) {"
      + " id invoiceNumber selfPaidFen discountFen payableFen status } }";
  static final String VOID = "mutation ($id: ID!, $reason: String!) { voidDiscountClaim(claimId: $id, reason: $reason) { id status } }";

  public static void main(String[] args) throws Exception {
    Map<String, Object> demo = readDemoCredentials();
    String graphqlUrl = env("UNION_GATEWAY_URL",
        demo.containsKey("gatewayUrl") ? (String) demo.get("gatewayUrl") : "http://localhost:" + env("GATEWAY_PORT", "4000") + "/graphql");
    String tokenUrl = env("UNION_TOKEN_URL", demo.containsKey("tokenUrl") ? (String) demo.get("tokenUrl") : graphqlUrl.replaceAll("/graphql$", "/oauth/token"));
    Map<String, Object> partners = asMap(demo.get("partners"));
    Map<String, Object> demoHospital = asMap(partners.get("hospital"));
    String clientId = env("UNION_CLIENT_ID", (String) demoHospital.get("clientId"));
    String clientSecret = env("UNION_CLIENT_SECRET", (String) demoHospital.get("clientSecret"));
    if (clientId == null || clientSecret == null) {
      System.err.println("no credentials: set UNION_CLIENT_ID and UNION_CLIENT_SECRET, or run \"npm start\" so that .data/demo-credentials.json exists");
      System.exit(2);
    }

    try {
      UnionApi hospital = new UnionApi(graphqlUrl, tokenUrl, clientId, clientSecret, null);
      hospital.accessToken();
      System.out.println("token for the hospital from " + tokenUrl);

      // In real life the code comes from the camera; in the demo the platform's member app makes one.
      List<Object> members = demo.get("members") instanceof List ? asList(demo.get("members")) : List.of();
      Map<String, Object> platform = asMap(partners.get("platform"));
      if (members.isEmpty() || platform.isEmpty()) throw new IllegalStateException("the demo member app needs .data/demo-credentials.json");
      String memberId = (String) asMap(members.get(0)).get("id");
      UnionApi app = new UnionApi(graphqlUrl, tokenUrl, (String) platform.get("clientId"), (String) platform.get("clientSecret"), null).forMember(memberId);
      Map<String, Object> qr = asMap(app.graphql("mutation { issueMemberCardToken { token expiresAt } }", null).get("issueMemberCardToken"));
      System.out.println("member app shows a QR code valid until " + qr.get("expiresAt"));

      Map<String, Object> verification = asMap(hospital.graphql(VERIFY, Map.of("token", qr.get("token"))).get("verifyMemberCard"));
      if (!Boolean.TRUE.equals(verification.get("valid"))) throw new IllegalStateException("card not valid: " + verification.get("reason"));
      Map<String, Object> member = asMap(verification.get("member"));
      System.out.println("verified " + member.get("displayName") + " (" + member.get("cardNumber") + ")");

      int selfPaidFen = 85_000; // 850.00 yuan after medical insurance
      String verificationId = (String) verification.get("verificationId");
      Map<String, Object> quote = asMap(hospital.graphql(QUOTE, Map.of("v", verificationId, "fen", selfPaidFen)).get("quoteHospitalDiscount"));
      System.out.printf("quote: %s -> discount %.2f yuan, pay %.2f yuan%n", asMap(quote.get("policy")).get("hospitalName"),
          ((Number) quote.get("discountFen")).doubleValue() / 100, ((Number) quote.get("payableFen")).doubleValue() / 100);

      Map<String, Object> input = new LinkedHashMap<>();
      input.put("verificationId", verificationId);
      input.put("invoiceNumber", "JAVA-" + System.currentTimeMillis());
      input.put("selfPaidFen", selfPaidFen);
      Map<String, Object> claim = asMap(hospital.graphql(APPLY, Map.of("input", input)).get("applyHospitalDiscount"));
      // A retry after a timeout is safe: the same invoice number answers the same claim.
      Map<String, Object> retried = asMap(hospital.graphql(APPLY, Map.of("input", input)).get("applyHospitalDiscount"));
      boolean sameClaim = claim.get("id").equals(retried.get("id"));
      System.out.println("claim " + claim.get("id") + " (" + claim.get("status") + "); retry answered the same claim: " + sameClaim);

      Map<String, Object> voided = asMap(hospital.graphql(VOID, Map.of("id", claim.get("id"), "reason", "demo: settlement revoked")).get("voidDiscountClaim"));
      System.out.println("claim " + voided.get("id") + " " + voided.get("status"));

      Map<String, Object> summary = new LinkedHashMap<>();
      summary.put("example", "hospital-java");
      summary.put("claimId", claim.get("id"));
      summary.put("discountFen", claim.get("discountFen"));
      summary.put("idempotentRetry", sameClaim);
      summary.put("voided", voided.get("status"));
      System.out.println(Json.write(summary));
    } catch (UnionApiException e) {
      System.err.println("failed: " + e.getMessage());
      System.exit(1);
    }
  }

  static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isEmpty() ? fallback : value;
  }

  static Map<String, Object> readDemoCredentials() throws IOException {
    Path file = Path.of(env("UNION_CREDENTIALS_FILE", Path.of(".data", "demo-credentials.json").toString()));
    return Files.exists(file) ? asMap(Json.parse(Files.readString(file, StandardCharsets.UTF_8))) : Map.of();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> asMap(Object value) {
    return value instanceof Map ? (Map<String, Object>) value : Map.of();
  }

  @SuppressWarnings("unchecked")
  static List<Object> asList(Object value) {
    return value instanceof List ? (List<Object>) value : List.of();
  }

  /** Just enough JSON for this example (RFC 8259 values); a real integration would use its JSON library. */
  static final class Json {
    private final String text;
    private int at;

    private Json(String text) {
      this.text = text;
    }

    static Object parse(String text) {
      Json json = new Json(text);
      json.space();
      Object value = json.value();
      json.space();
      if (json.at != text.length()) throw new IllegalArgumentException("trailing characters in JSON at " + json.at);
      return value;
    }

    private void space() {
      while (at < text.length() && Character.isWhitespace(text.charAt(at))) at++;
    }

    private Object value() {
      if (at >= text.length()) throw new IllegalArgumentException("unexpected end of JSON");
      char c = text.charAt(at);
      if (c == '{') {
        Map<String, Object> map = new LinkedHashMap<>();
        at++;
        space();
        if (text.charAt(at) == '}') { at++; return map; }
        while (true) {
          space();
          String key = string();
          space();
          expect(':');
          space();
          map.put(key, value());
          space();
          if (text.charAt(at) == ',') { at++; continue; }
          expect('}');
          return map;
        }
      }
      if (c == '[') {
        List<Object> list = new ArrayList<>();
        at++;
        space();
        if (text.charAt(at) == ']') { at++; return list; }
        while (true) {
          space();
          list.add(value());
          space();
          if (text.charAt(at) == ',') { at++; continue; }
          expect(']');
          return list;
        }
      }
      if (c == '"') return string();
      if (text.startsWith("true", at)) { at += 4; return Boolean.TRUE; }
      if (text.startsWith("false", at)) { at += 5; return Boolean.FALSE; }
      if (text.startsWith("null", at)) { at += 4; return null; }
      int start = at;
      while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) at++;
      String number = text.substring(start, at);
      if (number.isEmpty()) throw new IllegalArgumentException("unexpected '" + c + "' in JSON at " + start);
      return number.matches("-?\\d+") ? (Object) Long.parseLong(number) : (Object) Double.parseDouble(number);
    }

    private String string() {
      expect('"');
      StringBuilder out = new StringBuilder();
      while (true) {
        char c = text.charAt(at++);
        if (c == '"') return out.toString();
        if (c != '\\') { out.append(c); continue; }
        char e = text.charAt(at++);
        switch (e) {
          case 'n': out.append('\n'); break;
          case 't': out.append('\t'); break;
          case 'r': out.append('\r'); break;
          case 'b': out.append('\b'); break;
          case 'f': out.append('\f'); break;
          case 'u': out.append((char) Integer.parseInt(text.substring(at, at + 4), 16)); at += 4; break;
          default: out.append(e);
        }
      }
    }

    private void expect(char c) {
      if (at >= text.length() || text.charAt(at) != c) throw new IllegalArgumentException("expected '" + c + "' in JSON at " + at);
      at++;
    }

    static String write(Object value) {
      if (value == null) return "null";
      if (value instanceof String) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : ((String) value).toCharArray()) {
          if (c == '"' || c == '\\') out.append('\\').append(c);
          else if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
          else out.append(c);
        }
        return out.append('"').toString();
      }
      if (value instanceof Number || value instanceof Boolean) return value.toString();
      if (value instanceof Map) {
        StringBuilder out = new StringBuilder("{");
        for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
          if (out.length() > 1) out.append(',');
          out.append(write(String.valueOf(e.getKey()))).append(':').append(write(e.getValue()));
        }
        return out.append('}').toString();
      }
      if (value instanceof List) {
        StringBuilder out = new StringBuilder("[");
        for (Object item : (List<?>) value) {
          if (out.length() > 1) out.append(',');
          out.append(write(item));
        }
        return out.append(']').toString();
      }
      throw new IllegalArgumentException("cannot write " + value.getClass());
    }
  }
}
