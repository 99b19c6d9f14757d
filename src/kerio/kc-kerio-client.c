/* kc-kerio-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-kerio"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "kc-kerio-client.h"
#include "kc-kerio-parse.h"

#define READ_CHUNK_SIZE (64 * 1024)
#define PAGE_SIZE 500
/* A server whose totalItems never comes true must not keep us paging
 * forever; 10000 pages are millions of rows even from a server that caps
 * its pages small. A server that ignores "start" is caught sooner, by its
 * repeated pages. */
#define MAX_PAGES 10000
#define PAGE_RETRY_DELAY_MS 500
/* Idle keep-alive connections are dropped after this; polls come every
 * second or two, so the one connection stays up. */
#define IDLE_TIMEOUT 60
#define REJECTED_FINGERPRINT_KEY "kc-rejected-fingerprint"

#define APPLICATION_NAME "Kerio CTI"
#define APPLICATION_VENDOR "Kerio CTI developers"

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
};

G_DEFINE_FINAL_TYPE (KcKerioClient, kc_kerio_client, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_ENDPOINT,
  PROP_TIMEOUT,
  PROP_TLS_PIN,
  PROP_PEER_FINGERPRINT,
  PROP_LOGGED_IN,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

/* ------------------------------------------------------------------------ */
/* Session state */

static void
set_token (KcKerioClient *self,
           const char    *token)
{
  if (g_strcmp0 (self->token, token) == 0)
    return;
  g_free (self->token);
  self->token = g_strdup (token);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_LOGGED_IN]);
}

/* The PBX's session lives in its cookies as much as in the token; a new
 * login starts from a clean jar. */
static void
forget_session (KcKerioClient *self)
{
  SoupCookieJar *jar;
  GSList *cookies;

  set_token (self, NULL);

  jar = SOUP_COOKIE_JAR (soup_session_get_feature (self->session, SOUP_TYPE_COOKIE_JAR));
  cookies = soup_cookie_jar_all_cookies (jar);
  for (GSList *l = cookies; l != NULL; l = l->next)
    soup_cookie_jar_delete_cookie (jar, l->data);
  g_slist_free_full (cookies, (GDestroyNotify) soup_cookie_free);
}

static void
set_peer_fingerprint (KcKerioClient *self,
                      const char    *fingerprint)
{
  if (fingerprint == NULL || g_strcmp0 (self->peer_fingerprint, fingerprint) == 0)
    return;
  g_free (self->peer_fingerprint);
  self->peer_fingerprint = g_strdup (fingerprint);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_PEER_FINGERPRINT]);
}

/* ------------------------------------------------------------------------ */
/* Messages and their errors */

static gboolean
on_accept_certificate (SoupMessage          *message,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  KcKerioClient *self = user_data;
  g_autofree char *fingerprint = kc_tls_certificate_fingerprint (certificate);

  set_peer_fingerprint (self, fingerprint);
  if (fingerprint != NULL && self->tls_pin != NULL && strcmp (fingerprint, self->tls_pin) == 0)
    return TRUE;

  g_debug ("Rejecting certificate %s (errors 0x%x)", fingerprint, errors);
  g_object_set_data_full (G_OBJECT (message), REJECTED_FINGERPRINT_KEY,
                          g_steal_pointer (&fingerprint), g_free);
  return FALSE;
}

static SoupMessage *
new_message (KcKerioClient *self,
             const char    *method,
             GUri          *uri)
{
  SoupMessage *message = soup_message_new_from_uri (method, uri);
  SoupMessageHeaders *headers = soup_message_get_request_headers (message);

  /* A redirect would carry X-Token wherever the server points */
  soup_message_add_flags (message, SOUP_MESSAGE_NO_REDIRECT);
  soup_message_set_first_party (message, self->endpoint);
  soup_message_set_site_for_cookies (message, self->endpoint);
  if (self->token != NULL)
    soup_message_headers_replace (headers, "X-Token", self->token);
  g_signal_connect_object (message, "accept-certificate", G_CALLBACK (on_accept_certificate),
                           self, G_CONNECT_DEFAULT);
  return message;
}

static void
remember_peer_certificate (KcKerioClient *self,
                           SoupMessage   *message)
{
  GTlsCertificate *certificate = soup_message_get_tls_peer_certificate (message);

  if (certificate != NULL)
    {
      g_autofree char *fingerprint = kc_tls_certificate_fingerprint (certificate);

      set_peer_fingerprint (self, fingerprint);
    }
}

static GError *
transport_error (KcKerioClient *self,
                 SoupMessage   *message,
                 const GError  *error)
{
  const char *rejected = g_object_get_data (G_OBJECT (message), REJECTED_FINGERPRINT_KEY);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);

  if (rejected != NULL && self->tls_pin != NULL)
    {
      g_autofree char *pinned = kc_tls_fingerprint_format (self->tls_pin);
      g_autofree char *presented = kc_tls_fingerprint_format (rejected);

      /* Someone may be in the middle; the operator must be able to tell
       * which certificate was trusted and which one came instead. */
      return g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_TLS,
                          _("The certificate of %s has changed, so the connection was refused. "
                            "Pinned certificate: SHA-256 %s. Presented now: SHA-256 %s. If the "
                            "Kerio Operator administration shows the new fingerprint, trust it "
                            "in the preferences or pin it with KERIO_TLS_PIN=sha256:%s; "
                            "otherwise someone may be intercepting the connection."),
                          self->host_port, pinned, presented, presented);
    }

  if (rejected != NULL)
    {
      g_autofree char *formatted = kc_tls_fingerprint_format (rejected);

      return g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_TLS,
                          _("The certificate of %s is not trusted (SHA-256 fingerprint %s). "
                            "If this is your Kerio Operator's own certificate, pin it with "
                            "KERIO_TLS_PIN=sha256:%s or trust it in the preferences."),
                          self->host_port, formatted, formatted);
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_TRANSPORT,
                        _("Timed out: %s did not answer within %u seconds"),
                        self->host_port, self->timeout);

  if (error->domain == G_RESOLVER_ERROR
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND))
    return g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_TRANSPORT,
                        _("Cannot connect to %s: %s"), self->host_port, error->message);

  if (error->domain == G_TLS_ERROR)
    return g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_TRANSPORT,
                        _("The secure connection to %s failed: %s"),
                        self->host_port, error->message);

  return g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_TRANSPORT,
                      _("The connection to %s failed: %s"), self->host_port, error->message);
}

static const char *
reason_phrase (SoupMessage *message)
{
  const char *reason = soup_message_get_reason_phrase (message);

  if (reason == NULL || *reason == '\0')
    reason = soup_status_get_phrase (soup_message_get_status (message));
  return reason != NULL ? reason : "";
}

static GError *
not_kerio_error (KcKerioClient *self,
                 const char    *detail)
{
  if (detail != NULL)
    return g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_NOT_KERIO,
                        _("This does not look like a Kerio Operator API at %s (%s)"),
                        self->endpoint_text, detail);
  return g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_NOT_KERIO,
                      _("This does not look like a Kerio Operator API at %s"),
                      self->endpoint_text);
}

static GError *
http_error (KcKerioClient *self,
            SoupMessage   *message,
            gboolean       session_may_expire)
{
  guint status = soup_message_get_status (message);
  g_autofree char *detail = g_strdup_printf ("HTTP %u %s", status, reason_phrase (message));

  if (session_may_expire && (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN))
    return g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_SESSION_EXPIRED,
                        _("The PBX no longer accepts this session (%s)"), detail);
  if (status == SOUP_STATUS_NOT_FOUND)
    return not_kerio_error (self, detail);
  return g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_HTTP,
                      _("The PBX answered with an error: %s"), detail);
}

static gboolean
content_length_exceeds (SoupMessage *message,
                        goffset      limit)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (message);

  return soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
         && soup_message_headers_get_content_length (headers) > limit;
}

