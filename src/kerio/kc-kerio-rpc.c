/* kc-kerio-rpc.c: one JSON-RPC request over HTTPS, no login logic: the
 * messages, the certificate check, the errors, the body read
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-kerio"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "kc-kerio-client-private.h"
#include "kc-kerio-parse.h"

#define REJECTED_FINGERPRINT_KEY "kc-rejected-fingerprint"

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

  kc_kerio_client_set_peer_fingerprint (self, fingerprint);
  if (fingerprint != NULL && self->tls_pin != NULL && strcmp (fingerprint, self->tls_pin) == 0)
    return TRUE;

  g_debug ("Rejecting certificate %s (errors 0x%x)", fingerprint, errors);
  g_object_set_data_full (G_OBJECT (message), REJECTED_FINGERPRINT_KEY,
                          g_steal_pointer (&fingerprint), g_free);
  return FALSE;
}

SoupMessage *
kc_kerio_client_new_message (KcKerioClient *self,
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

void
kc_kerio_client_remember_peer_certificate (KcKerioClient *self,
                                           SoupMessage   *message)
{
  GTlsCertificate *certificate = soup_message_get_tls_peer_certificate (message);

  if (certificate != NULL)
    {
      g_autofree char *fingerprint = kc_tls_certificate_fingerprint (certificate);

      kc_kerio_client_set_peer_fingerprint (self, fingerprint);
    }
}

GError *
kc_kerio_client_transport_error (KcKerioClient *self,
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

const char *
kc_kerio_reason_phrase (SoupMessage *message)
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

GError *
kc_kerio_client_http_error (KcKerioClient *self,
                            SoupMessage   *message,
                            gboolean       session_may_expire)
{
  guint status = soup_message_get_status (message);
  g_autofree char *detail = g_strdup_printf ("HTTP %u %s", status,
                                             kc_kerio_reason_phrase (message));

  if (session_may_expire && (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN))
    return g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_SESSION_EXPIRED,
                        _("The PBX no longer accepts this session (%s)"), detail);
  if (status == SOUP_STATUS_NOT_FOUND)
    return not_kerio_error (self, detail);
  return g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_HTTP,
                      _("The PBX answered with an error: %s"), detail);
}

gboolean
kc_kerio_content_length_exceeds (SoupMessage *message,
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
void
kc_kerio_discard_stream (GInputStream *stream)
{
  g_input_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
}

/* ------------------------------------------------------------------------ */
/* One JSON-RPC request, no login logic */

static gpointer
parse_result_node (const char  *body,
                   gsize        length,
                   GError     **error)
{
  return kc_kerio_parse_response (body, length, error);
}

const KcKerioRpcReader kc_kerio_rpc_result_node_reader = {
  parse_result_node, (GDestroyNotify) json_node_unref,
};

typedef struct
{
  char                   *method;
  const KcKerioRpcReader *reader;
  SoupMessage            *message;
  GInputStream           *stream;
  GByteArray             *body;

  /* Only while capturing */
  KcKerioCapture         *capture;
  JsonNode               *params;
  gint64                  sent_time;
  gint64                  sent_clock;
  GError                 *http_error; /* an answer other than 200, read for the capture */
} RpcRequest;

static void
rpc_request_free (RpcRequest *request)
{
  g_free (request->method);
  g_clear_object (&request->message);
  g_clear_object (&request->stream);
  g_clear_pointer (&request->body, g_byte_array_unref);
  g_clear_object (&request->capture);
  g_clear_pointer (&request->params, json_node_unref);
  g_clear_error (&request->http_error);
  g_free (request);
}

/* One line of the capture: status 0 when no whole answer came, the body
 * when one did. A cancelled request had no answer to speak of. */
static void
capture_exchange (RpcRequest   *request,
                  guint         status,
                  const GError *error)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (request->message);
  g_autoptr (GPtrArray) cookies = g_ptr_array_new ();
  SoupMessageHeadersIter iter;
  const char *name;
  const char *value;
  KcKerioExchange exchange = {
    .time = request->sent_time,
    .method = request->method,
    .params = request->params,
    .status = status,
    .elapsed_ms = (g_get_monotonic_time () - request->sent_clock) / 1000,
    .error = error != NULL ? error->message : NULL,
  };

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error == NULL && request->body != NULL)
    {
      exchange.body = (const char *) request->body->data;
      exchange.length = request->body->len;
    }
  if (status != 0 && headers != NULL)
    {
      soup_message_headers_iter_init (&iter, headers);
      while (soup_message_headers_iter_next (&iter, &name, &value))
        if (g_ascii_strcasecmp (name, "Set-Cookie") == 0)
          g_ptr_array_add (cookies, (gpointer) value);
    }
  g_ptr_array_add (cookies, NULL);
  exchange.set_cookies = (const char *const *) cookies->pdata;
  kc_kerio_capture_record (request->capture, &exchange);
}

/* Fails the request, with its line in the capture when capturing */
static void
rpc_fail (GTask  *task,
          guint   status,
          GError *error)
{
  RpcRequest *request = g_task_get_task_data (task);

  if (request->capture != NULL)
    capture_exchange (request, status, error);
  g_task_return_error (task, error);
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

/* JSON-RPC's "Method not found": which methods a PBX knows is worth telling
 * from a refusal (the probe does). Only error answers get here. */
static gboolean
is_unknown_method_answer (const char *body,
                          gsize       length)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonNode *error;
  gint64 code;

  if (!json_parser_load_from_data (parser, body, (gssize) length, NULL))
    return FALSE;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return FALSE;
  error = json_object_get_member (json_node_get_object (root), "error");
  return error != NULL && JSON_NODE_HOLDS_OBJECT (error)
         && kc_kerio_json_get_int (json_node_get_object (error), "code", &code)
         && code == KC_KERIO_RPC_METHOD_NOT_FOUND;
}

