/* kc-kerio-client-private.h: what the files of KcKerioClient share
 *
 * kc-kerio-client.c    the object, its session and login, any method with
 *                      one re-login, logout
 * kc-kerio-rpc.c       one JSON-RPC request: messages, certificate check,
 *                      errors, the body read
 * kc-kerio-queries.c   Status.getCalls and the paged *.get queries
 * kc-kerio-download.c  recording downloads
 * kc-kerio-tls.c       pins, fingerprints, safe file names
 *
 * Not for use outside src/kerio/.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libsoup/soup.h>

#include "kc-kerio-client.h"

G_BEGIN_DECLS

#define KC_KERIO_READ_CHUNK_SIZE (64 * 1024)

struct _KcKerioClient
{
  GObject parent_instance;

  SoupSession *session;
  GUri        *endpoint;
  char        *endpoint_text; /* for messages: no user info */
  char        *host_port;     /* "pbx.example:4021", for messages */
  guint        timeout;

  char        *username;
  char        *password;
  guint        credentials_serial;

  char        *token;
  char        *tls_pin;
  char        *peer_fingerprint;
  gint64       next_request_id;

  gboolean     logging_in;
  guint        login_serial; /* credentials_serial the running login uses */
  GPtrArray   *login_waiters;
  GError      *auth_error;
  gint64       auth_error_time;

  KcKerioCapture *capture; /* NULL when not capturing */

  /* The PBX's clock less ours, in seconds, from its last Date header */
  gint64       server_clock_offset;
  gboolean     server_clock_known;
};

/* Reads a whole answer body; NULL and an error when it cannot. Most
 * methods keep json-glib's tree of the "result"
 * (kc_kerio_rpc_result_node_reader); the paged queries read their rows
 * straight from the body. */
typedef gpointer (*KcKerioRpcParseFunc) (const char  *body,
                                         gsize        length,
                                         GError     **error);

typedef struct
{
  KcKerioRpcParseFunc parse;
  GDestroyNotify      free;
} KcKerioRpcReader;

extern const KcKerioRpcReader kc_kerio_rpc_result_node_reader;

/* kc-kerio-client.c */
void          kc_kerio_client_forget_session         (KcKerioClient       *self);
void          kc_kerio_client_set_peer_fingerprint   (KcKerioClient       *self,
                                                      const char          *fingerprint);
/* A call, logging in first when needed and once again when the session
 * expired, whose answer the reader turns into what the task returns */
void          kc_kerio_client_call_with_reader_async (KcKerioClient          *self,
                                                      const char             *method,
                                                      JsonNode               *params,
                                                      const KcKerioRpcReader *reader,
                                                      GCancellable           *cancellable,
                                                      GAsyncReadyCallback     callback,
                                                      gpointer                user_data);
int           kc_kerio_uri_effective_port            (GUri                *uri);

/* kc-kerio-rpc.c */
SoupMessage  *kc_kerio_client_new_message            (KcKerioClient       *self,
                                                      const char          *method,
                                                      GUri                *uri);
void          kc_kerio_client_remember_peer_certificate (KcKerioClient *self,
                                                         SoupMessage   *message);
GError       *kc_kerio_client_transport_error        (KcKerioClient       *self,
                                                      SoupMessage         *message,
                                                      const GError        *error);
GError       *kc_kerio_client_http_error             (KcKerioClient       *self,
                                                      SoupMessage         *message,
                                                      gboolean             session_may_expire);
const char   *kc_kerio_reason_phrase                 (SoupMessage         *message);
gboolean      kc_kerio_content_length_exceeds        (SoupMessage         *message,
                                                      goffset              limit);
void          kc_kerio_discard_stream                (GInputStream        *stream);
/* One request, no login logic */
void          kc_kerio_rpc_async                     (KcKerioClient          *self,
                                                      const char             *method,
                                                      JsonNode               *params,
                                                      const KcKerioRpcReader *reader,
                                                      GCancellable           *cancellable,
                                                      GAsyncReadyCallback     callback,
                                                      gpointer                user_data);
gpointer      kc_kerio_rpc_finish                    (KcKerioClient       *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);

G_END_DECLS