static GError *
too_large_error (void)
{
  return g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_TOO_LARGE,
                      _("The server's answer is too large (over %d MiB)"),
                      KC_KERIO_MAX_BODY_SIZE / (1024 * 1024));
}

/* Leaving a body unread must not block: the async close gives the
 * connection up instead of draining it. */
static void
discard_stream (GInputStream *stream)
{
  g_input_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
}

/* ------------------------------------------------------------------------ */
/* One JSON-RPC request, no login logic */

/* Reads a whole answer body; NULL and an error when it cannot. Most
 * methods keep json-glib's tree of the "result" (parse_result_node); the
 * paged queries read their rows straight from the body. */
typedef gpointer (*RpcParseFunc) (const char  *body,
                                  gsize        length,
                                  GError     **error);

typedef struct
{
  RpcParseFunc   parse;
  GDestroyNotify free;
} RpcReader;

static gpointer
parse_result_node (const char  *body,
                   gsize        length,
                   GError     **error)
{
  return kc_kerio_parse_response (body, length, error);
}

static const RpcReader result_node_reader = {
  parse_result_node, (GDestroyNotify) json_node_unref,
};

typedef struct
{
  char            *method;
  const RpcReader *reader;
  SoupMessage     *message;
  GInputStream    *stream;
  GByteArray      *body;
} RpcRequest;

static void
rpc_request_free (RpcRequest *request)
{
  g_free (request->method);
  g_clear_object (&request->message);
  g_clear_object (&request->stream);
  g_clear_pointer (&request->body, g_byte_array_unref);
  g_free (request);
}

static gboolean
is_login_method (const char *method)
{
  return g_strcmp0 (method, "Session.login") == 0;
}

static GBytes *
build_rpc_body (KcKerioClient *self,
                const char    *method,
                JsonNode      *params)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  gsize length;
  char *text;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "jsonrpc");
  json_builder_add_string_value (builder, "2.0");
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, ++self->next_request_id);
  json_builder_set_member_name (builder, "method");
  json_builder_add_string_value (builder, method);
  json_builder_set_member_name (builder, "params");
  if (params != NULL)
    json_builder_add_value (builder, json_node_copy (params));
  else
    {
      json_builder_begin_object (builder);
      json_builder_end_object (builder);
    }
  if (self->token != NULL)
    {
      json_builder_set_member_name (builder, "token");
      json_builder_add_string_value (builder, self->token);
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &length);
  return g_bytes_new_take (text, length);
}

static void rpc_read_next (GTask *task);

static void
rpc_complete (GTask *task)
{
  KcKerioClient *self = g_task_get_source_object (task);
  RpcRequest *request = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  gpointer result;

  result = request->reader->parse ((const char *) request->body->data, request->body->len,
                                   &error);
  if (result == NULL)
    {
      if (g_error_matches (error, KC_KERIO_ERROR, KC_KERIO_ERROR_NOT_KERIO))
        g_task_return_error (task, not_kerio_error (self, NULL));
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, result, request->reader->free);
}

static void
on_rpc_stream_closed (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;

  /* The whole body is in; a failing close only costs the connection. */
  g_input_stream_close_finish (G_INPUT_STREAM (source), result, NULL);
  rpc_complete (task);
}

static void
on_rpc_read (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GCancellable *cancellable = g_task_get_cancellable (task);
  KcKerioClient *self = g_task_get_source_object (task);
  RpcRequest *request = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  gssize size;

  size = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  /* rpc_read_next() grew the body by a chunk to read into */
  g_byte_array_set_size (request->body, request->body->len - READ_CHUNK_SIZE + MAX (size, 0));
  if (size < 0)
    {
      g_task_return_error (task, transport_error (self, request->message, error));
      return;
    }

  if (size == 0)
    {
      /* Closing returns the connection to the pool before the caller can
       * send the next request, which keeps the one keep-alive connection. */
      g_input_stream_close_async (request->stream, G_PRIORITY_DEFAULT,
                                  cancellable, on_rpc_stream_closed,
                                  g_steal_pointer (&task));
      return;
    }
  if (request->body->len > KC_KERIO_MAX_BODY_SIZE)
    {
      discard_stream (request->stream);
      g_task_return_error (task, too_large_error ());
      return;
    }

  rpc_read_next (g_steal_pointer (&task));
}

static void
rpc_read_next (GTask *task)
{
  RpcRequest *request = g_task_get_task_data (task);
  guint length = request->body->len;

  /* Read straight into the body, not through a GBytes per chunk */
  g_byte_array_set_size (request->body, length + READ_CHUNK_SIZE);
  g_input_stream_read_async (request->stream, request->body->data + length, READ_CHUNK_SIZE,
                             G_PRIORITY_DEFAULT, g_task_get_cancellable (task), on_rpc_read,
                             task);
}

static void
on_rpc_sent (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  KcKerioClient *self = g_task_get_source_object (task);
  RpcRequest *request = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  SoupMessageHeaders *headers;
  guint status;

  request->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (request->stream == NULL)
    {
      g_task_return_error (task, transport_error (self, request->message, error));
      return;
    }
  remember_peer_certificate (self, request->message);

  status = soup_message_get_status (request->message);
  g_debug ("%s: HTTP %u", request->method, status);
  if (status != SOUP_STATUS_OK)
    {
      discard_stream (request->stream);
      g_task_return_error (task, http_error (self, request->message,
                                             !is_login_method (request->method)));
      return;
    }
  if (content_length_exceeds (request->message, KC_KERIO_MAX_BODY_SIZE))
    {
      discard_stream (request->stream);
      g_task_return_error (task, too_large_error ());
      return;
    }

  /* Sized once for the whole answer (a page of 500 CDRs is ~100 KB) and
   * the last read, which finds the end */
  headers = soup_message_get_response_headers (request->message);
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    request->body = g_byte_array_sized_new (
      (guint) soup_message_headers_get_content_length (headers) + READ_CHUNK_SIZE);
  else
    request->body = g_byte_array_sized_new (2 * READ_CHUNK_SIZE);
  rpc_read_next (g_steal_pointer (&task));
}

static void
rpc_async (KcKerioClient       *self,
           const char          *method,
           JsonNode            *params,
           const RpcReader     *reader,
           GCancellable        *cancellable,
           GAsyncReadyCallback  callback,
           gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  RpcRequest *request = g_new0 (RpcRequest, 1);
  g_autoptr (GBytes) body = build_rpc_body (self, method, params);
  SoupMessageHeaders *headers;

  g_task_set_source_tag (task, rpc_async);
  g_task_set_task_data (task, request, (GDestroyNotify) rpc_request_free);

  request->method = g_strdup (method);
  request->reader = reader;
  request->message = new_message (self, SOUP_METHOD_POST, self->endpoint);
  /* libsoup opens a fresh connection for every non-idempotent request unless
   * told otherwise; a poll every second would cost a TCP and TLS handshake
   * each time. Everything we send reads, or logs in or out, so libsoup may
   * safely send it again when a kept-alive connection turns out stale. */
  soup_message_add_flags (request->message, SOUP_MESSAGE_IDEMPOTENT);
  headers = soup_message_get_request_headers (request->message);
  soup_message_headers_replace (headers, "Accept", "application/json-rpc");
  soup_message_set_request_body_from_bytes (request->message,
                                            "application/json-rpc; charset=UTF-8", body);

  soup_session_send_async (self->session, request->message, G_PRIORITY_DEFAULT, cancellable,
                           on_rpc_sent, task);
}