/* The Date header tells how far the PBX's clock is from ours: call start
 * times come from its clock, as now - CALL_DURATION does from ours. */
static void
remember_server_clock (KcKerioClient *self,
                       SoupMessage   *message)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (message);
  const char *date = soup_message_headers_get_one (headers, "Date");
  g_autoptr (GDateTime) time = date != NULL ? soup_date_time_new_from_http_string (date) : NULL;

  if (time == NULL)
    return;
  self->server_clock_offset = g_date_time_to_unix (time) - g_get_real_time () / G_USEC_PER_SEC;
  self->server_clock_known = TRUE;
}

static void
rpc_complete (GTask *task)
{
  KcKerioClient *self = g_task_get_source_object (task);
  RpcRequest *request = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  gpointer result;

  if (request->capture != NULL)
    capture_exchange (request, soup_message_get_status (request->message), NULL);
  if (request->http_error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&request->http_error));
      return;
    }

  result = request->reader->parse ((const char *) request->body->data, request->body->len,
                                   &error);
  if (result == NULL)
    {
      if (g_error_matches (error, KC_KERIO_ERROR, KC_KERIO_ERROR_NOT_KERIO))
        g_task_return_error (task, not_kerio_error (self, NULL));
      else
        {
          if (g_error_matches (error, KC_KERIO_ERROR, KC_KERIO_ERROR_RPC)
              && is_unknown_method_answer ((const char *) request->body->data,
                                           request->body->len))
            error->code = KC_KERIO_ERROR_UNKNOWN_METHOD;
          g_task_return_error (task, g_steal_pointer (&error));
        }
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
  g_byte_array_set_size (request->body,
                         request->body->len - KC_KERIO_READ_CHUNK_SIZE + MAX (size, 0));
  if (size < 0)
    {
      rpc_fail (task, 0, kc_kerio_client_transport_error (self, request->message, error));
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
      kc_kerio_discard_stream (request->stream);
      rpc_fail (task, soup_message_get_status (request->message), too_large_error ());
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
  g_byte_array_set_size (request->body, length + KC_KERIO_READ_CHUNK_SIZE);
  g_input_stream_read_async (request->stream, request->body->data + length,
                             KC_KERIO_READ_CHUNK_SIZE, G_PRIORITY_DEFAULT,
                             g_task_get_cancellable (task), on_rpc_read, task);
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
      rpc_fail (task, 0, kc_kerio_client_transport_error (self, request->message, error));
      return;
    }
  kc_kerio_client_remember_peer_certificate (self, request->message);
  remember_server_clock (self, request->message);

  status = soup_message_get_status (request->message);
  g_debug ("%s: HTTP %u", request->method, status);
  if (status != SOUP_STATUS_OK)
    {
      GError *http_error = kc_kerio_client_http_error (self, request->message,
                                                       !is_login_method (request->method));

      if (request->capture == NULL)
        {
          kc_kerio_discard_stream (request->stream);
          g_task_return_error (task, http_error);
          return;
        }
      /* What a PBX says with its error page is worth having in the capture */
      request->http_error = http_error;
    }
  if (kc_kerio_content_length_exceeds (request->message, KC_KERIO_MAX_BODY_SIZE))
    {
      kc_kerio_discard_stream (request->stream);
      rpc_fail (task, status, too_large_error ());
      return;
    }

  /* Sized once for the whole answer (a page of 500 CDRs is ~100 KB) and
   * the last read, which finds the end */
  headers = soup_message_get_response_headers (request->message);
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    request->body = g_byte_array_sized_new (
      (guint) soup_message_headers_get_content_length (headers) + KC_KERIO_READ_CHUNK_SIZE);
  else
    request->body = g_byte_array_sized_new (2 * KC_KERIO_READ_CHUNK_SIZE);
  rpc_read_next (g_steal_pointer (&task));
}

void
kc_kerio_rpc_async (KcKerioClient          *self,
                    const char             *method,
                    JsonNode               *params,
                    const KcKerioRpcReader *reader,
                    GCancellable           *cancellable,
                    GAsyncReadyCallback     callback,
                    gpointer                user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  RpcRequest *request = g_new0 (RpcRequest, 1);
  g_autoptr (GBytes) body = build_rpc_body (self, method, params);
  SoupMessageHeaders *headers;

  g_task_set_source_tag (task, kc_kerio_rpc_async);
  g_task_set_task_data (task, request, (GDestroyNotify) rpc_request_free);

  request->method = g_strdup (method);
  request->reader = reader;
  if (self->capture != NULL)
    {
      request->capture = g_object_ref (self->capture);
      request->params = params != NULL ? json_node_copy (params) : NULL;
      request->sent_time = g_get_real_time ();
      request->sent_clock = g_get_monotonic_time ();
    }
  request->message = kc_kerio_client_new_message (self, SOUP_METHOD_POST, self->endpoint);
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

gpointer
kc_kerio_rpc_finish (KcKerioClient  *self,
                     GAsyncResult   *result,
                     GError        **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
