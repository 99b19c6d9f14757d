/* kc-kerio-error.h: errors of the Kerio Operator client
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define KC_KERIO_ERROR (kc_kerio_error_quark ())

typedef enum
{
  KC_KERIO_ERROR_FAILED,
  /* Network: refused, unreachable, DNS, timeout, connection dropped */
  KC_KERIO_ERROR_TRANSPORT,
  /* An HTTP status other than 200 (401/403 handled as SESSION_EXPIRED first) */
  KC_KERIO_ERROR_HTTP,
  /* The answer is not JSON-RPC at all: an HTML page, a 404 from some web server */
  KC_KERIO_ERROR_NOT_KERIO,
  /* JSON that does not parse, a truncated body, a result of the wrong shape */
  KC_KERIO_ERROR_MALFORMED,
  /* A body over the size limit */
  KC_KERIO_ERROR_TOO_LARGE,
  /* A JSON-RPC error (or result.errors) other than the ones below */
  KC_KERIO_ERROR_RPC,
  /* -32001, or HTTP 401/403: the server no longer knows our session */
  KC_KERIO_ERROR_SESSION_EXPIRED,
  /* Session.login refused the credentials */
  KC_KERIO_ERROR_AUTH,
  /* The certificate is neither trusted nor pinned; the message carries its fingerprint */
  KC_KERIO_ERROR_TLS,
  /* A download URL pointing away from the PBX, or a name that would escape the cache */
  KC_KERIO_ERROR_FORBIDDEN,
  /* The thing asked for does not exist (a recording id the PBX does not know) */
  KC_KERIO_ERROR_NOT_FOUND,
  /* JSON-RPC -32601: this PBX has no such method */
  KC_KERIO_ERROR_UNKNOWN_METHOD,
} KcKerioError;

/* JSON-RPC code Kerio uses for "Session expired." */
#define KC_KERIO_RPC_SESSION_EXPIRED (-32001)
/* JSON-RPC's own code for "Method not found" */
#define KC_KERIO_RPC_METHOD_NOT_FOUND (-32601)

/* No JSON-RPC answer body is allowed past this many bytes. */
#define KC_KERIO_MAX_BODY_SIZE (16 * 1024 * 1024)

GQuark kc_kerio_error_quark (void);

G_END_DECLS
