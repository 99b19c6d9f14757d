/* kc-kerio-client.h: the Kerio Operator JSON-RPC client
 *
 * One SoupSession with keep-alive and a cookie jar. Logs in on first use
 * (coalescing concurrent callers into one Session.login), sends X-Token and
 * the session cookies on every request, logs in again once, transparently,
 * when the server says the session is gone, and never loops on wrong
 * credentials: after a refused login, further logins fail at once with the
 * same error for KC_KERIO_LOGIN_RETRY_DELAY seconds, or until the credentials
 * change.
 *
 * TLS is verified; a certificate that is not trusted may be pinned by the
 * SHA-256 of its DER encoding. An untrusted, unpinned certificate fails with
 * KC_KERIO_ERROR_TLS whose message carries the certificate's fingerprint.
 * With a pin, only the pinned certificate is accepted, whatever CA signed
 * another: a different one fails with KC_KERIO_ERROR_TLS naming both
 * fingerprints, before any request (a password) is sent. A pin set later
 * applies to new connections.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "kc-kerio-capture.h"
#include "kc-kerio-error.h"
#include "kc-kerio-types.h"

G_BEGIN_DECLS

#define KC_KERIO_LOGIN_RETRY_DELAY 30
#define KC_KERIO_DEFAULT_TIMEOUT 10
/* Recordings are WAV; an hour of 8 kHz 16-bit mono is ~58 MB. */
#define KC_KERIO_MAX_DOWNLOAD_SIZE (512 * 1024 * 1024)

#define KC_TYPE_KERIO_CLIENT (kc_kerio_client_get_type ())
G_DECLARE_FINAL_TYPE (KcKerioClient, kc_kerio_client, KC, KERIO_CLIENT, GObject)

/* endpoint: the JSON-RPC URL, e.g. https://pbx:4021/admin/api/jsonrpc/ */
KcKerioClient *kc_kerio_client_new              (GUri          *endpoint,
                                                 const char    *username,
                                                 const char    *password);
GUri          *kc_kerio_client_get_endpoint     (KcKerioClient *self);
void           kc_kerio_client_set_credentials  (KcKerioClient *self,
                                                 const char    *username,
                                                 const char    *password);
/* pin: 64 lowercase hex digits (see kc_tls_pin_normalize()), or NULL */
void           kc_kerio_client_set_tls_pin      (KcKerioClient *self,
                                                 const char    *pin);
void           kc_kerio_client_set_timeout      (KcKerioClient *self,
                                                 guint          seconds);
/* The PBX's clock less ours, in seconds (whole seconds, so +-1), from the
 * Date header of its last answer; FALSE before one came with a Date. */
gboolean       kc_kerio_client_get_server_clock_offset (KcKerioClient *self,
                                                        gint64        *seconds);
/* Fingerprint (64 lowercase hex) of the last certificate the server showed,
 * trusted or not; NULL before the first HTTPS answer. */
const char    *kc_kerio_client_get_peer_fingerprint (KcKerioClient *self);
gboolean       kc_kerio_client_is_logged_in     (KcKerioClient *self);
/* Every JSON-RPC exchange from now on (logins included, downloads' GET not)
 * goes to capture as well; NULL stops. */
void           kc_kerio_client_set_capture      (KcKerioClient  *self,
                                                 KcKerioCapture *capture);

/* Any JSON-RPC method. params: an object node or NULL (transfer none).
 * Returns the "result" node (transfer full). */
