/* kc-kerio-capture.h: a client's JSON-RPC exchanges, appended to a file
 *
 * One JSON object per line (the format kerio-sim --replay reads):
 *   {"time":"2026-12-07T19:30:58.123Z","method":"Status.getCalls",
 *    "params":{...},"status":200,"elapsedMs":12,"response":"<the body>",
 *    "setCookie":["NAME=<redacted>; path=/admin/; secure; HttpOnly"]}
 * with "status":0, "error":"<why>" and "response":null when the exchange
 * failed at the transport. Secrets are out before a line is written, and
 * with anonymization the customers' data too (see kc-kerio-scrub.h).
 *
 * The file is created 0600, or appended to when it is a regular file of
 * ours (never through a symbolic link), and made private. A failed write
 * is logged once and stops the capture; it never fails a request.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define KC_TYPE_KERIO_CAPTURE (kc_kerio_capture_get_type ())
G_DECLARE_FINAL_TYPE (KcKerioCapture, kc_kerio_capture, KC, KERIO_CAPTURE, GObject)

/* One request and its answer, as the client saw them */
typedef struct
{
  gint64              time;        /* when the request was sent, g_get_real_time() */
  const char         *method;
  JsonNode           *params;      /* the request's params, NULL when none */
  guint               status;      /* HTTP status; 0 when no whole answer came */
  gint64              elapsed_ms;
  const char         *body;        /* the answer's body, NULL when none came */
  gsize               length;
  const char *const  *set_cookies; /* the Set-Cookie headers, NULL-terminated, or NULL */
  const char         *error;       /* why it failed, when status is 0 or the body too large */
} KcKerioExchange;

/* A G_IO_ERROR whose message names the file when it cannot be written */
KcKerioCapture *kc_kerio_capture_new           (const char            *path,
                                                gboolean               anonymize,
                                                GError               **error);
const char     *kc_kerio_capture_get_path      (KcKerioCapture        *self);
gboolean        kc_kerio_capture_get_anonymize (KcKerioCapture        *self);
/* FALSE once a write has failed */
gboolean        kc_kerio_capture_is_active     (KcKerioCapture        *self);
void            kc_kerio_capture_record        (KcKerioCapture        *self,
                                                const KcKerioExchange *exchange);

G_END_DECLS