static gpointer
rpc_finish (KcKerioClient  *self,
            GAsyncResult   *result,
            GError        **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------ */
/* Login, shared by every caller that needs it at the same time */

typedef struct
{
  GTask   *task;
  GSource *cancel_source;
} LoginWaiter;

static void
login_waiter_free (LoginWaiter *waiter)
{
  if (waiter->cancel_source != NULL)
    {
      g_source_destroy (waiter->cancel_source);
      g_source_unref (waiter->cancel_source);
    }
  g_object_unref (waiter->task);
  g_free (waiter);
}

static gboolean
on_login_waiter_cancelled (GCancellable *cancellable,
                           gpointer      user_data)
{
  LoginWaiter *waiter = user_data;
  KcKerioClient *self = g_task_get_source_object (waiter->task);

  /* The shared login goes on for the other callers; only this one leaves. */
  g_ptr_array_remove (self->login_waiters, waiter);
  g_task_return_error_if_cancelled (waiter->task);
  login_waiter_free (waiter);
  return G_SOURCE_REMOVE;
}

static JsonNode *
build_login_params (KcKerioClient *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "userName");
  json_builder_add_string_value (builder, self->username != NULL ? self->username : "");
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, self->password != NULL ? self->password : "");
  json_builder_set_member_name (builder, "application");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, APPLICATION_NAME);
  json_builder_set_member_name (builder, "vendor");
  json_builder_add_string_value (builder, APPLICATION_VENDOR);
  json_builder_set_member_name (builder, "version");
  json_builder_add_string_value (builder, PACKAGE_VERSION);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void on_login_answered (GObject      *source,
                               GAsyncResult *result,
                               gpointer      user_data);

static void
start_login (KcKerioClient *self)
{
  g_autoptr (JsonNode) params = build_login_params (self);

  g_debug ("Logging in to %s as %s", self->host_port, self->username);
  self->logging_in = TRUE;
  self->login_serial = self->credentials_serial;
  /* Not cancellable: other callers may be waiting for the same login, and a
   * successful one is worth keeping anyway. The I/O timeout bounds it. */
  rpc_async (self, "Session.login", params, &result_node_reader, NULL, on_login_answered, NULL);
}

static void
on_login_answered (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  KcKerioClient *self = KC_KERIO_CLIENT (source);
  g_autoptr (JsonNode) answer = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) waiters = NULL;
  g_autofree char *token = NULL;

  answer = rpc_finish (self, result, &error);

  if (self->login_serial != self->credentials_serial)
    {
      /* The credentials changed while this login was on its way: its answer,
       * good or bad, is about the old ones. */
      start_login (self);
      return;
    }
  self->logging_in = FALSE;

  if (answer != NULL)
    {
      JsonObject *object = JSON_NODE_HOLDS_OBJECT (answer) ? json_node_get_object (answer) : NULL;

      token = kc_kerio_json_dup_string (object, "token");
      if (token == NULL || *token == '\0')
        error = g_error_new_literal (KC_KERIO_ERROR, KC_KERIO_ERROR_MALFORMED,
                                     _("The PBX accepted the login but sent no session token"));
    }
  else if (g_error_matches (error, KC_KERIO_ERROR, KC_KERIO_ERROR_RPC)
           || g_error_matches (error, KC_KERIO_ERROR, KC_KERIO_ERROR_SESSION_EXPIRED))
    {
      GError *auth_error = g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_AUTH,
                                        _("The user name or password is incorrect. %s"),
                                        error->message);

      g_clear_error (&error);
      error = auth_error;
      g_clear_error (&self->auth_error);
      self->auth_error = g_error_copy (auth_error);
      self->auth_error_time = g_get_monotonic_time ();
    }

  if (error == NULL)
    {
      g_debug ("Logged in to %s", self->host_port);
      g_clear_error (&self->auth_error);
      set_token (self, token);
    }
  else
    g_debug ("Login to %s failed: %s", self->host_port, error->message);

  waiters = g_steal_pointer (&self->login_waiters);
  self->login_waiters = g_ptr_array_new ();
  for (guint i = 0; i < waiters->len; i++)
    {
      LoginWaiter *waiter = g_ptr_array_index (waiters, i);

      if (error != NULL)
        g_task_return_error (waiter->task, g_error_copy (error));
      else
        g_task_return_boolean (waiter->task, TRUE);
      login_waiter_free (waiter);
    }
}

static gboolean
auth_error_is_recent (KcKerioClient *self)
{
  return self->auth_error != NULL
         && g_get_monotonic_time () - self->auth_error_time
                < (gint64) KC_KERIO_LOGIN_RETRY_DELAY * G_USEC_PER_SEC;
}

