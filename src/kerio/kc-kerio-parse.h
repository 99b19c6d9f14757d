/* kc-kerio-parse.h: JSON-RPC answers to plain records
 *
 * Pure functions, no I/O: the client feeds them bodies, the fuzzers feed them
 * anything. Tolerant by design (the API is unpublished): numbers may be JSON
 * numbers or strings, unknown fields are ignored, missing optional fields are
 * not errors. Anything they cannot read is a KC_KERIO_ERROR, never a crash.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "kc-kerio-types.h"

G_BEGIN_DECLS

/* Parses a whole JSON-RPC response body and returns its "result" member
 * (a new reference). JSON-RPC "error" objects and "result.errors" arrays
 * become KC_KERIO_ERROR_RPC (KC_KERIO_ERROR_SESSION_EXPIRED for -32001), with
 * the server's message. A body that looks like HTML or is not JSON-RPC is
 * KC_KERIO_ERROR_NOT_KERIO; broken or truncated JSON is KC_KERIO_ERROR_MALFORMED;
 * a body over KC_KERIO_MAX_BODY_SIZE is KC_KERIO_ERROR_TOO_LARGE. */
JsonNode  *kc_kerio_parse_response      (const char  *body,
                                         gsize        length,
                                         GError     **error);

/* The result of Status.getCalls -> array of KcActiveCall. Rows that are not
 * objects are skipped; a result without a "calls" array is MALFORMED. */
GPtrArray *kc_kerio_parse_active_calls  (JsonNode    *result,
                                         GError     **error);

/* The result of CallHistory.get -> array of KcCdr; *total_items gets
 * "totalItems" (or the row count when missing). */
GPtrArray *kc_kerio_parse_cdrs          (JsonNode    *result,
                                         gint64      *total_items,
                                         GError     **error);

/* The result of Recordings.get -> array of KcRecording. */
GPtrArray *kc_kerio_parse_recordings    (JsonNode    *result,
                                         gint64      *total_items,
                                         GError     **error);

/* The result of Recordings.downloadAudioContent -> KcFileDownload. */
KcFileDownload *kc_kerio_parse_file_download (JsonNode *result,
                                              GError  **error);

/* Tolerant readers, shared with the simulator: a member that is a JSON
 * number, a numeric string, or a boolean. Return FALSE when absent or not
 * a number. */
gboolean   kc_kerio_json_get_int        (JsonObject  *object,
                                         const char  *member,
                                         gint64      *out);
/* A member that is a string, or a number printed as text; NULL when absent. */
char      *kc_kerio_json_dup_string     (JsonObject  *object,
                                         const char  *member);

G_END_DECLS