void           kc_kerio_client_call_async       (KcKerioClient       *self,
                                                 const char          *method,
                                                 JsonNode            *params,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
JsonNode      *kc_kerio_client_call_finish      (KcKerioClient  *self,
                                                 GAsyncResult   *result,
                                                 GError        **error);

void           kc_kerio_client_login_async      (KcKerioClient       *self,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean       kc_kerio_client_login_finish     (KcKerioClient  *self,
                                                 GAsyncResult   *result,
                                                 GError        **error);

/* Does nothing (successfully) when not logged in. */
void           kc_kerio_client_logout_async     (KcKerioClient       *self,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean       kc_kerio_client_logout_finish    (KcKerioClient  *self,
                                                 GAsyncResult   *result,
                                                 GError        **error);

/* The params kc_kerio_client_get_calls_async() sends, for a caller that
 * wants to see the answer as it is (kc_kerio_client_call_async) */
JsonNode      *kc_kerio_active_calls_params     (void);

/* Status.getCalls -> GPtrArray of KcActiveCall (transfer full) */
void           kc_kerio_client_get_calls_async  (KcKerioClient       *self,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
GPtrArray     *kc_kerio_client_get_calls_finish (KcKerioClient  *self,
                                                 GAsyncResult   *result,
                                                 GError        **error);

/* A page lost in transit (connection dropped, HTTP error, body cut off or
 * unreadable) is asked for again this many times, after 0.5 s, 1 s, 2 s,
 * before the whole paged read fails: one bad answer in a poor network must
 * not throw away the pages already read. */
#define KC_KERIO_PAGE_RETRIES 3

/* CallHistory.get, newest first, every record with TIMESTAMP >= since
 * (since < 0: all), read page by page until totalItems rows have arrived or
 * a page comes back empty; tolerates servers that cap the page size.
 * -> GPtrArray of KcCdr (transfer full) */
void           kc_kerio_client_get_call_history_async  (KcKerioClient       *self,
                                                        gint64               since,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
GPtrArray     *kc_kerio_client_get_call_history_finish (KcKerioClient  *self,
                                                        GAsyncResult   *result,
                                                        GError        **error);

/* Receives each page of a paged query as it arrives, in order (a GPtrArray
 * of KcCdr, transfer none: the function may steal the rows). Returning FALSE
 * with error set ends the query with that error. */
typedef gboolean (*KcKerioPageFunc) (GPtrArray  *page,
                                     gpointer    user_data,
                                     GError    **error);

/* The same query as kc_kerio_client_get_call_history_async(), but each page
 * goes to page_func as it arrives instead of all rows at the end, so that a
 * long history is neither held in memory nor handled in one piece.
 * *n_rows: the rows read. */
void           kc_kerio_client_read_call_history_async  (KcKerioClient       *self,
                                                         gint64               since,
                                                         KcKerioPageFunc      page_func,
                                                         gpointer             page_data,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean       kc_kerio_client_read_call_history_finish (KcKerioClient  *self,
                                                         GAsyncResult   *result,
                                                         guint64        *n_rows,
                                                         GError        **error);

/* The CDRs of one short span of time, for the check of a single call:
 * every record with since <= TIMESTAMP <= until, oldest first, from ONE
 * CallHistory.get (at most KC_KERIO_FIND_LIMIT rows, no page retries: the
 * caller asks again when the PBX has not written the record yet).
 * -> GPtrArray of KcCdr (transfer full) */
#define KC_KERIO_FIND_LIMIT 100

void           kc_kerio_client_find_call_history_async  (KcKerioClient       *self,
                                                         gint64               since,
                                                         gint64               until,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
GPtrArray     *kc_kerio_client_find_call_history_finish (KcKerioClient  *self,
                                                         GAsyncResult   *result,
                                                         GError        **error);

/* Recordings.get, every recording with STARTED >= since (since < 0: all),
 * paged like the history. -> GPtrArray of KcRecording (transfer full) */
void           kc_kerio_client_get_recordings_async  (KcKerioClient       *self,
                                                      gint64               since,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
GPtrArray     *kc_kerio_client_get_recordings_finish (KcKerioClient  *self,
                                                      GAsyncResult   *result,
                                                      GError        **error);

/* Server.getInternalDirectoryList, every number of the PBX's own (extensions,
 * queues, ring groups...) in one answer -> GPtrArray of KcDirectoryEntry
 * (transfer full) */
void           kc_kerio_client_get_directory_async  (KcKerioClient       *self,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
GPtrArray     *kc_kerio_client_get_directory_finish (KcKerioClient  *self,
                                                     GAsyncResult   *result,
                                                     GError        **error);

/* Recordings.downloadAudioContent, then GET of the returned URL, which must be
 * on the endpoint's own origin (else KC_KERIO_ERROR_FORBIDDEN). The body is
 * streamed into dest_dir (created 0700 if missing) under a sanitized name
 * derived from recording_id, through a temporary file that is renamed when
 * complete; files are 0600. At most KC_KERIO_MAX_DOWNLOAD_SIZE bytes.
 * progress (may be NULL) is called on the main context as bytes arrive.
 * Returns the path of the file (transfer full). */
void           kc_kerio_client_download_recording_async  (KcKerioClient         *self,
                                                          const char            *recording_id,
                                                          const char            *dest_dir,
                                                          GFileProgressCallback  progress,
                                                          gpointer               progress_data,
                                                          GCancellable          *cancellable,
                                                          GAsyncReadyCallback    callback,
                                                          gpointer               user_data);
char          *kc_kerio_client_download_recording_finish (KcKerioClient  *self,
                                                          GAsyncResult   *result,
                                                          GError        **error);

/* "sha256:AB:CD..." / "ab cd ..." / "ABCD..." -> 64 lowercase hex digits,
 * or NULL (with error) when it is not 32 bytes of hex. */
char          *kc_tls_pin_normalize             (const char  *text,
                                                 GError     **error);
/* SHA-256 of the certificate's DER, 64 lowercase hex digits. */
char          *kc_tls_certificate_fingerprint   (GTlsCertificate *certificate);
/* "AB:CD:..." the way openssl x509 -fingerprint -sha256 prints it. */
char          *kc_tls_fingerprint_format        (const char *hex);

/* A file name safe inside a folder of ours, derived from an untrusted id:
 * only [A-Za-z0-9._-], no leading dot, at most 100 chars, never empty. */
char          *kc_sanitize_file_name            (const char *untrusted);

G_END_DECLS