void
kc_kerio_client_login_async (KcKerioClient       *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  LoginWaiter *waiter;

  g_return_if_fail (KC_IS_KERIO_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kc_kerio_client_login_async);

  if (self->token != NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  /* No retry storm on wrong credentials: asking again within the delay gets
   * the same answer without bothering the PBX. */
  if (auth_error_is_recent (self))
    {
      g_task_return_error (task, g_error_copy (self->auth_error));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  waiter = g_new0 (LoginWaiter, 1);
  waiter->task = g_steal_pointer (&task);
  if (cancellable != NULL)
    {
      waiter->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (waiter->cancel_source, G_SOURCE_FUNC (on_login_waiter_cancelled),
                             waiter, NULL);
      g_source_attach (waiter->cancel_source, g_main_context_get_thread_default ());
    }
  g_ptr_array_add (self->login_waiters, waiter);

  if (!self->logging_in)
    start_login (self);
}

gboolean
kc_kerio_client_login_finish (KcKerioClient  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------------ */
/* Any method, with login and one re-login */

typedef struct
{
  char            *method;
  JsonNode        *params;
  const RpcReader *reader;
  char            *sent_token;
  gboolean         retried;
} CallData;

static void
call_data_free (CallData *data)
{
  g_free (data->method);
  g_clear_pointer (&data->params, json_node_unref);
  g_free (data->sent_token);
  g_free (data);
}

static void call_step (GTask *task);

static void
on_call_answered (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  KcKerioClient *self = KC_KERIO_CLIENT (source);
  CallData *data = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  gpointer answer;

  answer = rpc_finish (self, result, &error);
  if (answer != NULL)
    {
      g_task_return_pointer (task, answer, data->reader->free);
      return;
    }

  if (g_error_matches (error, KC_KERIO_ERROR, KC_KERIO_ERROR_SESSION_EXPIRED) && !data->retried)
    {
      g_debug ("%s: session expired, logging in again", data->method);
      data->retried = TRUE;
      /* A concurrent call may already have logged in again; its fresh
       * session stays. */
      if (g_strcmp0 (self->token, data->sent_token) == 0)
        forget_session (self);
      call_step (g_steal_pointer (&task));
      return;
    }
  g_task_return_error (task, g_steal_pointer (&error));
}

static void
call_send (GTask *task)
{
  KcKerioClient *self = g_task_get_source_object (task);
  CallData *data = g_task_get_task_data (task);

  g_free (data->sent_token);
  data->sent_token = g_strdup (self->token);
  rpc_async (self, data->method, data->params, data->reader, g_task_get_cancellable (task),
             on_call_answered, task);
}

static void
on_call_logged_in (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;

  if (!kc_kerio_client_login_finish (KC_KERIO_CLIENT (source), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  call_send (g_steal_pointer (&task));
}

static void
call_step (GTask *task)
{
  KcKerioClient *self = g_task_get_source_object (task);

  if (self->token == NULL)
    kc_kerio_client_login_async (self, g_task_get_cancellable (task), on_call_logged_in, task);
  else
    call_send (task);
}

/* A call whose answer the reader turns into what the task returns */
static void
call_with_reader_async (KcKerioClient       *self,
                        const char          *method,
                        JsonNode            *params,
                        const RpcReader     *reader,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  CallData *data = g_new0 (CallData, 1);

  g_task_set_source_tag (task, kc_kerio_client_call_async);
  data->method = g_strdup (method);
  data->params = params != NULL ? json_node_copy (params) : NULL;
  data->reader = reader;
  g_task_set_task_data (task, data, (GDestroyNotify) call_data_free);

  call_step (task);
}

void
kc_kerio_client_call_async (KcKerioClient       *self,
                            const char          *method,
                            JsonNode            *params,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (KC_IS_KERIO_CLIENT (self));
  g_return_if_fail (method != NULL);
  g_return_if_fail (params == NULL || JSON_NODE_HOLDS_OBJECT (params));

  call_with_reader_async (self, method, params, &result_node_reader, cancellable, callback,
                          user_data);
}

JsonNode *
kc_kerio_client_call_finish (KcKerioClient  *self,
                             GAsyncResult   *result,
                             GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------ */
/* Logout */

static void
on_logout_answered (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  KcKerioClient *self = KC_KERIO_CLIENT (source);
  g_autoptr (JsonNode) answer = NULL;
  g_autoptr (GError) error = NULL;

  /* Whatever the PBX says, this side is done with the session. */
  answer = rpc_finish (self, result, &error);
  forget_session (self);
  if (answer == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
kc_kerio_client_logout_async (KcKerioClient       *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (KC_IS_KERIO_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kc_kerio_client_logout_async);
  if (self->token == NULL)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  rpc_async (self, "Session.logout", NULL, &result_node_reader, cancellable, on_logout_answered, task);
}

gboolean
kc_kerio_client_logout_finish (KcKerioClient  *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------------ */
/* Active calls */

static JsonNode *
build_active_calls_params (void)
{
  static const char *const fields[] = {
    "from", "to", "status", "answered_duration", "call_duration"
  };
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "query");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "fields");
  json_builder_begin_array (builder);
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    json_builder_add_string_value (builder, fields[i]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "limit");
  json_builder_add_int_value (builder, -1);
  json_builder_set_member_name (builder, "orderBy");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "columnName");
  json_builder_add_string_value (builder, "status");
  json_builder_set_member_name (builder, "direction");
  json_builder_add_string_value (builder, "Asc");
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static gpointer
parse_call_rows (const char  *body,
                 gsize        length,
                 GError     **error)
{
  g_autoptr (KcKerioPageAnswer) answer = kc_kerio_parse_call_page (body, length, error);

  return answer != NULL ? g_steal_pointer (&answer->rows) : NULL;
}

/* A poll every second or two: its rows are read straight from the body */
static const RpcReader call_rows_reader = {
  parse_call_rows, (GDestroyNotify) g_ptr_array_unref,
};

static void
on_calls_answered (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  GPtrArray *calls;

  calls = g_task_propagate_pointer (G_TASK (result), &error);
  if (calls == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, calls, (GDestroyNotify) g_ptr_array_unref);
}

void
kc_kerio_client_get_calls_async (KcKerioClient       *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr (JsonNode) params = NULL;
  GTask *task;

  g_return_if_fail (KC_IS_KERIO_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kc_kerio_client_get_calls_async);
  params = build_active_calls_params ();
  call_with_reader_async (self, "Status.getCalls", params, &call_rows_reader, cancellable,
                          on_calls_answered, task);
}

GPtrArray *
kc_kerio_client_get_calls_finish (KcKerioClient  *self,
                                  GAsyncResult   *result,
                                  GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------ */
/* Paged queries: CallHistory.get and Recordings.get */

static gpointer
parse_cdr_page (const char  *body,
                gsize        length,
                GError     **error)
{
  return kc_kerio_parse_cdr_page (body, length, error);
}

static gpointer
parse_recording_page (const char  *body,
                      gsize        length,
                      GError     **error)
{
  return kc_kerio_parse_recording_page (body, length, error);
}

static const RpcReader cdr_page_reader = {
  parse_cdr_page, (GDestroyNotify) kc_kerio_page_answer_free,
};

static const RpcReader recording_page_reader = {
  parse_recording_page, (GDestroyNotify) kc_kerio_page_answer_free,
};

typedef struct
{
  const char      *method;
  const char      *time_field;
  const RpcReader *reader;
  gint64           since;
  gint64           start;
  guint            n_pages;
  guint            n_retries; /* of the current page */
  GPtrArray       *rows;
  GBytes          *previous_first_row;
  /* One page ahead: the next page is asked for before this one is handed
   * over (delivering); one that comes before that is done waits. */
  KcKerioPageAnswer *delivering;
  KcKerioPageAnswer *waiting;
  GError          *waiting_error;
  gboolean         last;        /* of the page delivering */
  gint64           total_items; /* of the page delivering */
  gboolean         returned;
  /* When set, pages go there as they arrive instead of into rows */
  KcKerioPageFunc page_func;
  gpointer       page_data;
  guint64        n_rows;
} PagedQuery;

static void
paged_query_free (PagedQuery *query)
{
  g_clear_pointer (&query->rows, g_ptr_array_unref);
  g_clear_pointer (&query->previous_first_row, g_bytes_unref);
  g_clear_pointer (&query->delivering, kc_kerio_page_answer_free);
  g_clear_pointer (&query->waiting, kc_kerio_page_answer_free);
  g_clear_error (&query->waiting_error);
  g_free (query);
}

static JsonNode *
build_page_params (PagedQuery *query)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "query");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "orderBy");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "columnName");
  json_builder_add_string_value (builder, query->time_field);
  json_builder_set_member_name (builder, "direction");
  json_builder_add_string_value (builder, "Desc");
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "start");
  json_builder_add_int_value (builder, query->start);
  json_builder_set_member_name (builder, "limit");
  json_builder_add_int_value (builder, PAGE_SIZE);
  if (query->since >= 0)
    {
      g_autofree char *since = g_strdup_printf ("%" G_GINT64_FORMAT, query->since);

      json_builder_set_member_name (builder, "conditions");
      json_builder_begin_array (builder);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "fieldName");
      json_builder_add_string_value (builder, query->time_field);
      json_builder_set_member_name (builder, "comparator");
      json_builder_add_string_value (builder, "GreaterEq");
      json_builder_set_member_name (builder, "value");
      json_builder_add_string_value (builder, since);
      json_builder_end_object (builder);
      json_builder_end_array (builder);
      json_builder_set_member_name (builder, "combining");
      json_builder_add_string_value (builder, "And");
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void request_page (GTask *task);

/* What a second try may cure; a foreign server, a refused login or a body
 * over the limit it will not. */
static gboolean
page_error_is_transient (const GError *error)
{
  return g_error_matches (error, KC_KERIO_ERROR, KC_KERIO_ERROR_TRANSPORT)
         || g_error_matches (error, KC_KERIO_ERROR, KC_KERIO_ERROR_HTTP)
         || g_error_matches (error, KC_KERIO_ERROR, KC_KERIO_ERROR_MALFORMED);
}

static gboolean
retry_page (gpointer user_data)
{
  GTask *task = user_data;
  PagedQuery *query = g_task_get_task_data (task);

  if (query->returned)
    g_object_unref (task);
  else if (g_task_return_error_if_cancelled (task))
    {
      query->returned = TRUE;
      g_object_unref (task);
    }
  else
    request_page (task);
  return G_SOURCE_REMOVE;
}

static void
paged_query_return_error (GTask  *task,
                          GError *error)
{
  PagedQuery *query = g_task_get_task_data (task);

  query->returned = TRUE;
  g_task_return_error (task, error);
}

static void deliver_page (GTask *task);

static gboolean
on_deliver_idle (gpointer user_data)
{
  deliver_page (user_data);
  return G_SOURCE_REMOVE;
}

/* Hands a page to the caller (or keeps its rows) once libsoup has sent the
 * next request: the idle's low priority lets the request leave first, so
 * the PBX builds the next page while this one is stored. */
static void
schedule_delivery (GTask *task)
{
  g_idle_add_full (G_PRIORITY_LOW, on_deliver_idle, g_object_ref (task), g_object_unref);
}

/* A page read and checked, in the order of the pages */
static void
accept_page (GTask             *task,
             KcKerioPageAnswer *page)
{
  PagedQuery *query = g_task_get_task_data (task);

  query->n_pages++;
  /* The rows the reader dropped still count for the next page's start. */
  query->start += page->n_raw;
  /* Without totalItems, only an empty page tells the end. */
  query->last = page->n_raw == 0 || (page->total_known && query->start >= page->total_items);
  query->total_items = page->total_items;
  if (!query->last && query->n_pages < MAX_PAGES)
    request_page (g_object_ref (task));
}

static void
deliver_page (GTask *task)
{
  PagedQuery *query = g_task_get_task_data (task);
  g_autoptr (KcKerioPageAnswer) page = g_steal_pointer (&query->delivering);
  GError *error = NULL;

  if (query->returned)
    return;

  query->n_rows += page->rows->len;
  if (query->page_func != NULL)
    {
      if (!query->page_func (page->rows, query->page_data, &error))
        {
          paged_query_return_error (task, error);
          return;
        }
    }
  else
    {
      g_ptr_array_extend_and_steal (query->rows, g_steal_pointer (&page->rows));
    }

  /* What came while this page was stored: the next page, or the reason
   * there is none */
  if (query->waiting_error != NULL)
    {
      paged_query_return_error (task, g_steal_pointer (&query->waiting_error));
      return;
    }
  if (query->last)
    {
      query->returned = TRUE;
      g_task_return_pointer (task, g_steal_pointer (&query->rows),
                             (GDestroyNotify) g_ptr_array_unref);
      return;
    }
  if (query->n_pages >= MAX_PAGES)
    {
      paged_query_return_error (
        task, g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_MALFORMED,
                           _("The PBX keeps sending pages past the %lld rows it announced"),
                           (long long) query->total_items));
      return;
    }
  if (query->waiting != NULL)
    {
      query->delivering = g_steal_pointer (&query->waiting);
      accept_page (task, query->delivering);
      schedule_delivery (task);
    }
}

static void
on_page_answered (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  PagedQuery *query = g_task_get_task_data (task);
  g_autoptr (KcKerioPageAnswer) page = NULL;
  GError *error = NULL;

  page = g_task_propagate_pointer (G_TASK (result), &error);
  if (query->returned)
    {
      /* The query ended (the caller failed to store a page) while this one
       * was on its way */
      g_clear_error (&error);
      return;
    }
  if (page == NULL)
    {
      if (query->n_retries < KC_KERIO_PAGE_RETRIES && page_error_is_transient (error))
        {
          guint delay = PAGE_RETRY_DELAY_MS << query->n_retries;

          g_debug ("%s from row %" G_GINT64_FORMAT " failed, asking again in %u ms: %s",
                   query->method, query->start, delay, error->message);
          query->n_retries++;
          g_error_free (error);
          g_timeout_add (delay, retry_page, g_steal_pointer (&task));
          return;
        }
      /* The page before is stored first, as if it had not been asked
       * for yet */
      if (query->delivering != NULL)
        query->waiting_error = error;
      else
        paged_query_return_error (task, error);
      return;
    }
  query->n_retries = 0;

  if (page->first_row != NULL && query->previous_first_row != NULL
      && g_bytes_equal (page->first_row, query->previous_first_row))
    {
      error = g_error_new_literal (KC_KERIO_ERROR, KC_KERIO_ERROR_MALFORMED,
                                   _("The PBX sends the same page of results again and again"));
      if (query->delivering != NULL)
        query->waiting_error = error;
      else
        paged_query_return_error (task, error);
      return;
    }
  g_clear_pointer (&query->previous_first_row, g_bytes_unref);
  if (page->first_row != NULL)
    query->previous_first_row = g_bytes_ref (page->first_row);

  /* At most one page waits while another is stored: the next request
   * leaves when the waiting one is handed over. */
  if (query->delivering != NULL)
    {
      query->waiting = g_steal_pointer (&page);
      return;
    }
  query->delivering = g_steal_pointer (&page);
  accept_page (task, query->delivering);
  schedule_delivery (task);
}

static void
request_page (GTask *task)
{
  KcKerioClient *self = g_task_get_source_object (task);
  PagedQuery *query = g_task_get_task_data (task);
  g_autoptr (JsonNode) params = build_page_params (query);

  call_with_reader_async (self, query->method, params, query->reader,
                          g_task_get_cancellable (task), on_page_answered, task);
}

static void
paged_query_async (KcKerioClient       *self,
                   PagedQuery          *query,
                   gpointer             source_tag,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, query, (GDestroyNotify) paged_query_free);
  request_page (task);
}

void
kc_kerio_client_get_call_history_async (KcKerioClient       *self,
                                        gint64               since,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  PagedQuery *query;

  g_return_if_fail (KC_IS_KERIO_CLIENT (self));

  query = g_new0 (PagedQuery, 1);
  query->method = "CallHistory.get";
  query->time_field = "TIMESTAMP";
  query->reader = &cdr_page_reader;
  query->since = since;
  query->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) kc_cdr_free);
  paged_query_async (self, query, kc_kerio_client_get_call_history_async, cancellable, callback,
                     user_data);
}

