/* kc-kerio-parse.h: JSON-RPC answers to plain records
 *
 * Pure functions, no I/O: the client feeds them bodies, the fuzzers feed them
 * anything. Tolerant by design (the API is unpublished): member names inside
 * a result are matched without regard to case, numbers may be JSON numbers or
 * strings, unknown fields are ignored, missing optional fields are not
 * errors. Anything they cannot read is a KC_KERIO_ERROR, never a crash.
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

/* One page of a *.get answer, read straight from the body. */
typedef struct
{
  GPtrArray *rows;        /* KcCdr or KcRecording; rows that are not objects skipped */
  gint64     total_items; /* "totalItems", or the number of rows when missing */
  gboolean   total_known; /* "totalItems" was there and a number */
  guint      n_raw;       /* rows in the answer, objects or not: the next page's start counts them */
  GBytes    *first_row;   /* the first row as sent, NULL when the page is empty: a server
                             that ignores "start" sends it again */
} KcKerioPageAnswer;

void kc_kerio_page_answer_free (KcKerioPageAnswer *answer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KcKerioPageAnswer, kc_kerio_page_answer_free)

/* A whole CallHistory.get (Recordings.get) response body -> its page: the
 * same rows, total and errors as kc_kerio_parse_response() followed by
 * kc_kerio_parse_cdrs() (kc_kerio_parse_recordings()). A well-formed answer
 * is read in one pass without building a tree; anything else (an error
 * answer, broken or odd JSON) goes through json-glib, which words the
 * error. */
KcKerioPageAnswer *kc_kerio_parse_cdr_page       (const char  *body,
                                                  gsize        length,
                                                  GError     **error);
KcKerioPageAnswer *kc_kerio_parse_recording_page (const char  *body,
                                                  gsize        length,
                                                  GError     **error);
/* The same for Status.getCalls: rows of KcActiveCall as
 * kc_kerio_parse_active_calls() gives them (total_items means nothing). */
KcKerioPageAnswer *kc_kerio_parse_call_page      (const char  *body,
                                                  gsize        length,
                                                  GError     **error);

/* The one-pass readers alone, for the tests and the fuzzers: NULL when they
 * cannot tell the answer by themselves (then the tree decides). They accept
 * strict JSON only, a subset of what json-glib accepts. */
KcKerioPageAnswer *kc_kerio_stream_cdr_page       (const char *body,
                                                   gsize       length);
KcKerioPageAnswer *kc_kerio_stream_recording_page (const char *body,
                                                   gsize       length);
KcKerioPageAnswer *kc_kerio_stream_call_page      (const char *body,
                                                   gsize       length);

/* The result of Server.getInternalDirectoryList -> array of KcDirectoryEntry
 * ("numberList"); rows without a number are left out. */
GPtrArray *kc_kerio_parse_directory     (JsonNode    *result,
                                         GError     **error);

/* The result of Recordings.downloadAudioContent -> KcFileDownload. */
KcFileDownload *kc_kerio_parse_file_download (JsonNode *result,
                                              GError  **error);

/* A member of object, its name matched without regard to ASCII case
 * ("ID" finds "id"), as every name inside a result is: firmware versions
 * spell them differently. When object holds the name in several spellings,
 * the one asked for wins, else the first in the object's order. NULL when
 * absent. */
JsonNode  *kc_kerio_json_get_member     (JsonObject  *object,
                                         const char  *member);

/* Tolerant readers, names matched as kc_kerio_json_get_member() matches
 * them: a member that is a JSON number, a numeric string, or a boolean.
 * Return FALSE when absent or not a number. */
gboolean   kc_kerio_json_get_int        (JsonObject  *object,
                                         const char  *member,
                                         gint64      *out);
/* A member that is a string, or a number printed as text; NULL when absent. */
char      *kc_kerio_json_dup_string     (JsonObject  *object,
                                         const char  *member);

G_END_DECLS
