// The explorer page's own script (served at /explorer/assets/explorer.js). Plain browser
// JavaScript over the React 18 and GraphiQL 3 UMD bundles the page loads before it.
//
// The access token lives in `session` below and nowhere else: no localStorage, no sessionStorage,
// no cookie. GraphiQL gets an in-memory storage too, so not even the editors' text is persisted.
// Every call goes to this origin's /oauth/token and /graphql, with the partner's own token.
(function () {
  'use strict';

  var VIEWER_QUERY =
    '# Who am I, and what may I do? (Run it with the play button or Ctrl-Enter.)\n' +
    'query Viewer {\n  viewer { kind id name scopes organization { id name kind } }\n}\n';

  var NEW_TAB_QUERY =
    '# Write an operation here; Ctrl-Enter runs it with your token (your scopes, limits and budget).\n' +
    '# The other tabs hold the example operations of your kind; the book icon on the left opens the docs.\n';

  var session = null; // { token, claims, expiresAt }
  var root = null;
  var generation = 0;
  var operationsPromise = null;

  var $ = function (id) {
    return document.getElementById(id);
  };

  function memoryStorage() {
    var items = new Map();
    return {
      getItem: function (key) {
        return items.has(key) ? items.get(key) : null;
      },
      setItem: function (key, value) {
        items.set(key, String(value));
      },
      removeItem: function (key) {
        items.delete(key);
      },
      clear: function () {
        items.clear();
      },
      key: function (index) {
        return Array.from(items.keys())[index] || null;
      },
      get length() {
        return items.size;
      },
    };
  }

  function requestId() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.from(bytes, function (b) {
      return b.toString(16).padStart(2, '0');
    }).join('');
    return hex.slice(0, 8) + '-' + hex.slice(8, 12) + '-' + hex.slice(12, 16) + '-' + hex.slice(16, 20) + '-' + hex.slice(20);
  }

  /** The claims of a JWT, read without verifying it: only to pick the examples and show who this is. */
  function claimsOf(token) {
    try {
      var part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      var json = decodeURIComponent(
        Array.prototype.map
          .call(atob(part), function (c) {
            return '%' + c.charCodeAt(0).toString(16).padStart(2, '0');
          })
          .join(''),
      );
      return JSON.parse(json);
    } catch (e) {
      return null;
    }
  }

  function showFailure(code, status, id, message) {
    $('failure-code').textContent = code;
    $('failure-status').textContent = String(status);
    $('failure-request-id').textContent = id;
    $('failure-message').textContent = message || '';
    $('failure').hidden = false;
  }

  function clearFailure() {
    $('failure').hidden = true;
  }

  function operations() {
    operationsPromise =
      operationsPromise ||
      fetch('/explorer/operations.json', { credentials: 'omit' }).then(function (r) {
        return r.json();
      });
    return operationsPromise;
  }

  async function fetcher(params) {
    if (!session) throw new Error('sign in first: client id and secret, or paste a token');
    if (Date.now() >= session.expiresAt) {
      showFailure('UNAUTHENTICATED', 401, '-', 'the access token has expired: get a new one');
      throw new Error('the access token has expired: get a new one');
    }
    var sent = requestId();
    var response = await fetch('/graphql', {
      method: 'POST',
      credentials: 'omit',
      cache: 'no-store',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        authorization: 'Bearer ' + session.token,
        'x-request-id': sent,
      },
      body: JSON.stringify(params),
    });
    var id = response.headers.get('x-request-id') || sent;
    var text = await response.text();
    var body;
    try {
      body = JSON.parse(text);
    } catch (e) {
      body = { errors: [{ message: text, extensions: { code: 'HTTP_' + response.status } }] };
    }
    var errors = Array.isArray(body.errors) ? body.errors : [];
    if (!response.ok || errors.length > 0) {
      var first = errors[0] || {};
      var code = (first.extensions && first.extensions.code) || 'HTTP_' + response.status;
      showFailure(code, response.status, id, first.message);
    } else {
      clearFailure();
    }
    return body;
  }

  function describe(claims) {
    var parts = [claims.name || claims.sub, claims.kind];
    if (claims.scope) parts.push(claims.scope);
    return parts.join(' · ');
  }

  function tick() {
    if (!session) return;
    var left = Math.max(0, Math.round((session.expiresAt - Date.now()) / 1000));
    $('who').textContent = describe(session.claims) + ' · token expires in ' + left + ' s';
    if (left > 0) setTimeout(tick, 1000);
  }

  async function start(token) {
    var claims = claimsOf(token);
    if (!claims || !claims.kind) {
      showFailure('BAD_TOKEN', 0, '-', 'this does not look like an access token of this API');
      return;
    }
    session = { token: token, claims: claims, expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : Date.now() + 600000 };
    clearFailure();
    $('pasted-token').value = '';
    $('who').hidden = false;
    $('sign-out').hidden = false;
    tick();

    var examples = await operations();
    var file = examples.byKind[claims.kind];
    var tabs = [{ query: VIEWER_QUERY }];
    if (file && examples.files[file]) tabs.push({ query: examples.files[file] });

    generation += 1;
    var container = $('graphiql');
    if (!root) {
      container.textContent = '';
      root = ReactDOM.createRoot(container);
    }
    root.render(
      React.createElement(GraphiQL, {
        key: 'session-' + generation,
        fetcher: fetcher,
        storage: memoryStorage(),
        defaultTabs: tabs,
        defaultQuery: NEW_TAB_QUERY,
        shouldPersistHeaders: false,
        isHeadersEditorEnabled: false,
        defaultEditorToolsVisibility: 'variables',
      }),
    );
    document.body.dataset.kind = claims.kind;
  }

  async function getToken(event) {
    event.preventDefault();
    var clientId = $('client-id').value.trim();
    var secret = $('client-secret').value;
    if (!clientId || !secret) {
      showFailure('invalid_request', 0, '-', 'enter the client id and the client secret');
      return;
    }
    var sent = requestId();
    var response = await fetch('/oauth/token', {
      method: 'POST',
      credentials: 'omit',
      cache: 'no-store',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'Basic ' + btoa(unescape(encodeURIComponent(clientId + ':' + secret))),
        'x-request-id': sent,
      },
      body: 'grant_type=client_credentials',
    });
    var body = await response.json().catch(function () {
      return {};
    });
    if (!response.ok || !body.access_token) {
      showFailure(body.error || 'HTTP_' + response.status, response.status, response.headers.get('x-request-id') || sent, body.error_description);
      return;
    }
    await start(body.access_token);
  }

  function signOut() {
    session = null;
    $('client-secret').value = '';
    $('who').hidden = true;
    $('sign-out').hidden = true;
    delete document.body.dataset.kind;
    if (root) {
      root.unmount();
      root = null;
    }
    $('graphiql').textContent = 'Signed out: the token is forgotten.';
    clearFailure();
  }

  $('login').addEventListener('submit', function (event) {
    getToken(event).catch(function (error) {
      showFailure('NETWORK', 0, '-', String(error));
    });
  });
  $('use-token').addEventListener('click', function () {
    var token = $('pasted-token')
      .value.trim()
      .replace(/^Bearer\s+/i, '');
    if (token)
      start(token).catch(function (error) {
        showFailure('NETWORK', 0, '-', String(error));
      });
  });
  $('sign-out').addEventListener('click', signOut);
})();