GPtrArray *
kc_kerio_client_get_call_history_finish (KcKerioClient  *self,
                                         GAsyncResult   *result,
                                         GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kc_kerio_client_read_call_history_async (KcKerioClient       *self,
                                         gint64               since,
                                         KcKerioPageFunc      page_func,
                                         gpointer             page_data,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  PagedQuery *query;

  g_return_if_fail (KC_IS_KERIO_CLIENT (self));
  g_return_if_fail (page_func != NULL);

  query = g_new0 (PagedQuery, 1);
  query->method = "CallHistory.get";
  query->time_field = "TIMESTAMP";
  query->reader = &cdr_page_reader;
  query->since = since;
  query->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) kc_cdr_free);
  query->page_func = page_func;
  query->page_data = page_data;
  paged_query_async (self, query, kc_kerio_client_read_call_history_async, cancellable, callback,
                     user_data);
}

gboolean
kc_kerio_client_read_call_history_finish (KcKerioClient  *self,
                                          GAsyncResult   *result,
                                          guint64        *n_rows,
                                          GError        **error)
{
  g_autoptr (GPtrArray) rows = NULL;
  PagedQuery *query;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  rows = g_task_propagate_pointer (G_TASK (result), error);
  if (rows == NULL)
    return FALSE;
  query = g_task_get_task_data (G_TASK (result));
  if (n_rows)
    *n_rows = query->n_rows;
  return TRUE;
}

void
kc_kerio_client_get_recordings_async (KcKerioClient       *self,
                                      gint64               since,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  PagedQuery *query;

  g_return_if_fail (KC_IS_KERIO_CLIENT (self));

  query = g_new0 (PagedQuery, 1);
  query->method = "Recordings.get";
  query->time_field = "STARTED";
  query->reader = &recording_page_reader;
  query->since = since;
  query->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) kc_recording_free);
  paged_query_async (self, query, kc_kerio_client_get_recordings_async, cancellable, callback,
                     user_data);
}

GPtrArray *
kc_kerio_client_get_recordings_finish (KcKerioClient  *self,
                                       GAsyncResult   *result,
                                       GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------ */
/* Recording download */

typedef struct
{
  char                  *recording_id;
  char                  *dest_dir;
  GFileProgressCallback  progress;
  gpointer               progress_data;
  gboolean               retried;
  char                  *sent_token;
  gint64                 announced_length;

  SoupMessage           *message;
  GInputStream          *input;
  GFile                 *temp_file;
  GFile                 *final_file;
  GOutputStream         *output;
  GBytes                *chunk;
  goffset                received;
  goffset                total;
} Download;

static void
download_close_streams (Download *download)
{
  if (download->input != NULL)
    discard_stream (download->input);
  g_clear_object (&download->input);
  /* A local file: closing is one close(2), and nothing else is pending on
   * the stream when we get here. */
  if (download->output != NULL)
    g_output_stream_close (download->output, NULL, NULL);
  g_clear_object (&download->output);
}

static void
download_free (Download *download)
{
  download_close_streams (download);
  g_free (download->recording_id);
  g_free (download->dest_dir);
  g_free (download->sent_token);
  g_clear_object (&download->message);
  g_clear_object (&download->temp_file);
  g_clear_object (&download->final_file);
  g_clear_pointer (&download->chunk, g_bytes_unref);
  g_free (download);
}

/* No half-written file may stay behind, whatever went wrong. */
static void
download_fail (GTask  *task,
               GError *error)
{
  Download *download = g_task_get_task_data (task);

  download_close_streams (download);
  if (download->temp_file != NULL)
    g_file_delete (download->temp_file, NULL, NULL);
  g_clear_object (&download->temp_file);
  g_task_return_error (task, error);
}

static int
effective_port (GUri *uri)
{
  int port = g_uri_get_port (uri);

  if (port > 0)
    return port;
  return g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0 ? 443 : 80;
}

static gboolean
same_origin (GUri *a,
             GUri *b)
{
  return g_ascii_strcasecmp (g_uri_get_scheme (a), g_uri_get_scheme (b)) == 0
         && g_uri_get_host (a) != NULL && g_uri_get_host (b) != NULL
         && g_ascii_strcasecmp (g_uri_get_host (a), g_uri_get_host (b)) == 0
         && effective_port (a) == effective_port (b);
}

static void download_start (GTask *task);
static void download_read_next (GTask *task);

static void
on_download_moved (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Download *download = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_file_move_finish (G_FILE (source), result, &error))
    {
      download_fail (task, error);
      return;
    }
  g_clear_object (&download->temp_file);
  g_task_return_pointer (task, g_file_get_path (download->final_file), g_free);
}

static void
on_download_output_closed (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GCancellable *cancellable = g_task_get_cancellable (task);
  Download *download = g_task_get_task_data (task);
  GError *error = NULL;

  g_clear_object (&download->output);
  if (!g_output_stream_close_finish (G_OUTPUT_STREAM (source), result, &error))
    {
      download_fail (task, error);
      return;
    }
  g_file_move_async (download->temp_file, download->final_file, G_FILE_COPY_OVERWRITE,
                     G_PRIORITY_DEFAULT, cancellable, NULL, NULL,
                     on_download_moved, g_steal_pointer (&task));
}

static void
on_download_written (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Download *download = g_task_get_task_data (task);
  GError *error = NULL;

  g_clear_pointer (&download->chunk, g_bytes_unref);
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      download_fail (task, error);
      return;
    }
  if (download->progress != NULL)
    download->progress (download->received, MAX (download->total, download->received),
                        download->progress_data);
  download_read_next (g_steal_pointer (&task));
}

static void
on_download_read (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GCancellable *cancellable = g_task_get_cancellable (task);
  KcKerioClient *self = g_task_get_source_object (task);
  Download *download = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  GBytes *chunk;
  gsize size;

  chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (chunk == NULL)
    {
      download_fail (task, transport_error (self, download->message, error));
      return;
    }

  size = g_bytes_get_size (chunk);
  if (size == 0)
    {
      g_bytes_unref (chunk);
      g_input_stream_close_async (download->input, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      g_clear_object (&download->input);
      g_output_stream_close_async (download->output, G_PRIORITY_DEFAULT,
                                   cancellable, on_download_output_closed,
                                   g_steal_pointer (&task));
      return;
    }
  if (download->received + (goffset) size > KC_KERIO_MAX_DOWNLOAD_SIZE)
    {
      g_bytes_unref (chunk);
      download_fail (task, g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_TOO_LARGE,
                                        _("The recording is too large (over %d MiB)"),
                                        KC_KERIO_MAX_DOWNLOAD_SIZE / (1024 * 1024)));
      return;
    }

  download->received += size;
  download->chunk = chunk;
  g_output_stream_write_all_async (download->output, g_bytes_get_data (chunk, NULL), size,
                                   G_PRIORITY_DEFAULT, cancellable,
                                   on_download_written, g_steal_pointer (&task));
}

static void
download_read_next (GTask *task)
{
  Download *download = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (download->input, READ_CHUNK_SIZE, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), on_download_read, task);
}

static void
on_download_file_created (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Download *download = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  GFileOutputStream *output;

  output = g_file_create_finish (G_FILE (source), result, &error);
  if (output == NULL)
    {
      g_autofree char *path = g_file_get_path (download->temp_file);

      /* It was never ours: nothing to delete. */
      g_clear_object (&download->temp_file);
      download_fail (task, g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_FAILED,
                                        _("Cannot save the recording as %s: %s"), path,
                                        error->message));
      return;
    }
  download->output = G_OUTPUT_STREAM (output);
  download_read_next (g_steal_pointer (&task));
}

static void
on_download_sent (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GCancellable *cancellable = g_task_get_cancellable (task);
  KcKerioClient *self = g_task_get_source_object (task);
  Download *download = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autofree char *safe_name = NULL;
  g_autofree char *final_name = NULL;
  g_autofree char *temp_name = NULL;
  SoupMessageHeaders *headers;
  guint status;

  download->input = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (download->input == NULL)
    {
      download_fail (task, transport_error (self, download->message, error));
      return;
    }
  remember_peer_certificate (self, download->message);

  status = soup_message_get_status (download->message);
  g_debug ("Download of recording %s: HTTP %u", download->recording_id, status);
  if ((status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN)
      && !download->retried)
    {
      /* The download URL belongs to the session; a new session asks for a
       * new one. */
      download->retried = TRUE;
      download_close_streams (download);
      if (g_strcmp0 (self->token, download->sent_token) == 0)
        forget_session (self);
      download_start (g_steal_pointer (&task));
      return;
    }
  if (status == SOUP_STATUS_NOT_FOUND)
    {
      download_fail (task, g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_NOT_FOUND,
                                        _("The PBX has no recording %s (HTTP %u %s)"),
                                        download->recording_id, status,
                                        reason_phrase (download->message)));
      return;
    }
  if (status != SOUP_STATUS_OK)
    {
      download_fail (task, http_error (self, download->message, TRUE));
      return;
    }
  if (content_length_exceeds (download->message, KC_KERIO_MAX_DOWNLOAD_SIZE))
    {
      download_fail (task, g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_TOO_LARGE,
                                        _("The recording is too large (over %d MiB)"),
                                        KC_KERIO_MAX_DOWNLOAD_SIZE / (1024 * 1024)));
      return;
    }

  headers = soup_message_get_response_headers (download->message);
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    download->total = soup_message_headers_get_content_length (headers);
  else
    download->total = MAX (download->announced_length, 0);

  safe_name = kc_sanitize_file_name (download->recording_id);
  final_name = g_strconcat (safe_name, ".wav", NULL);
  temp_name = g_strdup_printf (".%s.%08x.part", final_name, g_random_int ());
  g_clear_object (&download->final_file);
  download->final_file = g_file_new_build_filename (download->dest_dir, final_name, NULL);
  download->temp_file = g_file_new_build_filename (download->dest_dir, temp_name, NULL);
  g_file_create_async (download->temp_file, G_FILE_CREATE_PRIVATE, G_PRIORITY_DEFAULT,
                       cancellable, on_download_file_created,
                       g_steal_pointer (&task));
}

static void
on_download_url (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GCancellable *cancellable = g_task_get_cancellable (task);
  KcKerioClient *self = KC_KERIO_CLIENT (source);
  Download *download = g_task_get_task_data (task);
  g_autoptr (JsonNode) answer = NULL;
  g_autoptr (KcFileDownload) file_download = NULL;
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GError) error = NULL;

  answer = kc_kerio_client_call_finish (self, result, &error);
  if (answer != NULL)
    file_download = kc_kerio_parse_file_download (answer, &error);
  if (file_download == NULL)
    {
      download_fail (task, g_steal_pointer (&error));
      return;
    }

  uri = g_uri_parse_relative (self->endpoint, file_download->url,
                              G_URI_FLAGS_ENCODED_PATH | G_URI_FLAGS_ENCODED_QUERY
                                  | G_URI_FLAGS_ENCODED_FRAGMENT,
                              &error);
  if (uri == NULL)
    {
      download_fail (task, g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_MALFORMED,
                                        _("The PBX gave an invalid download address: %s"),
                                        error->message));
      return;
    }
  if (!same_origin (uri, self->endpoint))
    {
      g_autofree char *shown = g_uri_to_string_partial (uri, G_URI_HIDE_USERINFO);

      download_fail (task, g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_FORBIDDEN,
                                        _("Refusing to download a recording from %s: it is not "
                                          "on the PBX %s"),
                                        shown, self->host_port));
      return;
    }

  if (g_mkdir_with_parents (download->dest_dir, 0700) != 0)
    {
      int saved_errno = errno;

      download_fail (task, g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_FAILED,
                                        _("Cannot create the folder %s: %s"), download->dest_dir,
                                        g_strerror (saved_errno)));
      return;
    }

  download->announced_length = file_download->length;
  g_clear_object (&download->message);
  download->message = new_message (self, SOUP_METHOD_GET, uri);
  g_free (download->sent_token);
  download->sent_token = g_strdup (self->token);
  soup_session_send_async (self->session, download->message, G_PRIORITY_DEFAULT,
                           cancellable, on_download_sent,
                           g_steal_pointer (&task));
}

static void
download_start (GTask *task)
{
  KcKerioClient *self = g_task_get_source_object (task);
  Download *download = g_task_get_task_data (task);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) params = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, download->recording_id);
  json_builder_set_member_name (builder, "transcode");
  json_builder_add_boolean_value (builder, FALSE);
  json_builder_end_object (builder);
  params = json_builder_get_root (builder);

  kc_kerio_client_call_async (self, "Recordings.downloadAudioContent", params,
                              g_task_get_cancellable (task), on_download_url, task);
}

void
kc_kerio_client_download_recording_async (KcKerioClient         *self,
                                          const char            *recording_id,
                                          const char            *dest_dir,
                                          GFileProgressCallback  progress,
                                          gpointer               progress_data,
                                          GCancellable          *cancellable,
                                          GAsyncReadyCallback    callback,
                                          gpointer               user_data)
{
  GTask *task;
  Download *download;

  g_return_if_fail (KC_IS_KERIO_CLIENT (self));
  g_return_if_fail (recording_id != NULL);
  g_return_if_fail (dest_dir != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kc_kerio_client_download_recording_async);
  download = g_new0 (Download, 1);
  download->recording_id = g_strdup (recording_id);
  download->dest_dir = g_strdup (dest_dir);
  download->progress = progress;
  download->progress_data = progress_data;
  download->announced_length = -1;
  g_task_set_task_data (task, download, (GDestroyNotify) download_free);

  download_start (task);
}

char *
kc_kerio_client_download_recording_finish (KcKerioClient  *self,
                                           GAsyncResult   *result,
                                           GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------ */
/* TLS pins and file names */

char *
kc_tls_pin_normalize (const char  *text,
                      GError     **error)
{
  static const char prefix[] = "sha256:";
  g_autoptr (GString) digits = g_string_new (NULL);
  const char *p;

  if (text == NULL)
    text = "";
  p = text;
  while (g_ascii_isspace (*p))
    p++;
  if (g_ascii_strncasecmp (p, prefix, sizeof prefix - 1) == 0)
    p += sizeof prefix - 1;

  for (; *p != '\0'; p++)
    {
      if (g_ascii_isxdigit (*p))
        g_string_append_c (digits, g_ascii_tolower (*p));
      else if (*p != ':' && !g_ascii_isspace (*p))
        {
          g_set_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_FAILED,
                       _("The certificate pin “%s” is not a SHA-256 fingerprint: it may only "
                         "hold hex digits, separated by colons or spaces"),
                       text);
          return NULL;
        }
    }

  if (digits->len != 64)
    {
      g_set_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_FAILED,
                   _("The certificate pin “%s” is not a SHA-256 fingerprint: it needs 64 hex "
                     "digits and has %u"),
                   text, (guint) digits->len);
      return NULL;
    }
  return g_string_free (g_steal_pointer (&digits), FALSE);
}

char *
kc_tls_certificate_fingerprint (GTlsCertificate *certificate)
{
  g_autoptr (GByteArray) der = NULL;

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);

  g_object_get (certificate, "certificate", &der, NULL);
  if (der == NULL)
    return NULL;
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, der->data, der->len);
}

char *
kc_tls_fingerprint_format (const char *hex)
{
  GString *formatted;

  g_return_val_if_fail (hex != NULL, NULL);

  formatted = g_string_new (NULL);
  for (gsize i = 0; hex[i] != '\0'; i++)
    {
      if (i > 0 && i % 2 == 0)
        g_string_append_c (formatted, ':');
      g_string_append_c (formatted, g_ascii_toupper (hex[i]));
    }
  return g_string_free (formatted, FALSE);
}

#define MAX_FILE_NAME 100
/* "-" and 8 hex digits: tells apart ids that sanitize to the same name */
#define HASH_SUFFIX_LENGTH 9

static gboolean
is_safe_file_char (char c)
{
  return g_ascii_isalnum (c) || c == '.' || c == '_' || c == '-';
}

char *
kc_sanitize_file_name (const char *untrusted)
{
  g_autoptr (GString) name = g_string_new (NULL);
  gboolean changed = FALSE;
  g_autofree char *checksum = NULL;

  if (untrusted == NULL)
    untrusted = "";

  for (const char *p = untrusted; *p != '\0'; p++)
    {
      if (is_safe_file_char (*p) && !(*p == '.' && name->len == 0))
        g_string_append_c (name, *p);
      else
        {
          /* One "_" per character, not per byte of it */
          if ((guchar) *p >= 0x80)
            while (((guchar) p[1] & 0xC0) == 0x80)
              p++;
          g_string_append_c (name, '_');
          changed = TRUE;
        }
    }

  if (name->len == 0 || name->len > MAX_FILE_NAME)
    changed = TRUE;
  if (!changed)
    return g_string_free (g_steal_pointer (&name), FALSE);

  checksum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, untrusted, -1);
  if (name->len > MAX_FILE_NAME - HASH_SUFFIX_LENGTH)
    g_string_truncate (name, MAX_FILE_NAME - HASH_SUFFIX_LENGTH);
  if (name->len > 0)
    g_string_append_c (name, '-');
  g_string_append_len (name, checksum, 8);
  return g_string_free (g_steal_pointer (&name), FALSE);
}

/* ------------------------------------------------------------------------ */
/* The object */

static void
apply_timeout (KcKerioClient *self)
{
  soup_session_set_timeout (self->session, self->timeout);
  soup_session_set_idle_timeout (self->session, MAX (self->timeout, IDLE_TIMEOUT));
}

/* A pin is the whole of the trust: without a certificate database every
 * certificate reaches on_accept_certificate(), where only the pinned one
 * passes. Otherwise a certificate some CA vouches for would get past a
 * pin that says otherwise. Without a pin the session keeps (or gets back)
 * the default database. */
static void
apply_tls_pin (KcKerioClient *self)
{
  g_autoptr (GTlsDatabase) database = NULL;

  if (self->tls_pin == NULL && soup_session_get_tls_database (self->session) != NULL)
    return;

  /* libsoup 3.2 passes a database on to new connections only when it
   * differs from the session's current one, which starts as NULL for "the
   * default, when first needed": NULL is set by way of the default. */
  database = g_tls_backend_get_default_database (g_tls_backend_get_default ());
  soup_session_set_tls_database (self->session, database);
  if (self->tls_pin != NULL)
    soup_session_set_tls_database (self->session, NULL);
}

static void
kc_kerio_client_constructed (GObject *object)
{
  KcKerioClient *self = KC_KERIO_CLIENT (object);
  g_autoptr (SoupCookieJar) jar = soup_cookie_jar_new ();
  int port;

  G_OBJECT_CLASS (kc_kerio_client_parent_class)->constructed (object);

  g_assert (self->endpoint != NULL);
  self->endpoint_text = g_uri_to_string_partial (self->endpoint, G_URI_HIDE_USERINFO);
  port = effective_port (self->endpoint);
  if (g_uri_get_host (self->endpoint) != NULL && strchr (g_uri_get_host (self->endpoint), ':'))
    self->host_port = g_strdup_printf ("[%s]:%d", g_uri_get_host (self->endpoint), port);
  else
    self->host_port = g_strdup_printf ("%s:%d", g_uri_get_host (self->endpoint), port);

  self->session = soup_session_new_with_options ("user-agent", "Kerio CTI/" PACKAGE_VERSION,
                                                 NULL);
  soup_session_add_feature (self->session, SOUP_SESSION_FEATURE (jar));
  apply_timeout (self);
  if (self->tls_pin != NULL)
    apply_tls_pin (self);
}

static void
kc_kerio_client_dispose (GObject *object)
{
  KcKerioClient *self = KC_KERIO_CLIENT (object);

  g_clear_object (&self->session);

  G_OBJECT_CLASS (kc_kerio_client_parent_class)->dispose (object);
}

static void
kc_kerio_client_finalize (GObject *object)
{
  KcKerioClient *self = KC_KERIO_CLIENT (object);

  g_clear_pointer (&self->endpoint, g_uri_unref);
  g_free (self->endpoint_text);
  g_free (self->host_port);
  g_free (self->username);
  g_free (self->password);
  g_free (self->token);
  g_free (self->tls_pin);
  g_free (self->peer_fingerprint);
  g_ptr_array_unref (self->login_waiters);
  g_clear_error (&self->auth_error);

  G_OBJECT_CLASS (kc_kerio_client_parent_class)->finalize (object);
}

static void
kc_kerio_client_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  KcKerioClient *self = KC_KERIO_CLIENT (object);

  switch (prop_id)
    {
    case PROP_ENDPOINT:
      g_value_set_boxed (value, self->endpoint);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;
    case PROP_TLS_PIN:
      g_value_set_string (value, self->tls_pin);
      break;
    case PROP_PEER_FINGERPRINT:
      g_value_set_string (value, self->peer_fingerprint);
      break;
    case PROP_LOGGED_IN:
      g_value_set_boolean (value, self->token != NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kc_kerio_client_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  KcKerioClient *self = KC_KERIO_CLIENT (object);

  switch (prop_id)
    {
    case PROP_ENDPOINT:
      self->endpoint = g_value_dup_boxed (value);
      break;
    case PROP_TIMEOUT:
      kc_kerio_client_set_timeout (self, g_value_get_uint (value));
      break;
    case PROP_TLS_PIN:
      kc_kerio_client_set_tls_pin (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kc_kerio_client_class_init (KcKerioClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = kc_kerio_client_constructed;
  object_class->dispose = kc_kerio_client_dispose;
  object_class->finalize = kc_kerio_client_finalize;
  object_class->get_property = kc_kerio_client_get_property;
  object_class->set_property = kc_kerio_client_set_property;

  props[PROP_ENDPOINT] =
    g_param_spec_boxed ("endpoint", NULL, NULL, G_TYPE_URI,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  props[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL, 1, G_MAXUINT, KC_KERIO_DEFAULT_TIMEOUT,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  props[PROP_TLS_PIN] =
    g_param_spec_string ("tls-pin", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  props[PROP_PEER_FINGERPRINT] =
    g_param_spec_string ("peer-fingerprint", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_LOGGED_IN] =
    g_param_spec_boolean ("logged-in", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
kc_kerio_client_init (KcKerioClient *self)
{
  self->timeout = KC_KERIO_DEFAULT_TIMEOUT;
  self->login_waiters = g_ptr_array_new ();
}

KcKerioClient *
kc_kerio_client_new (GUri       *endpoint,
                     const char *username,
                     const char *password)
{
  KcKerioClient *self;

  g_return_val_if_fail (endpoint != NULL, NULL);

  self = g_object_new (KC_TYPE_KERIO_CLIENT, "endpoint", endpoint, NULL);
  kc_kerio_client_set_credentials (self, username, password);
  return self;
}

GUri *
kc_kerio_client_get_endpoint (KcKerioClient *self)
{
  g_return_val_if_fail (KC_IS_KERIO_CLIENT (self), NULL);

  return self->endpoint;
}

void
kc_kerio_client_set_credentials (KcKerioClient *self,
                                 const char    *username,
                                 const char    *password)
{
  g_return_if_fail (KC_IS_KERIO_CLIENT (self));

  /* New credentials deserve a new try at once. */
  g_clear_error (&self->auth_error);

  if (g_strcmp0 (self->username, username) == 0 && g_strcmp0 (self->password, password) == 0)
    return;

  g_free (self->username);
  self->username = g_strdup (username);
  g_free (self->password);
  self->password = g_strdup (password);
  self->credentials_serial++;
  forget_session (self);
}

void
kc_kerio_client_set_tls_pin (KcKerioClient *self,
                             const char    *pin)
{
  g_return_if_fail (KC_IS_KERIO_CLIENT (self));

  if (g_strcmp0 (self->tls_pin, pin) == 0)
    return;
  g_free (self->tls_pin);
  self->tls_pin = g_strdup (pin);
  if (self->session != NULL)
    apply_tls_pin (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_TLS_PIN]);
}

void
kc_kerio_client_set_timeout (KcKerioClient *self,
                             guint          seconds)
{
  g_return_if_fail (KC_IS_KERIO_CLIENT (self));
  g_return_if_fail (seconds > 0);

  if (self->timeout == seconds)
    return;
  self->timeout = seconds;
  if (self->session != NULL)
    apply_timeout (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_TIMEOUT]);
}

const char *
kc_kerio_client_get_peer_fingerprint (KcKerioClient *self)
{
  g_return_val_if_fail (KC_IS_KERIO_CLIENT (self), NULL);

  return self->peer_fingerprint;
}

gboolean
kc_kerio_client_is_logged_in (KcKerioClient *self)
{
  g_return_val_if_fail (KC_IS_KERIO_CLIENT (self), FALSE);

  return self->token != NULL;
}

/* TEMPORARY until the client branch lands */
static void
find_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = kc_kerio_client_call_finish (KC_KERIO_CLIENT (source), result, &error);
  GPtrArray *rows;

  if (node == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  rows = kc_kerio_parse_cdrs (node, NULL, &error);
  if (rows == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, rows, (GDestroyNotify) g_ptr_array_unref);
}

void
kc_kerio_client_find_call_history_async (KcKerioClient       *self,
                                         gint64               since,
                                         gint64               until,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autofree char *text = g_strdup_printf (
    "{\"query\":{\"start\":0,\"limit\":100,\"orderBy\":[{\"columnName\":\"TIMESTAMP\",\"direction\":\"Asc\"}],"
    "\"conditions\":[{\"fieldName\":\"TIMESTAMP\",\"comparator\":\"GreaterEq\",\"value\":\"%lld\"},"
    "{\"fieldName\":\"TIMESTAMP\",\"comparator\":\"LessEq\",\"value\":\"%lld\"}],\"combining\":\"And\"}}",
    (long long) since, (long long) until);
  g_autoptr (JsonNode) params = json_from_string (text, NULL);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  kc_kerio_client_call_async (self, "CallHistory.get", params, cancellable, find_done, task);
}

GPtrArray *
kc_kerio_client_find_call_history_finish (KcKerioClient  *self,
                                          GAsyncResult   *result,
                                          GError        **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
